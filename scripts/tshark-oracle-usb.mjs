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
import { writeFileSync } from 'node:fs';
import { SCSI_CDB_FIELDS, epochNs, readFields, scsiCdbOf } from './tshark-fields.mjs';

const [capture, outPath] = process.argv.slice(2);
if (!capture) {
  process.stderr.write('usage: node scripts/tshark-oracle-usb.mjs CAPTURE.pcap [OUT.jsonl]\n');
  process.exit(2);
}

// The SCSI CDB fields (opcode, service action, LBA, length) are those of tshark-fields.mjs.
const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'usbms.dCBWSignature',
  'usbms.dCBWTag',
  'usbms.dCBWLUN',
  'usbms.dCSWSignature',
  'uasp.iu_id',
  'uasp.tag',
  'scsi.lun',
  'scsi.request_frame',
  'scsi.status',
  'scsi.sns.key',
  'scsi.sns.asc',
  'scsi.sns.ascq',
  ...SCSI_CDB_FIELDS,
];

const { frames, toNumber, first } = readFields(capture, FIELDS, ['-2', '-Y', 'usbms || uasp || scsi']);

const commands = new Map(); // request frame number -> record
const order = [];
for (const f of frames) {
  const frameNo = Number(f['frame.number']);
  const iuId = toNumber('uasp.iu_id', f['uasp.iu_id']);
  const isBotCommand = f['usbms.dCBWSignature'] !== '';
  const isUasCommand = iuId === 1;
  if (isBotCommand || isUasCommand) {
    const record = {
      frame: frameNo,
      responseFrame: null,
      tag: isBotCommand ? toNumber('usbms.dCBWTag', f['usbms.dCBWTag']) : toNumber('uasp.tag', f['uasp.tag']),
      lun: isBotCommand ? toNumber('usbms.dCBWLUN', f['usbms.dCBWLUN']) : toNumber('scsi.lun', f['scsi.lun']),
      ...scsiCdbOf(f, first, toNumber),
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
