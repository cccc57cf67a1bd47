import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openTrace } from '../../../src/formats/open.js';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../../src/analysis/tasks.js';
import { tasksOf } from './tasks.js';
import { ftraceFormat } from '../../../src/formats/ftrace/index.js';
import { parseHexBytes, parseScsiTraceLine, type ScsiTraceLine } from '../../../src/formats/ftrace/parse.js';
import { completionOf, decodeFtrace, FtraceDecoder } from '../../../src/formats/ftrace/reader.js';
import { DeliveryStatus, ServiceResponse, type Note, type TraceEvent } from '../../../src/model/events.js';
import { newReadStats } from '../../../src/model/stats.js';
import { buildTraceBytes, rw10 } from '../../helpers/trace.js';

const fixture = (name: string) => readFileSync(new URL(`../../../traces/linux-ftrace-fixture-${name}.txt`, import.meta.url));

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const outcome = (t: TaskRecord) => `${hexOf(t.submit.cdb).slice(0, 4)} ${t.complete!.serviceResponse}/${t.complete!.status}`;
const notes = (evs: TraceEvent[]) => evs.filter((e): e is Note => e.kind === 'note').map((n) => n.text);

describe('Linux SCSI tracepoint text: kernel format fixtures', () => {
  it('3.10 tracefs (no tags, driver byte named): every dispatch is matched, in CDB order for equal commands', () => {
    const evs = decodeFtrace(fixture('3.10-tracefs'));
    expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    const { done, open, orphans } = tasksOf(evs);
    expect(open).toEqual([]);
    expect(orphans).toBe(0);
    expect(done).toHaveLength(18);
    expect(evs[0]).toMatchObject({ kind: 'header', format: 'ftrace', version: 'linux-2.6.36-5.19' });
    expect((evs[0] as { producer: string }).producer).toBe('Linux SCSI tracepoints (no tags, no sense data); time 0 is 12.000101000 s on the trace clock');
    // TUR → CHECK CONDITION (DRIVER_SENSE), READ CAPACITY(16) rejected by the bridge, then the rest GOOD.
    expect(done.slice(0, 7).map(outcome)).toEqual(['1200 2/0', '0000 2/2', '0300 2/0', '0000 2/0', '9e10 2/2', '2500 2/0', '1a00 2/0']);
    // Two identical READ(10)s in flight: first dispatched, first done.
    const [a, b] = done.filter((t) => hexOf(t.submit.cdb) === hexOf(Uint8Array.from(rw10(false, 0, 8))));
    expect(a!.submit.timeNs).toBeLessThan(b!.submit.timeNs);
    expect(a!.latencyNs).toBe(1_500_000);
    expect(b!.latencyNs).toBe(2_680_000);
    // The read dispatched after the write finishes first.
    const write = done.find((t) => hexOf(t.submit.cdb).startsWith('2a00000008'))!;
    expect(write.latencyNs).toBe(21_000_000);
    // queuecommand refusal, timeout, and a LUN that is not there.
    const statuses = done.map((t) => `${t.complete!.serviceResponse}/${t.complete!.status}`);
    expect(statuses.filter((s) => s === `${ServiceResponse.ServiceDeliveryOrTargetFailure}/${DeliveryStatus.DeliveryFailure}`)).toHaveLength(1);
    expect(statuses.filter((s) => s === `${ServiceResponse.ServiceDeliveryOrTargetFailure}/${DeliveryStatus.TaskTimeoutOccurred}`)).toHaveLength(1);
    expect(done.at(-1)!.complete).toMatchObject({ serviceResponse: 1, status: DeliveryStatus.DeviceNotPresent });
    expect(done.at(-1)!.submit.lun).toBe(1);
    expect(notes(evs)).toContain('queuecommand refused the command: rtn=0x1055 (SCSI_MLQUEUE_HOST_BUSY); the midlayer requeues it');
    // The timeout is an HBA event on the task; the completion with DID_TIME_OUT ends it.
    const timeout = evs.find((e) => e.kind === 'hba')!;
    const timedOut = done.find((t) => t.submit.taskId === (timeout as { taskId: bigint }).taskId)!;
    expect(timeout).toMatchObject({ hbaKind: 7, timeNs: 45_001_234_000 - 12_000_101_000 });
    expect(timedOut.complete).toMatchObject({ serviceResponse: 1, status: DeliveryStatus.TaskTimeoutOccurred, timeNs: 45_210_000_000 - 12_000_101_000 });
    // host 6 stays distinct from host 0 in the target id.
    expect(done[0]!.submit.targetId).toBe(6n << 32n);
  });

  it('5.10 trace-cmd report: 32-byte CDB, vendor opcode, BUSY/TASK SET FULL, reset, and a task still in flight', () => {
    const evs = decodeFtrace(fixture('5.10-trace-cmd'));
    expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    const { done, open, orphans } = tasksOf(evs);
    expect(orphans).toBe(0);
    expect(done).toHaveLength(14);
    expect(open.map((t) => hexOf(t.submit.cdb))).toEqual(['28000000012c00000800']);
    expect(notes(evs).some((n) => n.includes('READ_10 without a traced dispatch'))).toBe(true);
    const read32 = done.find((t) => t.submit.cdb[0] === 0x7f)!;
    expect(read32.submit.cdb).toHaveLength(32);
    expect(hexOf(read32.submit.cdb.subarray(12, 20))).toBe('0000000012345678');
    expect(done.find((t) => t.submit.cdb[0] === 0xc1)!.complete!.status).toBe(2);
    expect(done.filter((t) => t.complete!.status === 0x08)).toHaveLength(1);
    expect(done.filter((t) => t.complete!.status === 0x28)).toHaveLength(1);
    expect(done.find((t) => hexOf(t.submit.cdb) === '2800000000c800000800')!.complete).toMatchObject({
      serviceResponse: 1,
      status: DeliveryStatus.DeliveryFailure,
    });
    expect(done.find((t) => t.submit.cdb[0] === 0x88)!.submit.cdb.subarray(2, 10)).toEqual(Uint8Array.from([0, 0, 0, 1, 0x2a, 0x05, 0xf2, 0]));
  });

  it('6.1 perf script (driver_tag): equal CDBs are told apart by tag, equal tags by LUN', () => {
    const evs = decodeFtrace(fixture('6.1-perf'));
    expect(evs[0]).toMatchObject({ kind: 'header', version: 'linux-6.0-6.4' });
    const { done, open, orphans } = tasksOf(evs);
    expect(open).toEqual([]);
    expect(orphans).toBe(0);
    expect(done).toHaveLength(11);
    const [first, second] = evs.filter((e) => e.kind === 'submit');
    expect(first).toMatchObject({ tag: 17n });
    expect(second).toMatchObject({ tag: 18n });
    const byTag = new Map(
      done.filter((t) => t.submit.cdb[0] === 0x28 && t.submit.lun === 0 && t.submit.targetId === 0n).map((t) => [t.submit.tag, t.latencyNs]),
    );
    expect(byTag.get(17n)).toBe(900_000);
    expect(byTag.get(18n)).toBe(490_000);
    const writes = done.filter((t) => t.submit.cdb[0] === 0x2a);
    expect(writes.map((t) => [t.submit.lun, t.latencyNs])).toEqual([
      [1, 699_000],
      [0, 900_000],
    ]);
    expect(done.find((t) => t.submit.targetId === 5n)!.complete).toMatchObject({ serviceResponse: 1, status: DeliveryStatus.DeviceNotPresent });
    // Host byte 0x11 is printed as hex by the kernel (no name in its table): still a delivery failure.
    expect(done.at(-1)!.complete).toMatchObject({ serviceResponse: 1, status: DeliveryStatus.DeliveryFailure });
    expect(done.filter((t) => t.submit.targetId === 2n << 32n).map((t) => t.submit.cdb[0])).toEqual([0x85, 0x91, 0x28, 0x28]);
  });

  it('6.6 tracefs (sense=()): CHECK CONDITION carries the sense key and ASC/ASCQ the kernel printed', () => {
    const evs = decodeFtrace(fixture('6.6-tracefs'));
    // sense=() is only on done lines: the header waits for the first one to name the layout.
    expect(evs[0]).toMatchObject({
      kind: 'header',
      version: 'linux-6.5+',
      producer: 'Linux SCSI tracepoints (driver_tag, sense key and ASC/ASCQ); time 0 is 7.500000000 s on the trace clock',
    });
    const { done, open } = tasksOf(evs);
    expect(open).toEqual([]);
    expect(done).toHaveLength(6);
    const sense = done.map((t) => hexOf(t.complete!.sense));
    expect(sense[0]).toBe('700006000000000a00000000290000000000');
    expect(sense[1]).toBe('700005000000000a00000000240000000000');
    expect(sense[2]).toBe('700003000000000a00000000110000000000');
    expect(sense.slice(3)).toEqual(['', '', '']);
    expect(done[5]!.complete).toMatchObject({ serviceResponse: 1, status: DeliveryStatus.TaskTimeoutOccurred });
    expect(done[5]!.latencyNs).toBe(30_300_000_000);
    expect(done[3]!.submit.cdb).toEqual(Uint8Array.of(0x08, 0, 0, 0, 0, 0));
  });

  it('reads the same events whatever the chunk size', () => {
    for (const name of ['3.10-tracefs', '6.1-perf']) {
      const bytes = fixture(name);
      const whole = decodeFtrace(bytes);
      for (const size of [1, 7, 100, 4096]) {
        const dec = new FtraceDecoder();
        const out: TraceEvent[] = [];
        for (let i = 0; i < bytes.length; i += size) dec.push(bytes.subarray(i, i + size), out);
        dec.end(out);
        expect(out).toEqual(whole);
      }
    }
  });

  it('event offsets point at the start of their line', () => {
    const bytes = fixture('6.6-tracefs');
    for (const e of decodeFtrace(bytes).filter((x) => x.kind === 'submit' || x.kind === 'complete')) {
      expect(bytes[e.offset - 1]).toBe(10);
      expect(bytes.subarray(e.offset, e.offset + 200).toString()).toMatch(/scsi_dispatch_cmd_(start|done|timeout):/);
    }
  });
});

