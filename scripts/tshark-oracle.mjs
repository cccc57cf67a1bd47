#!/usr/bin/env node
// tshark-oracle: what Wireshark decodes in a capture, one JSON object per SCSI command.
//
//   node scripts/tshark-oracle.mjs [--proto iscsi] [--port N] <capture> > oracle.jsonl
//
// --port defaults to the destination port of most TCP SYNs in the capture (3260 if none).
//
// The output is the reference our own pcap readers are tested against; its format is an
// interface documented in docs/captures.md ("Oracle format"). No dependencies: Node >= 18 and
// tshark on PATH (or TSHARK=/path/to/tshark).
//
// Layout: the tshark JSON stream is split into packets and parsed by an order-preserving
// parser (tshark repeats keys such as "iscsi" and "scsi" when a frame holds several PDUs, which
// JSON.parse would collapse). Each protocol (PROTOCOLS below) says how to run tshark and turns
// packets into command records; everything else is shared. A `usb` entry can be added beside
// `iscsi` without touching the rest.
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Order-preserving JSON: objects become arrays of [key, value] pairs, in document order.

export function parseOrdered(text) {
  let pos = 0;
  const fail = (what) => {
    throw new Error(`tshark JSON: ${what} at character ${pos}`);
  };
  const skipWs = () => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos])) pos++;
  };
  const parseString = () => {
    const start = pos;
    pos++; // opening quote
    while (pos < text.length) {
      const c = text[pos];
      if (c === '\\') pos += 2;
      else if (c === '"') break;
      else pos++;
    }
    if (pos >= text.length) fail('unterminated string');
    pos++;
    return JSON.parse(text.slice(start, pos));
  };
  const parseValue = () => {
    skipWs();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const entries = [];
      skipWs();
      if (text[pos] === '}') {
        pos++;
        return entries;
      }
      for (;;) {
        skipWs();
        if (text[pos] !== '"') fail('expected a key');
        const key = parseString();
        skipWs();
        if (text[pos] !== ':') fail('expected ":"');
        pos++;
        entries.push([key, parseValue()]);
        skipWs();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          return entries;
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      pos++;
      const items = [];
      skipWs();
      if (text[pos] === ']') {
        pos++;
        return { array: items };
      }
      for (;;) {
        items.push(parseValue());
        skipWs();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') {
          pos++;
          return { array: items };
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return parseString();
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(pos, pos + 40));
    if (!m) fail('unexpected character');
    pos += m[0].length;
    return JSON.parse(m[0]);
  };
  const value = parseValue();
  skipWs();
  if (pos !== text.length) fail('trailing text');
  return value;
}

// tshark -T json prints one top-level array of packets. Hand each packet's text to onPacket as
// soon as it is complete, so memory stays bounded by the largest packet, not the capture.
export async function splitTopLevelArray(stream, onPacket) {
  let buf = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let scanned = 0;
  for await (const chunk of stream) {
    buf += chunk.toString('utf8');
    let i = scanned;
    for (; i < buf.length; i++) {
      const c = buf[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') {
        depth++;
        if (depth === 2 && c === '{') start = i;
      } else if (c === '}' || c === ']') {
        depth--;
        if (depth === 1 && c === '}') {
          onPacket(buf.slice(start, i + 1));
          buf = buf.slice(i + 1);
          i = -1;
          start = -1;
        }
      }
    }
    scanned = i;
  }
  if (depth !== 0) throw new Error('tshark JSON: output ended inside a packet');
}

// ---------------------------------------------------------------------------------------------
// Small helpers over [key, value] entry lists.

