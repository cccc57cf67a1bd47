// Shared by the field-based tshark oracles (tshark-oracle-usb.mjs, tshark-oracle-fcp.mjs): run
// tshark once with -T fields, read its values as numbers, and pick the SCSI CDB fields tshark
// 4.0 uses for opcode, service action, LBA and length (checked against `tshark -G fields` and
// PDML of real captures). Numbers beyond 2^53 are decimal strings.
import { spawnSync } from 'node:child_process';

// WRITE SAME(10)'s NUMBER OF LOGICAL BLOCKS is shown by tshark as scsi_sbc.alloclen16
// ("Allocation Length"); it is used only for 0x41.
export const LBA_FIELDS = [
  'scsi_sbc.rdwr6.lba',
  'scsi_sbc.rdwr10.lba',
  'scsi_sbc.rdwr16.lba',
  'scsi_sbc.verify.lba',
  'scsi_sbc.verify.lba64',
  'scsi_sbc.wrverify.lba',
  'scsi_sbc.wrverify.lba64',
  'scsi_sbc.lba64_add',
  'scsi_sbc.get_lba_status.start_lba',
];
export const LENGTH_FIELDS = [
  'scsi_sbc.rdwr6.xferlen',
  'scsi_sbc.rdwr10.xferlen',
  'scsi_sbc.rdwr12.xferlen',
  'scsi_sbc.verify.vlen',
  'scsi_sbc.verify.vlen32',
  'scsi_sbc.wrverify.xferlen',
  'scsi_sbc.wrverify.xferlen32',
];
const WRITE_SAME_10 = 0x41;
export const SERVICE_ACTION_FIELDS = [
  'scsi_sbc.sa',
  'scsi.mpi.service_action',
  'scsi.persresvin.svcaction',
  'scsi.persresvout.svcaction',
  'scsi.extcopy.service_action',
  'scsi.recv_copy.service_action',
  'scsi.spc.svcaction',
];
export const OPCODE_FIELDS = ['scsi_sbc.opcode', 'scsi.spc.opcode'];
/** Every field scsiCdbOf() reads. */
export const SCSI_CDB_FIELDS = [...OPCODE_FIELDS, ...SERVICE_ACTION_FIELDS, ...LBA_FIELDS, ...LENGTH_FIELDS, 'scsi_sbc.alloclen16'];

export function run(args) {
  const result = spawnSync(process.env.TSHARK || 'tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.error) throw new Error(`cannot run tshark: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * Runs `tshark -r capture [extra] -T fields` for `fields`, first occurrence of each, and returns
 * one object per frame (field name -> text) plus a converter to numbers that knows which fields
 * are FT_BYTES (READ(16)'s LBA and FC addresses print as bare or dotted hex).
 */
export function readFields(capture, fields, extra) {
  const byteFields = new Set();
  for (const line of run(['-G', 'fields']).split('\n')) {
    const cols = line.split('\t');
    if (cols[0] === 'F' && fields.includes(cols[2]) && cols[3] === 'FT_BYTES') byteFields.add(cols[2]);
  }
  const toNumber = (field, text) => {
    if (text === undefined || text === '') return null;
    let value;
    if (byteFields.has(field)) value = BigInt('0x' + text.replace(/[:.]/g, ''));
    else if (/^0x[0-9a-f]+$/i.test(text)) value = BigInt(text);
    else if (/^-?\d+$/.test(text)) value = BigInt(text);
    else throw new Error(`${field}: unexpected value ${JSON.stringify(text)}`);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  };
  const args = ['-r', capture, ...extra, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])];
  const frames = run(args)
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const cols = line.split('\t');
      return Object.fromEntries(fields.map((f, i) => [f, cols[i] ?? '']));
    });
  const first = (frame, names) => {
    for (const name of names) {
      const value = toNumber(name, frame[name]);
      if (value !== null) return value;
    }
    return null;
  };
  return { frames, toNumber, first };
}

/** The CDB fields of a command frame, named as the oracles' records name them. */
export function scsiCdbOf(frame, first, toNumber) {
  const opcode = first(frame, OPCODE_FIELDS);
  return {
    opcode,
    serviceAction: first(frame, SERVICE_ACTION_FIELDS),
    lba: first(frame, LBA_FIELDS),
    transferLength: opcode === WRITE_SAME_10 ? toNumber('scsi_sbc.alloclen16', frame['scsi_sbc.alloclen16']) : first(frame, LENGTH_FIELDS),
  };
}

// "1795479884.978791000" -> nanoseconds as BigInt, without going through a float
export function epochNs(text) {
  const [sec, frac = ''] = text.split('.');
  return BigInt(sec) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}
