#!/usr/bin/env node
// Reference decode of a USB mass-storage capture (usbmon-style pcap, e.g. from QEMU's pcap=
// device property) by tshark, written as JSON Lines: one object per SCSI command, in capture
// order, with the field names of scripts/tshark-oracle.mjs (the iSCSI oracle), so a scsitrace
// reader can be compared against Wireshark's view of the same bytes.
//
//   node scripts/tshark-oracle-usb.mjs CAPTURE.pcap [OUT.jsonl]
//
// Commands are USB MSC Bulk-Only Transport CBWs (usbms.dCBWSignature present) and UAS Command
// IUs (uasp.iu_id == 1). A command's response is the frame tshark links back to it with
// scsi.request_frame that is a CSW (BOT) or a Sense/Response IU (UAS, IU IDs 3/4); data
// frames are not responses. Sense fields come from any frame tshark links to the command that
// carries decoded sense data: for UAS that is the Sense IU; for BOT it is the data-in of a
// REQUEST SENSE (BOT has no sense in the CSW, so the failed command itself has none).
// status is tshark's scsi.status in the response frame; for BOT tshark derives it from
// dCSWStatus (0 -> 0x00 GOOD, otherwise 0x02 CHECK CONDITION).
// Numbers beyond 2^53 are written as decimal strings.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const [capture, outPath] = process.argv.slice(2);
if (!capture) {
  process.stderr.write('usage: node scripts/tshark-oracle-usb.mjs CAPTURE.pcap [OUT.jsonl]\n');
  process.exit(2);
}

// LBA and block-count fields as tshark 4.0 names them, per CDB layout (checked against
// `tshark -G fields` and PDML of real captures). WRITE SAME(10)'s NUMBER OF LOGICAL BLOCKS is
// shown by tshark as scsi_sbc.alloclen16 ("Allocation Length"); it is used only for 0x41.
const LBA_FIELDS = [
  'scsi_sbc.rdwr6.lba', 'scsi_sbc.rdwr10.lba', 'scsi_sbc.rdwr16.lba',
  'scsi_sbc.verify.lba', 'scsi_sbc.verify.lba64', 'scsi_sbc.wrverify.lba',
  'scsi_sbc.wrverify.lba64', 'scsi_sbc.lba64_add', 'scsi_sbc.get_lba_status.start_lba',
];
const LENGTH_FIELDS = [
  'scsi_sbc.rdwr6.xferlen', 'scsi_sbc.rdwr10.xferlen', 'scsi_sbc.rdwr12.xferlen',
  'scsi_sbc.verify.vlen', 'scsi_sbc.verify.vlen32', 'scsi_sbc.wrverify.xferlen',
  'scsi_sbc.wrverify.xferlen32',
];
const WRITE_SAME_10 = 0x41;
const SERVICE_ACTION_FIELDS = [
  'scsi_sbc.sa', 'scsi.mpi.service_action', 'scsi.persresvin.svcaction', 'scsi.persresvout.svcaction',
  'scsi.extcopy.service_action', 'scsi.recv_copy.service_action', 'scsi.spc.svcaction',
];
const OPCODE_FIELDS = ['scsi_sbc.opcode', 'scsi.spc.opcode'];

const FIELDS = [
  'frame.number', 'frame.time_epoch',
  'usbms.dCBWSignature', 'usbms.dCBWTag', 'usbms.dCBWLUN', 'usbms.dCSWSignature',
  'uasp.iu_id', 'uasp.tag', 'scsi.lun',
  ...OPCODE_FIELDS, ...SERVICE_ACTION_FIELDS,
  'scsi.request_frame', 'scsi.status', 'scsi.sns.key', 'scsi.sns.asc', 'scsi.sns.ascq',
  ...LBA_FIELDS, ...LENGTH_FIELDS, 'scsi_sbc.alloclen16',
];

