#!/usr/bin/env node
// Reference decode of an FCoE capture by tshark, written as JSON Lines: one object per FCP_CMND
// (SCSI commands and task management functions), in capture order, with the field names of
// the other oracles (scripts/tshark-oracle.mjs, tshark-oracle-usb.mjs), then one object per ABTS.
//
//   node scripts/tshark-oracle-fcp.mjs CAPTURE [OUT.jsonl]
//
// Every value comes from a field tshark decodes (fc.*, fcp.*, scsi.*, fcoe.crc.status). tshark
// 4.0 does not link FCP responses to their commands in FCoE captures (fcp.request_in stays
// empty: it tracks one request per LUN per conversation), so the pairing is done here the way
// FCP-4 defines the exchange: FCP_RSP and FCP_CMND of one exchange share the OX_ID and the two
// ports, the responder's frames having F_CTL Exchange Context set (fc.fctl.exchange_responder).
import { writeFileSync } from 'node:fs';
import { SCSI_CDB_FIELDS, epochNs, readFields, scsiCdbOf } from './tshark-fields.mjs';

const [capture, outPath] = process.argv.slice(2);
if (!capture) {
  process.stderr.write('usage: node scripts/tshark-oracle-fcp.mjs CAPTURE [OUT.jsonl]\n');
  process.exit(2);
}

const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'fcoe.crc.status',
  'fc.r_ctl',
  'fc.type',
  'fc.s_id',
  'fc.d_id',
  'fc.ox_id',
  'fc.rx_id',
  'fc.fctl.exchange_responder',
  'fcp.lun',
  'fcp.multilun',
  'fcp.taskattr',
  'fcp.taskmgmt',
  'fcp.rddata',
  'fcp.wrdata',
  'fcp.dl',
  'fcp.rspflags',
  'fcp.status',
  'fcp.resid',
  'fcp.snslen',
  'fcp.rspcode',
  'scsi.sns.key',
  'scsi.sns.asc',
  'scsi.sns.ascq',
  'fc.bls_reason',
  ...SCSI_CDB_FIELDS,
];

const { frames, toNumber, first } = readFields(capture, FIELDS, ['-Y', 'fc']);

const R_CTL = { cmnd: 0x06, rsp: 0x07, abts: 0x81, baAcc: 0x84, baRjt: 0x85 };
const TYPE_FCP = 0x08;

const isTrue = (text) => text === '1' || text === 'True';
/** Initiator and target ports of a frame's exchange, and the key that names the exchange. */
function exchangeOf(f) {
  const s = toNumber('fc.s_id', f['fc.s_id']);
  const d = toNumber('fc.d_id', f['fc.d_id']);
  const responder = isTrue(f['fc.fctl.exchange_responder']);
  const initiator = responder ? d : s;
  const target = responder ? s : d;
  return { initiator, target, key: `${initiator}.${target}.${toNumber('fc.ox_id', f['fc.ox_id'])}` };
}
/** fcp.lun (single level) or the first level of fcp.multilun, as SAM-6 4.7 decodes it. */
function lunOf(f) {
  const single = toNumber('fcp.lun', f['fcp.lun']);
  if (single !== null) return single;
  const multi = f['fcp.multilun'].replace(/[:.]/g, '');
  if (!multi) return null;
  const b0 = parseInt(multi.slice(0, 2), 16);
  const b1 = parseInt(multi.slice(2, 4), 16);
  return ((b0 & 0x3f) << 8) | b1;
}

const open = new Map(); // exchange key -> record waiting for its FCP_RSP
const aborts = new Map(); // exchange key -> ABTS record waiting for BA_ACC / BA_RJT
const records = [];
const badCrc = [];
for (const f of frames) {
  const frameNo = Number(f['frame.number']);
  const time = epochNs(f['frame.time_epoch']);
  if (f['fcoe.crc.status'] !== '' && f['fcoe.crc.status'] !== '1') badCrc.push(frameNo);
  const rCtl = toNumber('fc.r_ctl', f['fc.r_ctl']);
  const type = toNumber('fc.type', f['fc.type']);
  const x = exchangeOf(f);
  if (rCtl === R_CTL.cmnd && type === TYPE_FCP) {
    const taskManagement = toNumber('fcp.taskmgmt', f['fcp.taskmgmt']) ?? 0;
    const record = {
      kind: taskManagement ? 'tmf' : 'command',
      frame: frameNo,
      responseFrame: null,
      oxId: toNumber('fc.ox_id', f['fc.ox_id']),
      initiator: x.initiator,
      target: x.target,
      lun: lunOf(f),
      taskManagement,
      fcpDl: toNumber('fcp.dl', f['fcp.dl']),
      ...(taskManagement ? { opcode: null, serviceAction: null, lba: null, transferLength: null } : scsiCdbOf(f, first, toNumber)),
      status: null,
      rspCode: null,
      residual: null,
      residualUnder: null,
      residualOver: null,
      senseKey: null,
      asc: null,
      ascq: null,
      responseTimeNs: null,
    };
    Object.defineProperty(record, '_time', { value: time, enumerable: false });
    open.set(x.key, record);
    records.push(record);
  } else if (rCtl === R_CTL.rsp && type === TYPE_FCP) {
    const record = open.get(x.key);
    if (!record) continue;
    open.delete(x.key);
    const flags = toNumber('fcp.rspflags', f['fcp.rspflags']) ?? 0;
    record.responseFrame = frameNo;
    record.status = toNumber('fcp.status', f['fcp.status']);
    record.rspCode = toNumber('fcp.rspcode', f['fcp.rspcode']);
    record.residual = toNumber('fcp.resid', f['fcp.resid']);
    record.residualUnder = (flags & 0x08) !== 0;
    record.residualOver = (flags & 0x04) !== 0;
    record.senseKey = toNumber('scsi.sns.key', f['scsi.sns.key']);
    record.asc = toNumber('scsi.sns.asc', f['scsi.sns.asc']);
    record.ascq = toNumber('scsi.sns.ascq', f['scsi.sns.ascq']);
    record.responseTimeNs = Number(time - record._time);
  } else if (rCtl === R_CTL.abts) {
    const record = {
      kind: 'abts',
      frame: frameNo,
      responseFrame: null,
      oxId: toNumber('fc.ox_id', f['fc.ox_id']),
      initiator: x.initiator,
      target: x.target,
      accepted: null,
      reason: null,
      responseTimeNs: null,
    };
    Object.defineProperty(record, '_time', { value: time, enumerable: false });
    aborts.set(x.key, record);
    records.push(record);
  } else if (rCtl === R_CTL.baAcc || rCtl === R_CTL.baRjt) {
    const record = aborts.get(x.key);
    if (!record) continue;
    aborts.delete(x.key);
    record.responseFrame = frameNo;
    record.accepted = rCtl === R_CTL.baAcc;
    record.reason = rCtl === R_CTL.baRjt ? toNumber('fc.bls_reason', f['fc.bls_reason']) : null;
    record.responseTimeNs = Number(time - record._time);
  }
}

const text = records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
if (outPath) writeFileSync(outPath, text);
else process.stdout.write(text);
const commands = records.filter((r) => r.kind === 'command');
process.stderr.write(
  `${commands.length} SCSI commands (${commands.filter((c) => c.responseFrame !== null).length} with FCP_RSP), ` +
    `${records.filter((r) => r.kind === 'tmf').length} task management, ${records.filter((r) => r.kind === 'abts').length} ABTS` +
    `${badCrc.length ? `; FC CRC not valid in frames ${badCrc.slice(0, 10).join(', ')}${badCrc.length > 10 ? ', ...' : ''}` : ''}\n`,
);
