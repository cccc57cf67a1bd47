/**
 * trace.dat files of kernels other than the captures' 6.1: the reader takes every field from
 * the event formats in the file, so the Linux 5.10 layout (no tags, no sense), the 6.6 layout
 * (driver_tag, sense_key/asc/ascq) and a big-endian file read to the same tasks.
 */
import { describe, expect, it } from 'vitest';
import { fixedSense } from '../../../src/formats/ftrace/reader.js';
import { decodeTraceDat } from '../../../src/formats/tracedat/reader.js';
import { SamStatus, ServiceResponse, type TraceEvent } from '../../../src/model/events.js';
import { tasksOf } from '../ftrace/tasks.js';
import { buildTraceDat, type EventSpec, type FieldSpec, type FormatSpec } from './build.js';

const u32 = (name: string): FieldSpec => [name, `unsigned int ${name}`, 4];
const s32 = (name: string): FieldSpec => [name, `int ${name}`, 4, true];
const u8 = (name: string): FieldSpec => [name, `unsigned char ${name}`, 1];
const cmnd: FieldSpec = ['cmnd', '__data_loc unsigned char[] cmnd', 4];
const where = [u32('host_no'), u32('channel'), u32('id'), u32('lun')];

/** include/trace/events/scsi.h TP_STRUCT__entry as of Linux 5.10 and 6.6. */
function formats(kernel: '5.10' | '6.6'): { start: FormatSpec; done: FormatSpec } {
  const tags = kernel === '6.6' ? [s32('driver_tag'), s32('scheduler_tag')] : [];
  const tail = [u32('data_sglen'), u32('prot_sglen'), u8('prot_op'), cmnd];
  return {
    start: { system: 'scsi', name: 'scsi_dispatch_cmd_start', id: 1443, fields: [...where, u32('opcode'), u32('cmd_len'), ...tags, ...tail] },
    done: {
      system: 'scsi',
      name: 'scsi_dispatch_cmd_done',
      id: 1445,
      fields: [...where, s32('result'), u32('opcode'), u32('cmd_len'), ...tags, ...tail, ...(kernel === '6.6' ? [u8('sense_key'), u8('asc'), u8('ascq')] : [])],
    },
  };
}

const OTHER: FormatSpec = { system: 'block', name: 'block_rq_issue', id: 1200, fields: [u32('dev'), u32('sector')] };
const READ10 = [0x28, 0, 0, 0, 0x10, 0, 0, 0, 8, 0];
const TUR = [0, 0, 0, 0, 0, 0];

function trace(kernel: '5.10' | '6.6', bigEndian = false): Uint8Array {
  const f = formats(kernel);
  const at = { host_no: 2, channel: 0, id: 1, lun: 0 };
  const ev = (ts: bigint, format: FormatSpec, values: Record<string, number>, cdb: number[]): EventSpec => ({
    ts,
    format,
    values: { ...at, opcode: cdb[0]!, cmd_len: cdb.length, ...values },
    cmnd: cdb,
  });
  const tag = (t: number): Record<string, number> => (kernel === '6.6' ? { driver_tag: t, scheduler_tag: -1 } : {});
  const sense = (k: number, a: number, q: number): Record<string, number> => (kernel === '6.6' ? { sense_key: k, asc: a, ascq: q } : {});
  return buildTraceDat({
    bigEndian,
    formats: [f.start, f.done, OTHER],
    pages: [
      {
        absoluteFirst: true,
        events: [
          ev(1_000_000_000n, f.start, { ...tag(5), data_sglen: 1 }, READ10),
          { ts: 1_000_000_500n, format: OTHER, values: { dev: 8, sector: 16 } },
          // CHECK CONDITION, MEDIUM ERROR 11/00
          ev(1_000_002_000n, f.done, { ...tag(5), result: 0x02, ...sense(3, 0x11, 0) }, READ10),
          // 4 s later: a time extend
          ev(5_000_000_000n, f.start, tag(6), TUR),
        ],
      },
      { lost: 7, events: [ev(5_000_100_000n, f.done, { ...tag(6), result: 0, ...sense(0, 0, 0) }, TUR)] },
    ],
  });
}

function view(evs: TraceEvent[]) {
  return tasksOf(evs).done.map(({ submit: s, complete: c }) => ({
    target: s.targetLabel,
    cdb: Buffer.from(s.cdb).toString('hex'),
    tag: s.tag,
    start: s.timeNs,
    end: c!.timeNs,
    response: c!.serviceResponse,
    status: c!.status,
    sense: Buffer.from(c!.sense).toString('hex'),
  }));
}

