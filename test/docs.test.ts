import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScsitrace } from './helpers/cli.js';
import { taskJson } from '../src/report/task-view.js';
import { buildTraceEvents, rw10 } from './helpers/trace.js';

const read = (p: string) => readFileSync(new URL(`../${p}`, import.meta.url), 'utf8');

describe('documented JSON output matches what the commands write', () => {
  it('docs/summary.md names every top-level key of summary --format json', async () => {
    const r = await runScsitrace('summary', '--format', 'json', 'traces/mixed-workload.sct');
    const doc = read('docs/summary.md');
    for (const key of Object.keys(JSON.parse(r.stdout))) expect(doc, key).toContain(`\`${key}`);
  });

  it('README.md names every top-level key of check --format json', async () => {
    const r = await runScsitrace('check', '--format', 'json', 'traces/mixed-workload.sct');
    const readme = read('README.md');
    for (const key of Object.keys(JSON.parse(r.stdout))) expect(readme, key).toContain(`\`${key}`);
  });

  it('README.md names every field of decode --format json', () => {
    const events = buildTraceEvents((b) => b.task({ cdb: rw10(false, 0, 8), requestedBytes: 4096 }));
    const submit = events.find((e) => e.kind === 'submit')!;
    const complete = events.find((e) => e.kind === 'complete')!;
    const readme = read('README.md');
    for (const key of Object.keys(taskJson({ submit: submit, complete: complete }))) expect(readme, key).toContain(`\`${key}\``);
  });
});
