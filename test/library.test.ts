import { describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';

describe('the library entry point', () => {
  it('writes, reads, decodes and checks a trace without the CLI', () => {
    const bytes = lib.writeTraceToBytes({ producer: 'library test' }, (w) => {
      w.constraints(0, { IOMaximumSegmentAddressableBitCount: 32 });
      w.submit({
        timeNs: 0,
        taskId: 1,
        direction: lib.DataDirection.ToDevice,
        requestedBytes: 4096,
        cdb: [0x2a, 0, 0, 0, 0, 8, 0, 0, 8, 0],
        segments: [{ address: 0x2_0000_0000n, length: 4096 }],
      });
      w.complete({ timeNs: 1000, taskId: 1, bytesTransferred: 4096 });
    });
    const events = lib.decodeNative(bytes);
    const submit = events.find((e) => e.kind === 'submit')!;
    expect(lib.decodeCdb(submit.cdb).name).toBe('WRITE(10)');
    const result = lib.checkEvents(events);
    expect(result.groups.map((g) => g.ruleId)).toContain('segment-above-address-limit');
    expect(lib.decodeSense(Uint8Array.of(0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0)).summary).toMatch(/INVALID COMMAND OPERATION CODE/);
  });
});
