import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTrace } from '../../src/formats/open.js';
import { decodeNative } from '../../src/formats/native/reader.js';
import { writeBenchTrace } from '../../src/synth/bench.js';
import type { TraceEvent } from '../../src/model/events.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string): Promise<TraceEvent[]> {
  const trace = await openTrace(path);
  const events: TraceEvent[] = [];
  for await (const batch of trace.events) events.push(...batch);
  return events;
}

describe('openTrace reading a native trace in reused read buffers', () => {
  // ~1.7 MB: the sniffed head plus several 256 KiB reads, so each of the three read buffers is
  // reused more than once while records straddle their ends.
  const path = join(dir, 'bench.sct');
  writeBenchTrace(path, 5000, 7);
  const bytes = readFileSync(path);

  it('yields exactly the events of decoding the whole file at once', async () => {
    expect(bytes.length).toBeGreaterThan(6 * 256 * 1024);
    expect(await readAll(path)).toEqual(decodeNative(bytes));
  });

  it('does the same for a damaged copy (resynchronisation across chunk ends)', async () => {
    const damaged = Uint8Array.from(bytes);
    for (let at = 300_000; at < damaged.length; at += 262_144) damaged.fill(0x5a, at - 40, at + 40);
    const damagedPath = join(dir, 'damaged.sct');
    writeFileSync(damagedPath, damaged);
    const events = await readAll(damagedPath);
    expect(events.filter((e) => e.kind === 'diagnostic').length).toBeGreaterThan(0);
    expect(events).toEqual(decodeNative(damaged));
  });
});
