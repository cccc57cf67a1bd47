/**
 * A binary scsi:* tracepoint record → the same ScsiTraceLine the text of that event parses
 * to (formats/ftrace/parse.ts), read field by field through the event's own format from the
 * file (include/trace/events/scsi.h TP_STRUCT__entry): host_no, channel, id, lun, cmd_len,
 * data_sglen, prot_sglen, prot_op, driver_tag and scheduler_tag (6.0 on), cmnd (a dynamic
 * array), result (done/timeout), sense_key/asc/ascq (6.5 on), rtn (error). The ftrace reader
 * then turns these into tasks exactly as it does for text. This is the one place where a
 * trace.dat record becomes event data.
 */
import { MAX_CDB_LENGTH } from '../native/layout.js';
import { resultOfInt, SCSI_TRACE_EVENTS, type ScsiTraceLine } from '../ftrace/parse.js';
import type { EventFormat, RecordReader } from './event-format.js';

/** include/scsi/scsi_cmnd.h enum scsi_prot_operations, as scsi.h's __print_symbolic names it. */
const PROT_OP = ['SCSI_PROT_NORMAL', 'SCSI_PROT_READ_INSERT', 'SCSI_PROT_WRITE_STRIP', 'SCSI_PROT_READ_STRIP', 'SCSI_PROT_WRITE_INSERT', 'SCSI_PROT_READ_PASS', 'SCSI_PROT_WRITE_PASS'];

/** Whether a format is one of the SCSI tracepoints this reader maps. */
export function isScsiEvent(f: EventFormat): boolean {
  return f.system === 'scsi' && Object.hasOwn(SCSI_TRACE_EVENTS, f.name);
}

/** The record's fields as the text would show them; a string says what is missing or wrong. */
export function scsiTraceLine(f: EventFormat, rec: DataView, reader: RecordReader, timestamp: bigint): ScsiTraceLine | string {
  const kind = SCSI_TRACE_EVENTS[f.name]!;
  const num = (name: string): number | undefined => {
    const field = f.fields.get(name);
    return field ? reader.number(rec, field) : undefined;
  };
  const seconds = Number(timestamp / 1_000_000_000n);
  const nanos = Number(timestamp % 1_000_000_000n);
  const host = num('host_no');
  if (host === undefined) return `${f.name}: no host_no field in the record`;
  if (kind === 'eh_wakeup') return { kind, seconds, nanos, host, channel: 0, id: 0, lun: 0 };
  const channel = num('channel');
  const id = num('id');
  const lun = num('lun');
  if (channel === undefined || id === undefined || lun === undefined) return `${f.name}: no channel, id or lun field in the record`;
  const out: ScsiTraceLine = { kind, seconds, nanos, host, channel, id, lun };
  const driverTag = num('driver_tag');
  if (driverTag !== undefined) out.driverTag = driverTag;
  const schedulerTag = num('scheduler_tag');
  if (schedulerTag !== undefined) out.schedulerTag = schedulerTag;
  const dataSgl = num('data_sglen');
  if (dataSgl !== undefined) out.dataSgl = dataSgl;
  const protSgl = num('prot_sglen');
  if (protSgl !== undefined) out.protSgl = protSgl;
  const protOp = num('prot_op');
  if (protOp !== undefined) out.protOp = PROT_OP[protOp] ?? `0x${protOp.toString(16)}`;

  const cmndField = f.fields.get('cmnd');
  if (!cmndField) return `${f.name}: no cmnd field in the format`;
  const cmnd = reader.bytes(rec, cmndField);
  if (typeof cmnd === 'string') return `${f.name}: ${cmnd}`;
  const cmdLen = num('cmd_len');
  // A fixed-size array (old kernels) holds cmd_len bytes of CDB; a dynamic array holds the CDB.
  const cdb = cmndField.kind === 'array' && cmdLen !== undefined && cmdLen <= cmnd.length ? cmnd.subarray(0, cmdLen) : cmnd;
  if (cdb.length === 0) return `${f.name}: empty CDB`;
  if (cdb.length > MAX_CDB_LENGTH) return `${f.name}: CDB of ${cdb.length} bytes exceeds ${MAX_CDB_LENGTH}`;
  if (cmdLen !== undefined && cmdLen !== cdb.length) return `${f.name}: cmd_len=${cmdLen} but the CDB has ${cdb.length} bytes`;
  out.cdbHex = Buffer.from(cdb.buffer, cdb.byteOffset, cdb.length).toString('hex');

  if (kind === 'done' || kind === 'timeout') {
    const result = num('result');
    if (result === undefined) return `${f.name}: no result field in the record`;
    out.result = resultOfInt(result);
    const key = num('sense_key');
    const asc = num('asc');
    const ascq = num('ascq');
    if (key !== undefined && asc !== undefined && ascq !== undefined) out.sense = { key, asc, ascq };
  } else if (kind === 'error') {
    const rtn = num('rtn');
    if (rtn === undefined) return `${f.name}: no rtn field in the record`;
    out.rtn = rtn;
  }
  return out;
}