describe('trace.dat of other kernels', () => {
  it('Linux 6.6 layout: tags and sense key/ASC/ASCQ from their fields', async () => {
    const evs = await decodeTraceDat(trace('6.6'));
    expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    expect(view(evs)).toEqual([
      {
        target: '2:0:1',
        cdb: Buffer.from(READ10).toString('hex'),
        tag: 5n,
        start: 0,
        end: 2000,
        response: ServiceResponse.TaskComplete,
        status: SamStatus.CheckCondition,
        sense: Buffer.from(fixedSense(3, 0x11, 0)).toString('hex'),
      },
      {
        target: '2:0:1',
        cdb: Buffer.from(TUR).toString('hex'),
        tag: 6n,
        start: 4_000_000_000,
        end: 4_000_100_000,
        response: ServiceResponse.TaskComplete,
        status: SamStatus.Good,
        sense: '',
      },
    ]);
    expect(evs.find((e) => e.kind === 'header')).toMatchObject({ version: '6; linux-6.5+' });
    expect(evs.find((e) => e.kind === 'gap')).toMatchObject({ lost: 7, timeNs: 4_000_100_000 });
  });

  it('Linux 5.10 layout: no tags, no sense; the same commands', async () => {
    const evs = await decodeTraceDat(trace('5.10'));
    expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    const v = view(evs);
    expect(v.map((t) => [t.cdb, t.status, t.sense, t.start, t.end])).toEqual([
      [Buffer.from(READ10).toString('hex'), SamStatus.CheckCondition, '', 0, 2000],
      [Buffer.from(TUR).toString('hex'), SamStatus.Good, '', 4_000_000_000, 4_000_100_000],
    ]);
    expect(evs.find((e) => e.kind === 'header')).toMatchObject({ version: '6; linux-2.6.36-5.19' });
  });

  it('a big-endian file reads to the same tasks', async () => {
    expect(view(await decodeTraceDat(trace('6.6', true)))).toEqual(view(await decodeTraceDat(trace('6.6'))));
  });

  it('counts events of other systems as unknown records, by name', async () => {
    const { newReadStats } = await import('../../../src/model/stats.js');
    const stats = newReadStats();
    await decodeTraceDat(trace('6.6'), stats);
    expect(stats.unknownTypes.get('block:block_rq_issue')).toBe(1);
    expect(stats.records).toBe(4);
  });
});

describe('trace.dat options and latency traces', () => {
  it('a CPU whose ring buffer overran becomes a capture gap; the clock is named', async () => {
    const f = formats('6.6');
    const cpustat = Buffer.from(
      'CPU: 0\nentries: 2\noverrun: 40\ncommit overrun: 0\nbytes: 0\noldest event ts: 1.0\nnow ts: 2.0\ndropped events: 2\nread events: 2\n\0',
    );
    const file = buildTraceDat({
      formats: [f.start, f.done],
      options: [
        [4, Buffer.from('local [global] counter\0')],
        [2, cpustat],
      ],
      pages: [
        {
          events: [
            {
              ts: 1_000_000_000n,
              format: f.start,
              values: { host_no: 0, channel: 0, id: 0, lun: 0, opcode: 0, cmd_len: 6, driver_tag: 1, scheduler_tag: -1 },
              cmnd: TUR,
            },
          ],
        },
      ],
    });
    const evs = await decodeTraceDat(file);
    expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    expect(evs.find((e) => e.kind === 'gap')).toMatchObject({
      lost: 42,
      detail: 'ring buffer CPU: 0: 42 events overwritten or dropped before trace-cmd read them',
    });
    expect(evs.find((e) => e.kind === 'header')).toMatchObject({ producer: expect.stringContaining('clock global') });
  });

  it('a latency trace (the trace as text) is read as tracepoint text', async () => {
    const text =
      '# tracer: nop\n' +
      '  kworker/0:1-25 [000] d..1 7.996382: scsi_dispatch_cmd_start: host_no=0 channel=0 id=0 lun=0 data_sgl=1 prot_sgl=0 prot_op=SCSI_PROT_NORMAL driver_tag=128 scheduler_tag=-1 cmnd=(INQUIRY - raw=12 00 00 00 24 00)\n' +
      '  <idle>-0 [000] d.h1 8.002677: scsi_dispatch_cmd_done: host_no=0 channel=0 id=0 lun=0 data_sgl=1 prot_sgl=0 prot_op=SCSI_PROT_NORMAL driver_tag=128 scheduler_tag=-1 cmnd=(INQUIRY - raw=12 00 00 00 24 00) result=(driver=DRIVER_OK host=DID_OK message=COMMAND_COMPLETE status=SAM_STAT_GOOD)\n';
    const f = formats('6.6');
    const evs = await decodeTraceDat(buildTraceDat({ formats: [f.start, f.done], pages: [], latency: text }));
    expect(view(evs)).toEqual([
      { target: '0:0:0', cdb: '120000002400', tag: 128n, start: 0, end: 6_295_000, response: ServiceResponse.TaskComplete, status: SamStatus.Good, sense: '' },
    ]);
  });
});
