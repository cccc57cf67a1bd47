import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeJsonl, eventToJson } from '../../../src/formats/jsonl/index.js';
import { newReadStats } from '../../../src/model/stats.js';
import { runScsitrace } from '../../helpers/cli.js';
import {
  Conversation,
  dataIn,
  fixedSense,
  loginRequest,
  loginResponse,
  pcapFile,
  scsiCommand,
  scsiResponse,
  tmfRequest,
  tmfResponse,
} from '../../helpers/pcap.js';
import { buildTraceEvents, rw10 } from '../../helpers/trace.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-convert-'));

/** decode --format json lines without the fields that name positions in the input file. */
async function tasks(path: string): Promise<unknown[]> {
  const r = await runScsitrace('decode', '--format', 'json', path);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { offset: _o, record: _r, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
}

function capture(): string {
  const c = new Conversation().handshake();
  c.send(true, loginRequest({ keys: { InitiatorName: 'iqn.x' } }));
  c.send(false, loginResponse({ keys: { HeaderDigest: 'None' } }));
  c.send(true, scsiCommand({ itt: 1, lun: 2, cdb: rw10(false, 64, 8), edtl: 4096, read: true }));
  c.send(false, dataIn({ itt: 1, data: new Uint8Array(4096), status: 0 }));
  c.send(true, scsiCommand({ itt: 2, lun: 2, cdb: [0, 0, 0, 0, 0, 0] }));
  c.send(false, scsiResponse({ itt: 2, status: 2, sense: fixedSense(2, 0x3a, 0) }));
  c.send(true, tmfRequest({ itt: 3, fn: 5, lun: 2 }));
  c.send(false, tmfResponse({ itt: 3, response: 0 }));
  c.send(true, scsiCommand({ itt: 4, cdb: rw10(true, 1, 1), edtl: 512, write: true }));
  const path = join(dir, 'in.pcap');
  writeFileSync(path, pcapFile(c.packets));
  return path;
}

describe('convert', () => {
  it('turns a capture into a native trace that decodes to the same tasks', async () => {
    const input = capture();
    const out = join(dir, 'out.sct');
    const r = await runScsitrace('convert', input, '-o', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const original = await tasks(input);
    expect(original).toHaveLength(3);
    expect(await tasks(out)).toEqual(original);
  });

  it('writes JSON Lines that read back (and convert to .sct) with the same tasks', async () => {
    const input = capture();
    const jsonl = join(dir, 'out.jsonl');
    expect((await runScsitrace('convert', '--format', 'jsonl', input, '-o', jsonl)).code).toBe(0);
    const lines = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string });
    expect(lines[0]!.kind).toBe('header');
    expect(lines.map((l) => l.kind)).toContain('hba');
    expect(await tasks(jsonl)).toEqual(await tasks(input));
    const sct = join(dir, 'from-jsonl.sct');
    expect((await runScsitrace('convert', jsonl, '-o', sct)).code).toBe(0);
    expect(await tasks(sct)).toEqual(await tasks(input));
  });

  it('round-trips every event kind through JSON Lines', () => {
    const events = buildTraceEvents((b) => {
      b.w.constraints(0, { IOMaximumSegmentCountWrite: 128, 'HBA Data Alignment': 'x', flag: true });
      b.task(
        {
          cdb: rw10(true, 2 ** 31, 16),
          requestedBytes: 8192,
          segments: [
            { address: 2n ** 60n, length: 4096 },
            { address: 4096, length: 4096 },
          ],
          tag: 2n ** 63n,
        },
        { sense: fixedSense(3, 0x11, 0) },
      );
      b.w.hba({ timeNs: 5, kind: 6, phase: 1, taskId: 1, arg0: 2n ** 64n - 1n, detail: 'abort' });
      b.w.digest({ timeNs: 6, taskId: 1, lba: 7, byteCount: 8192, direction: 1, crc32c: 0xdeadbeef, chunkBytes: 4096, chunkDigests: [1, 2] });
      b.w.note(7, 'hello', 1);
    });
    const text = events
      .map((e) => eventToJson(e))
      .filter(Boolean)
      .map((j) => JSON.stringify(j))
      .join('\n');
    const back = decodeJsonl(new TextEncoder().encode(text));
    const strip = (e: object) => {
      const { offset: _o, index: _i, ...rest } = e as Record<string, unknown>;
      if ('segments' in rest) rest['segments'] = JSON.stringify(eventToJson(e as never));
      return rest;
    };
    expect(back.map(strip)).toEqual(events.filter((e) => e.kind !== 'diagnostic').map(strip));
  });

  it('reports a bad JSON line with its byte offset and line, and reads the rest', async () => {
    const good = '{"kind":"submit","timeNs":0,"taskId":1,"cdb":"000000000000"}';
    const text = `${good}\n{"kind":"complete","timeNs":5,"taskId":1\n{"kind":"submit","timeNs":1,"taskId":"x","cdb":"00"}\n{"kind":"complete","timeNs":9,"taskId":1}\n`;
    const stats = newReadStats();
    const events = decodeJsonl(new TextEncoder().encode(text), stats);
    const diags = events.filter((e) => e.kind === 'diagnostic');
    expect(diags.map((d) => d.kind === 'diagnostic' && d.message)).toEqual([
      `at byte 0x${(good.length + 1).toString(16)} (line 2): not JSON: ${(() => {
        try {
          JSON.parse('{"kind":"complete","timeNs":5,"taskId":1');
        } catch (e) {
          return (e as Error).message;
        }
        return '';
      })()}`,
      expect.stringMatching(/^at byte 0x[0-9a-f]+ \(line 3\): "submit" event, field "taskId": must be an unsigned 64-bit integer/),
    ]);
    expect(events.filter((e) => e.kind === 'submit' || e.kind === 'complete')).toHaveLength(2);
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, text);
    const r = await runScsitrace('decode', path);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses input that is not a trace in one line', async () => {
    const path = join(dir, 'junk.bin');
    writeFileSync(path, 'hello world, not a trace\n');
    const r = await runScsitrace('convert', path, '-o', join(dir, 'junk.sct'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