describe('Linux SCSI tracepoint text: line parsing', () => {
  const start =
    '  kworker/0:1H-97  [000] d..1.  100.000001: scsi_dispatch_cmd_start: host_no=0 channel=0 id=0 lun=0 data_sgl=1 prot_sgl=0 prot_op=SCSI_PROT_NORMAL driver_tag=3 scheduler_tag=-1 cmnd=(READ_10 lba=8 txlen=8 protect=0 raw=28 00 00 00 00 08 00 00 08 00)';

  it('reads host, channel, id, lun, tags and the raw CDB', () => {
    const l = parseScsiTraceLine(start) as ScsiTraceLine;
    expect(l).toMatchObject({
      kind: 'start',
      seconds: 100,
      nanos: 1_000,
      host: 0,
      driverTag: 3,
      schedulerTag: -1,
      dataSgl: 1,
      protOp: 'SCSI_PROT_NORMAL',
      opcodeName: 'READ_10',
    });
    expect(l.cdbHex).toBe('28000000000800000800');
  });

  it('reads every fixture and capture line the same through the fast path and the general one', () => {
    const dir = new URL('../../../traces/', import.meta.url);
    let lines = 0;
    for (const name of readdirSync(dir).filter((n) => n.startsWith('linux-ftrace-'))) {
      for (const line of readFileSync(new URL(name, dir), 'utf8').split('\n')) {
        const fast = parseScsiTraceLine(line);
        if (fast === undefined) continue;
        lines++;
        expect(parseScsiTraceLine(line, false), line).toEqual(fast);
      }
    }
    expect(lines).toBeGreaterThan(3000);
  });

  it('ignores lines that are not SCSI tracepoints', () => {
    for (const line of ['# tracer: nop', '', 'cpus=2', '  dd-1 [000] 1.000000: block_rq_issue: 8,0 R 4096 () 0 + 8 [dd]', 'CPU:0 [LOST 12 EVENTS]']) {
      expect(parseScsiTraceLine(line)).toBeUndefined();
    }
  });

  it('describes a SCSI tracepoint line it cannot read', () => {
    expect(parseScsiTraceLine(start.replace(/ raw=.*$/, ')'))).toBe('scsi_dispatch_cmd_start: cmnd=( ) has no raw= CDB bytes');
    expect(parseScsiTraceLine(start.replace('raw=28', 'raw=zz'))).toBe('scsi_dispatch_cmd_start: "zz" in the CDB is not a hex byte');
    expect(parseScsiTraceLine(start.replace('host_no=0 ', ''))).toBe('scsi_dispatch_cmd_start without host_no=');
  });

  it('reads the raw fields libtraceevent prints without its scsi plugin', () => {
    const base =
      '  dd-1 [000]  5.000000000: scsi_dispatch_cmd_done: [FAILED TO PARSE] host_no=1 channel=0 id=2 lun=3 result=134217730 opcode=0 cmd_len=6 driver_tag=4 scheduler_tag=-1 data_sglen=0 prot_sglen=0 prot_op=0 cmnd=ARRAY[00, 00, 00, 00, 00, 00] sense_key=6 asc=41 ascq=0';
    const l = parseScsiTraceLine(base) as ScsiTraceLine;
    expect(l).toMatchObject({
      kind: 'done',
      host: 1,
      id: 2,
      lun: 3,
      driverTag: 4,
      result: { driverByte: 8, hostByte: 0, status: 2 },
      sense: { key: 6, asc: 41, ascq: 0 },
    });
    expect(l.cdbHex).toBe('000000000000');
    expect(parseScsiTraceLine(base.replace('cmd_len=6', 'cmd_len=10'))).toBe('scsi_dispatch_cmd_done: cmd_len=10 but the CDB has 6 bytes');
  });

  it('reads CDBs printed with or without spaces, and refuses ones over 260 bytes', () => {
    expect(parseHexBytes('7f 00 00 00 00 00 00 18 00 09 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 08')).toHaveLength(32);
    expect(parseHexBytes('2a000000100000000800')).toEqual(Uint8Array.of(0x2a, 0, 0, 0, 0x10, 0, 0, 0, 8, 0));
    expect(parseHexBytes(Array(261).fill('00').join(' '))).toBe('CDB of 261 bytes exceeds 260');
  });

  it('maps Linux results to DriverKit service response and status', () => {
    expect(completionOf({ driverByte: 0, hostByte: 0, status: 0x18 })).toEqual({ serviceResponse: ServiceResponse.TaskComplete, status: 0x18 });
    expect(completionOf({ driverByte: 8, hostByte: 0, status: 2 })).toEqual({ serviceResponse: ServiceResponse.TaskComplete, status: 2 });
    expect(completionOf({ driverByte: 6, hostByte: 0, status: 0 })).toEqual({ serviceResponse: 1, status: DeliveryStatus.TaskTimeoutOccurred });
    expect(completionOf({ driverByte: 0, hostByte: 3, status: 0 })).toEqual({ serviceResponse: 1, status: DeliveryStatus.TaskTimeoutOccurred });
    expect(completionOf({ driverByte: 0, hostByte: 1, status: 0 })).toEqual({ serviceResponse: 1, status: DeliveryStatus.DeviceNotPresent });
    expect(completionOf({ driverByte: 0, hostByte: 0x0f, status: 0 })).toEqual({ serviceResponse: 1, status: DeliveryStatus.DeviceNotResponding });
    expect(completionOf({ driverByte: 0, hostByte: 7, status: 0 })).toEqual({ serviceResponse: 1, status: DeliveryStatus.DeliveryFailure });
  });
});