function run(args) {
  const result = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.error) throw new Error(`cannot run tshark: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

// FT_BYTES fields (e.g. the 8-byte LBA of READ(16)) print as bare hex; learn which are.
const byteFields = new Set();
for (const line of run(['-G', 'fields']).split('\n')) {
  const cols = line.split('\t');
  if (cols[0] === 'F' && FIELDS.includes(cols[2]) && cols[3] === 'FT_BYTES') byteFields.add(cols[2]);
}

function toNumber(field, text) {
  if (text === undefined || text === '') return null;
  let value;
  if (byteFields.has(field)) value = BigInt('0x' + text.replace(/:/g, ''));
  else if (/^0x[0-9a-f]+$/i.test(text)) value = BigInt(text);
  else if (/^-?\d+$/.test(text)) value = BigInt(text);
  else throw new Error(`${field}: unexpected value ${JSON.stringify(text)}`);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

// "1795479884.978791000" -> nanoseconds as BigInt, without going through a float
function epochNs(text) {
  const [sec, frac = ''] = text.split('.');
  return BigInt(sec) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

const args = ['-2', '-r', capture, '-Y', 'usbms || uasp || scsi', '-T', 'fields',
  '-E', 'separator=/t', '-E', 'occurrence=f', ...FIELDS.flatMap((f) => ['-e', f])];
const frames = run(args).split('\n').filter(Boolean).map((line) => {
  const cols = line.split('\t');
  return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? '']));
});

const first = (frame, names) => {
  for (const name of names) {
    const value = toNumber(name, frame[name]);
    if (value !== null) return value;
  }
  return null;
};

const commands = new Map(); // request frame number -> record
const order = [];
for (const f of frames) {
  const frameNo = Number(f['frame.number']);
  const iuId = toNumber('uasp.iu_id', f['uasp.iu_id']);
  const isBotCommand = f['usbms.dCBWSignature'] !== '';
  const isUasCommand = iuId === 1;
  if (isBotCommand || isUasCommand) {
    const opcode = first(f, OPCODE_FIELDS);
    const record = {
      frame: frameNo,
      responseFrame: null,
      tag: isBotCommand ? toNumber('usbms.dCBWTag', f['usbms.dCBWTag']) : toNumber('uasp.tag', f['uasp.tag']),
      lun: isBotCommand ? toNumber('usbms.dCBWLUN', f['usbms.dCBWLUN']) : toNumber('scsi.lun', f['scsi.lun']),
      opcode,
      serviceAction: first(f, SERVICE_ACTION_FIELDS),
      lba: first(f, LBA_FIELDS),
      transferLength: opcode === WRITE_SAME_10
        ? toNumber('scsi_sbc.alloclen16', f['scsi_sbc.alloclen16'])
        : first(f, LENGTH_FIELDS),
      status: null,
      senseKey: null,
      asc: null,
      ascq: null,
      responseTimeNs: null,
    };
    record._time = epochNs(f['frame.time_epoch']);
    commands.set(frameNo, record);
    order.push(record);
    continue;
  }
  const requestFrame = toNumber('scsi.request_frame', f['scsi.request_frame']);
  const command = requestFrame === null ? undefined : commands.get(requestFrame);
  if (!command) continue;
  const isResponse = f['usbms.dCSWSignature'] !== '' || iuId === 3 || iuId === 4;
  if (isResponse && command.responseFrame === null) {
    command.responseFrame = frameNo;
    command.status = toNumber('scsi.status', f['scsi.status']);
    command.responseTimeNs = Number(epochNs(f['frame.time_epoch']) - command._time);
  }
  if (f['scsi.sns.key'] !== '' && command.senseKey === null) {
    command.senseKey = toNumber('scsi.sns.key', f['scsi.sns.key']);
    command.asc = toNumber('scsi.sns.asc', f['scsi.sns.asc']);
    command.ascq = toNumber('scsi.sns.ascq', f['scsi.sns.ascq']);
  }
}

const text = order.map(({ _time, ...record }) => JSON.stringify(record)).join('\n') + (order.length ? '\n' : '');
if (outPath) writeFileSync(outPath, text);
else process.stdout.write(text);
process.stderr.write(`${order.length} SCSI commands, ${order.filter((c) => c.responseFrame !== null).length} with a response\n`);
