import { describe, expect, it } from 'vitest';
import { runScsitrace } from '../helpers/cli.js';

describe('summary --by target,lun', () => {
  it('names targets as the source does (Linux host:channel:id), in text and JSON', async () => {
    const trace = 'traces/linux-ftrace-6.1.0-56-amd64-megasas.txt';
    const text = await runScsitrace('summary', '--no-check', '--by', 'target,lun', trace);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/│ 0:2:0 \(1 LUN\) +│/);
    expect(text.stdout).toMatch(/│ 0:2:0:0 +│/);
    expect(text.stdout).not.toMatch(/131072/);
    const json = JSON.parse((await runScsitrace('summary', '--no-check', '--format', 'json', trace)).stdout);
    expect(json.targets[0]).toMatchObject({ target: 131072, targetLabel: '0:2:0', luns: 1 });
    expect(json.luns[0]).toMatchObject({ target: 131072, targetLabel: '0:2:0', lun: 0 });
  });
});