describe('Linux SCSI tracepoint text: damage and detection', () => {
  it('reports a damaged line with its byte offset and reads on', () => {
    const text = fixture('6.6-tracefs').toString().replace('raw=88 00', 'raw=88 0');
    const lines = text.split('\n');
    const bad = lines.findIndex((l) => l.includes('raw=88 0 '));
    const stats = newReadStats();
    const evs = decodeFtrace(text.replace('raw=88 0 ', 'raw=88 0g '), stats);
    const diags = evs.filter((e) => e.kind === 'diagnostic');
    expect(diags).toHaveLength(1);
    const offset = Buffer.byteLength(lines.slice(0, bad).join('\n')) + 1;
    expect(diags[0]!.message).toBe(`at byte 0x${offset.toString(16)}: scsi_dispatch_cmd_start: "0g" in the CDB is not a hex byte; line skipped`);
    expect(stats.skippedRecords).toBe(1);
    // Its done line has no dispatch now: a note, and the other tasks are intact.
    expect(tasksOf(evs).done).toHaveLength(5);
  });

  it('skips an over-long line without holding it in memory', () => {
    const text = `# tracer: nop\n${'x'.repeat(1_100_000)}\n${fixture('6.6-tracefs').toString().split('\n').slice(12).join('\n')}`;
    const evs = decodeFtrace(text);
    const diags = evs.filter((e) => e.kind === 'diagnostic');
    expect(diags.map((d) => d.message)).toEqual(['at byte 0xe: line of 1100001 bytes is too long for a trace line; skipped']);
    expect(tasksOf(evs).done).toHaveLength(6);
  });

  it('says so when a trace has no SCSI events', () => {
    const evs = decodeFtrace('# tracer: nop\n#\n  dd-1 [000] 1.000000: block_rq_issue: 8,0 R 4096 () 0 + 8 [dd]\n');
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ kind: 'diagnostic', fatal: false });
  });

  it('is detected from content: the fixtures yes, native traces and other text no', () => {
    for (const name of ['3.10-tracefs', '5.10-trace-cmd', '6.1-perf', '6.6-tracefs']) expect(ftraceFormat.sniff(fixture(name))).toBe(true);
    expect(ftraceFormat.sniff(buildTraceBytes((b) => b.task({ cdb: rw10(false, 0, 1) })))).toBe(false);
    expect(ftraceFormat.sniff(Buffer.from('hello\nworld\nscsi_dispatch_cmd_start is a tracepoint\n'))).toBe(false);
    expect(ftraceFormat.sniff(Buffer.from('{"eventMessage":"x"}\n'))).toBe(false);
  });

  it('is what openTrace picks for each fixture, with the same events as decodeFtrace', async () => {
    for (const name of ['3.10-tracefs', '5.10-trace-cmd', '6.1-perf', '6.6-tracefs']) {
      const url = new URL(`../../../traces/linux-ftrace-fixture-${name}.txt`, import.meta.url);
      const opened = await openTrace(fileURLToPath(url));
      expect(opened.format.id).toBe('ftrace');
      const evs: TraceEvent[] = [];
      for await (const batch of opened.events) evs.push(...batch);
      expect(evs).toEqual(decodeFtrace(fixture(name)));
      expect(opened.stats.records).toBe(
        fixture(name)
          .toString()
          .split('\n')
          .filter((l) => /: (scsi:)?scsi_(dispatch_cmd_\w+|eh_wakeup):/.test(l)).length,
      );
    }
  });

  it('a timeout the driver recovers from ends with the real completion; one the error handler takes back ends at the timeout', () => {
    const line = (t: string, ev: string, tail = '') =>
      `  kworker/0:1H-37  [000] .....  ${t}: scsi_dispatch_cmd_${ev}: host_no=0 channel=0 id=0 lun=1 data_sgl=1 prot_sgl=0 prot_op=SCSI_PROT_NORMAL driver_tag=3 scheduler_tag=1 cmnd=(READ_10 lba=64 txlen=8 protect=0 raw=28 00 00 00 00 40 00 00 08 00)${tail}`;
    const good = ' result=(driver=DRIVER_OK host=DID_OK message=COMMAND_COMPLETE status=SAM_STAT_GOOD)';
    // virtio-scsi resets the timer: the command completes GOOD after its timeout.
    const recovered = decodeFtrace([line('10.000000', 'start'), line('12.000000', 'timeout', good), line('13.000000', 'done', good)].join('\n'));
    expect(recovered.map((e) => e.kind)).toEqual(['header', 'note', 'submit', 'hba', 'complete']);
    expect(tasksOf(recovered).done.map((t) => [t.complete!.serviceResponse, t.complete!.status, t.latencyNs])).toEqual([[2, 0, 3_000_000_000]]);
    // usb-storage: the error handler aborts and dispatches again; the first attempt has no done line.
    const retried = decodeFtrace(
      [line('10.000000', 'start'), line('12.000000', 'timeout', good), line('20.000000', 'start'), line('22.000000', 'timeout', good)].join('\n'),
    );
    const t = tasksOf(retried);
    expect(t.done.map((x) => [x.complete!.status, x.latencyNs])).toEqual([
      [DeliveryStatus.TaskTimeoutOccurred, 2_000_000_000],
      [DeliveryStatus.TaskTimeoutOccurred, 2_000_000_000],
    ]);
    expect(t.open).toEqual([]);
  });

  it('names the layout from start lines alone when no completion comes soon, without holding more than 4096 events', () => {
    const start = (i: number) =>
      `  fio-1  [000] .....  ${(100 + i / 1000).toFixed(6)}: scsi_dispatch_cmd_start: host_no=0 channel=0 id=0 lun=0 data_sgl=1 prot_sgl=0 prot_op=SCSI_PROT_NORMAL driver_tag=${i % 64} scheduler_tag=-1 cmnd=(READ_10 lba=${i} txlen=8 protect=0 raw=28 00 00 00 ${(i >> 8).toString(16).padStart(2, '0')} ${(i & 255).toString(16).padStart(2, '0')} 00 00 08 00)`;
    const lines = Array.from({ length: 5000 }, (_, i) => start(i));
    const dec = new FtraceDecoder();
    const first = dec.push(Buffer.from(lines.slice(0, 4200).join('\n') + '\n'));
    // Header and the held events came out once 4096 were waiting.
    expect(first[0]).toMatchObject({ kind: 'header', version: 'linux-6.0+' });
    // (The last line waits for the next one, which may continue it: see the wrapped-text tests.)
    expect(first.filter((e) => e.kind === 'submit')).toHaveLength(4199);
    const rest = dec.end(dec.push(Buffer.from(lines.slice(4200).join('\n'))));
    expect(rest.filter((e) => e.kind === 'header')).toHaveLength(0);
    expect(rest.filter((e) => e.kind === 'submit')).toHaveLength(801);
  });
});
