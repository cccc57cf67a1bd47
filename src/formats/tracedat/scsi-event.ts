/**
 * A binary scsi:* tracepoint record → the same ScsiTraceLine the text of that event parses
 * to (formats/ftrace/parse.ts), read field by field through the event's own format from the
 * file (include/trace/events/scsi.h TP_STRUCT__entry): host_no, channel, id, lun, cmd_len,
 * data_sglen, prot_sglen, prot_op, driver_tag and scheduler_tag (6.0 on), cmnd (a dynamic
 * array), result (done/timeout), sense_key/asc/ascq (6.5 on), rtn (error). The mapping from
 * fields to a line is the text's own (scsiTraceLineOf), and the ftrace reader then turns lines
 * into tasks exactly as it does for text. This is the one place where a trace.dat record
 * becomes event data.
 */
import { MAX_CDB_LENGTH } from '../native/layout.js';
import { resultOfInt, SCSI_TRACE_EVENTS, scsiTraceLineOf, type ScsiTraceLine } from '../ftrace/parse.js';
import type { EventFormat, RecordReader } from './event-format.js';

/** include/scsi/scsi_cmnd.h enum scsi_prot_operations, as scsi.h's __print_symbolic names it. */
const PROT_OP = [
  'SCSI_PROT_NORMAL',
  'SCSI_PROT_READ_INSERT',
  'SCSI_PROT_WRITE_STRIP',
  'SCSI_PROT_READ_STRIP',
  'SCSI_PROT_WRITE_INSERT',
  'SCSI_PROT_READ_PASS',
  'SCSI_PROT_WRITE_PASS',
];

/** Whether a format is one of the SCSI tracepoints this reader maps. */
export function isScsiEvent(f: EventFormat): boolean {
  return f.system === 'scsi' && Object.hasOwn(SCSI_TRACE_EVENTS, f.name);
}

/** The record's fields as the text would show them; a string says what is missing or wrong. */
export function scsiTraceLine(f: EventFormat, rec: DataView, reader: RecordReader, timestamp: bigint): ScsiTraceLine | string {
  const num = (name: string): number | undefined => {
    const field = f.fields.get(name);
    return field ? reader.number(rec, field) : undefined;
  };
  return scsiTraceLineOf(f.name, Number(timestamp / 1_000_000_000n), Number(timestamp % 1_000_000_000n), {
    number: num,
    protOp: () => {
      const op = num('prot_op');
      return op === undefined ? undefined : (PROT_OP[op] ?? `0x${op.toString(16)}`);
    },
    cdb: () => {
      const field = f.fields.get('cmnd');
      if (!field) return '!no cmnd=';
      const cmnd = reader.bytes(rec, field);
      if (typeof cmnd === 'string') return `!${cmnd}`;
      // A fixed-size array holds cmd_len bytes of CDB; a dynamic array holds the CDB.
      const cmdLen = num('cmd_len');
      const cdb = field.kind === 'array' && cmdLen !== undefined && cmdLen <= cmnd.length ? cmnd.subarray(0, cmdLen) : cmnd;
      if (cdb.length === 0) return '!empty CDB';
      if (cdb.length > MAX_CDB_LENGTH) return `!CDB of ${cdb.length} bytes exceeds ${MAX_CDB_LENGTH}`;
      return Buffer.from(cdb.buffer, cdb.byteOffset, cdb.length).toString('hex');
    },
    result: () => {
      const r = num('result');
      return r === undefined ? undefined : resultOfInt(r);
    },
    sense: () => undefined,
  });
}