const get = (entries, key) => {
  for (const [k, v] of entries) if (k === key) return v;
  return undefined;
};
const getAll = (entries, key) => entries.filter(([k]) => k === key).map(([, v]) => v);
// Depth-first search for the first occurrence of key in a subtree.
function find(entries, key) {
  for (const [k, v] of entries) {
    if (k === key) return v;
    if (Array.isArray(v)) {
      const hit = find(v, key);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}
// "0x1f" / "31" -> 31; values past 2^53 come back as decimal strings.
function num(value) {
  if (value === undefined || value === null) return null;
  const big = BigInt(value);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
}
// "00:00:00:01:ff:f8" (an FT_BYTES field) -> number or decimal string.
const bytesToNum = (value) => (value === undefined ? null : num('0x' + value.replace(/:/g, '')));
// "1795479949.434124372" -> BigInt nanoseconds, exact (pcapng here has ns resolution).
function epochNs(value) {
  const [secs, frac = ''] = value.split('.');
  return BigInt(secs) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

// ---------------------------------------------------------------------------------------------
// iSCSI (RFC 7143) carrying SCSI commands.

// Fields Wireshark 4.0 uses for a CDB's LOGICAL BLOCK ADDRESS and its length in blocks
// (TRANSFER LENGTH, VERIFICATION LENGTH, NUMBER OF LOGICAL BLOCKS), looked up only in the
// scsi layer that belongs to the command PDU, i.e. the CDB, never in parameter data.
const LBA_FIELDS = [
  ['scsi_sbc.rdwr6.lba', num],
  ['scsi_sbc.rdwr10.lba', num],
  ['scsi_sbc.rdwr16.lba', bytesToNum],
  ['scsi_sbc.verify.lba', num],
  ['scsi_sbc.verify.lba64', num],
  ['scsi_sbc.wrverify.lba', num],
  ['scsi_sbc.wrverify.lba64', num],
  ['scsi_sbc.lba64_add', num],
  ['scsi_sbc.get_lba_status.start_lba', num],
];
const LENGTH_FIELDS = [
  'scsi_sbc.rdwr6.xferlen',
  'scsi_sbc.rdwr10.xferlen',
  'scsi_sbc.rdwr12.xferlen',
  'scsi_sbc.verify.vlen',
  'scsi_sbc.verify.vlen32',
  'scsi_sbc.wrverify.xferlen',
  'scsi_sbc.wrverify.xferlen32',
];
const SERVICE_ACTION_FIELDS = [
  'scsi_sbc.sa',
  'scsi.spc.svcaction',
  'scsi.persresvin.svcaction',
  'scsi.persresvout.svcaction',
  'scsi.extcopy.service_action',
  'scsi.recv_copy.service_action',
  'scsi.mpi.service_action', // MAINTENANCE IN (0xA3), e.g. REPORT SUPPORTED OPERATION CODES
];
const firstOf = (entries, fields) => {
  for (const f of fields) {
    const [key, conv] = Array.isArray(f) ? f : [f, num];
    const v = find(entries, key);
    if (v !== undefined) return conv(v);
  }
  return null;
};
// WRITE SAME(10) (SBC-5 5.48): Wireshark 4.0 shows its NUMBER OF LOGICAL BLOCKS as an
// "Allocation Length" field, so it is read from there for that opcode only.
function transferLengthOf(cdb) {
  if (opcodeOf(cdb) === 0x41) return num(find(cdb, 'scsi_sbc.alloclen16'));
  return firstOf(cdb, LENGTH_FIELDS);
}
// SCSI_SBC, SCSI_SPC ... opcode fields all end in ".opcode" (e.g. scsi_sbc.opcode).
function opcodeOf(scsiLayer) {
  for (const [k, v] of scsiLayer) if (/^scsi[._][a-z0-9_.]*opcode$/.test(k) && !k.includes('report_opcodes')) return num(v);
  return null;
}

// A frame's layers are [name, tree] pairs in tree order. Each "iscsi" entry starts a PDU; the
// entries after it ("iscsi.flags", "scsi", ...) belong to that PDU until the next "iscsi". A
// "tcp.segments" entry (the frames a reassembled PDU came from) precedes the first PDU it built.
function iscsiPdus(layers) {
  const pdus = [];
  let pendingSegments = null;
  for (const [name, tree] of layers) {
    if (name === 'tcp.segments') pendingSegments = getAll(tree, 'tcp.segment').map(Number);
    else if (name === 'iscsi') {
      pdus.push({ iscsi: tree, scsi: [], segments: pendingSegments });
      pendingSegments = null;
    } else if (name === 'scsi' && pdus.length > 0) pdus[pdus.length - 1].scsi.push(tree);
  }
  return pdus;
}

const iscsi = {
  describe: 'iSCSI over TCP',
  defaultPort: 3260, // RFC 7143 13.1 well-known port; used when the capture holds no SYN
  tsharkArgs({ port }) {
    return [
      // Out-of-order reassembly is required: without it tshark 4.0 silently drops PDUs that
      // sit in segments captured out of order, which loopback captures contain.
      '-o',
      'tcp.reassemble_out_of_order:TRUE',
      '-o',
      'tcp.desegment_tcp_streams:TRUE',
      '-o',
      'iscsi.desegment_iscsi_messages:TRUE',
      '-d',
      `tcp.port==${port},iscsi`,
      '-Y',
      'iscsi.opcode == 0x01 || iscsi.opcode == 0x21 || iscsi.scsidata.S == 1',
    ];
  },
  collector() {
    const records = [];
    const open = new Map(); // `${stream}/${itt}` -> record still waiting for status
    let order = 0;
    const warnings = [];
    return {
      warnings,
      packet(layers) {
        const frame = get(layers, 'frame');
        const frameNumber = Number(get(frame, 'frame.number'));
        const timeNs = epochNs(get(frame, 'frame.time_epoch'));
        const stream = Number(get(get(layers, 'tcp'), 'tcp.stream'));
        for (const pdu of iscsiPdus(layers)) {
          const opcode = Number(get(pdu.iscsi, 'iscsi.opcode'));
          const itt = num(get(pdu.iscsi, 'iscsi.initiatortasktag'));
          const key = `${stream}/${itt}`;
          if (opcode === 0x01) {
            // RFC 7143 11.3: SCSI Command. Its first scsi layer is the CDB decode.
            const cdb = pdu.scsi[0] ?? [];
            const record = {
              frame: frameNumber,
              firstFrame: pdu.segments ? Math.min(...pdu.segments) : frameNumber,
              responseFrame: null,
              stream,
              itt,
              lun: num(find(pdu.iscsi, 'scsi.lun') ?? get(cdb, 'scsi.lun')),
              opcode: opcodeOf(cdb),
              serviceAction: firstOf(cdb, SERVICE_ACTION_FIELDS),
              lba: firstOf(cdb, LBA_FIELDS),
              transferLength: transferLengthOf(cdb),
              expectedDataTransferLength: num(get(pdu.iscsi, 'iscsi.scsicommand.expecteddatatransferlength')),
              status: null,
              iscsiResponse: null,
              senseKey: null,
              asc: null,
              ascq: null,
              responseTimeNs: null,
            };
            Object.defineProperty(record, '_order', { value: order++, enumerable: false });
            Object.defineProperty(record, '_timeNs', { value: timeNs, enumerable: false });
            if (open.has(key)) warnings.push(`frame ${frameNumber}: ITT ${itt} reused on stream ${stream} before its status`);
            open.set(key, record);
            records.push(record);
            continue;
          }
          // RFC 7143 11.4 SCSI Response, or 11.7 SCSI Data-In with the S bit (status phase collapse).
          const record = open.get(key);
          if (!record) {
            warnings.push(`frame ${frameNumber}: status for ITT ${itt} on stream ${stream} with no command seen`);
            continue;
          }
          const requestFrame = get(pdu.iscsi, 'iscsi.request_frame');
          if (requestFrame !== undefined && Number(requestFrame) !== record.frame) {
            warnings.push(`frame ${frameNumber}: tshark pairs ITT ${itt} with frame ${requestFrame}, ITT matching says ${record.frame}`);
          }
          open.delete(key);
          record.responseFrame = frameNumber;
          record.responseTimeNs = num((timeNs - record._timeNs).toString());
          record.iscsiResponse = opcode === 0x21 ? num(get(pdu.iscsi, 'iscsi.scsiresponse.response')) : 0;
          record.status = num(get(pdu.iscsi, 'iscsi.scsiresponse.status'));
          // Sense data (SPC-6 4.4) rides in the response's data segment; Wireshark decodes it
          // in the scsi layer that follows the response PDU.
          for (const layer of pdu.scsi) {
            const senseKey = find(layer, 'scsi.sns.key');
            if (senseKey === undefined) continue;
            record.senseKey = num(senseKey);
            record.asc = num(find(layer, 'scsi.sns.asc'));
            record.ascq = num(find(layer, 'scsi.sns.ascq'));
            break;
          }
        }
      },
      finish() {
        return records.sort((a, b) => a.frame - b.frame || a._order - b._order);
      },
    };
  },
};

const PROTOCOLS = { iscsi };

// ---------------------------------------------------------------------------------------------

function usage(message) {
  if (message) process.stderr.write(`tshark-oracle: ${message}\n`);
  process.stderr.write('usage: node scripts/tshark-oracle.mjs [--proto iscsi] [--port N] <capture>\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { proto: 'iscsi', port: null, capture: null }; // port null: detect
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--proto') opts.proto = value();
    else if (a === '--port') opts.port = Number(value());
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (opts.capture === null) opts.capture = a;
    else usage('one capture only');
  }
  if (!opts.capture) usage('no capture given');
  if (!PROTOCOLS[opts.proto]) usage(`unknown --proto ${opts.proto} (known: ${Object.keys(PROTOCOLS).join(', ')})`);
  if (opts.port !== null && (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535)) usage('bad --port');
  return opts;
}

// Run tshark to completion and return its stdout (for small field queries).
function tsharkText(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.TSHARK || 'tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`tshark exited with ${code}: ${tsharkReason(err)}`))));
  });
}
const tsharkReason = (stderr) =>
  stderr
    .split('\n')
    .filter((l) => l && !l.startsWith('Running as user'))
    .join(' | ');

// The target port: the destination port most connections were opened to (SYN without ACK).
async function detectTargetPort(capture, fallback) {
  const out = await tsharkText(['-n', '-r', capture, '-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 0', '-T', 'fields', '-e', 'tcp.dstport']);
  const counts = new Map();
  for (const line of out.split('\n')) if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  let best = null;
  for (const [port, n] of counts) if (best === null || n > counts.get(best)) best = port;
  return best === null ? fallback : Number(best);
}

export async function runOracle(opts) {
  const proto = PROTOCOLS[opts.proto];
  const tshark = process.env.TSHARK || 'tshark';
  if (opts.port === null) opts.port = await detectTargetPort(opts.capture, proto.defaultPort);
  const args = ['-n', '-r', opts.capture, ...proto.tsharkArgs(opts), '-T', 'json'];
  const child = spawn(tshark, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const collector = proto.collector(opts);
  await splitTopLevelArray(child.stdout, (text) => {
    const packet = parseOrdered(text);
    collector.packet(get(get(packet, '_source'), 'layers'));
  });
  const code = await exited;
  if (code !== 0) throw new Error(`tshark exited with ${code}: ${tsharkReason(stderr)}`);
  return { records: collector.finish(), warnings: collector.warnings };
}

function summarise(records) {
  const byOpcode = new Map();
  for (const r of records) {
    const key = r.opcode === null ? 'none' : '0x' + r.opcode.toString(16).padStart(2, '0');
    byOpcode.set(key, (byOpcode.get(key) ?? 0) + 1);
  }
  const checkConditions = records.filter((r) => r.status === 2).length;
  const unanswered = records.filter((r) => r.responseFrame === null).length;
  const opcodes = [...byOpcode]
    .sort()
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
  return `${records.length} commands, ${checkConditions} CHECK CONDITION, ${unanswered} without status\nopcodes ${opcodes}\n`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  try {
    const { records, warnings } = await runOracle(opts);
    for (const w of warnings) process.stderr.write(`tshark-oracle: warning: ${w}\n`);
    process.stdout.write(records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
    process.stderr.write(`tshark-oracle: port ${opts.port}: ${summarise(records)}`);
    if (records.length === 0) process.stderr.write(`tshark-oracle: warning: no SCSI commands decoded; is --port ${opts.port} the target port?\n`);
  } catch (err) {
    process.stderr.write(`tshark-oracle: ${err.message}\n`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
