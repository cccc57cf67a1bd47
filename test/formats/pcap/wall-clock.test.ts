/**
 * A pcapng whose timestamps put its start far outside any date a Date can hold (a damaged
 * timestamp, an absurd if_tsoffset) must not stop `summary`: the reader flags the wall clock as
 * unknown, and formatting a wall-clock time never throws.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { formatWallClock } from '../../../src/report/time.js';
import { runScsitrace } from '../../helpers/cli.js';
import { Conversation, dataIn, pcapngFile, scsiCommand } from '../../helpers/pcap.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-wallclock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(startSec: number, tsresol?: number): Uint8Array {
  const c = new Conversation().handshake();
  c.send(true, scsiCommand({ itt: 1, cdb: [0x28, 0, 0, 0, 0, 9, 0, 0, 1, 0], edtl: 512, read: true }));
  c.send(false, dataIn({ itt: 1, data: new Uint8Array(512), status: 0 }));
  return pcapngFile(c.packets, { startSec, ...(tsresol !== undefined ? { interfaces: [{ linkType: 1, tsresol }] } : {}) });
}

describe('wall-clock start far outside the Date range', () => {
  it('summary and decode run, exit 2 with one line naming the packet, and keep relative times', async () => {
    // 2^44 s after the epoch (beyond the 8.64e12 s a Date holds): nanosecond ticks would overflow, so use
    // second resolution (if_tsresol 0).
    const path = join(dir, 'far.pcapng');
    writeFileSync(path, capture(2 ** 44, 0));
    const summary = await runScsitrace('summary', path);
    expect(summary.stderr).not.toMatch(/internal error|Invalid time value/);
    expect(summary.code).toBe(2);
    expect(summary.stderr).toMatch(/at byte 0x[0-9a-f]+: packet time .* is outside 1970-2199/);
    const decode = await runScsitrace('decode', '--format', 'json', path);
    expect(decode.code).toBe(2);
    expect(JSON.parse(decode.stdout.trim())).toMatchObject({ opcode: 0x28, statusCode: 0 });
  });

  it('a plausible start is kept', () => {
    const header = decodeCapture(capture(1_700_000_000)).find((e) => e.kind === 'header');
    expect(header && header.kind === 'header' && header.startWallNs).toBe(1_700_000_000n * 1_000_000_000n + 1_000_000n); // the first packet, 1 ms in
  });

  it('formatting never throws, whatever the number', () => {
    expect(formatWallClock(1_700_000_000n * 1_000_000_000n)).toBe('2023-11-14T22:13:20.000Z');
    expect(formatWallClock(2n ** 63n * 1_000_000n)).toBeNull();
    expect(formatWallClock(-5n)).toBeNull();
    expect(formatWallClock(0n)).toBeNull();
  });
});
