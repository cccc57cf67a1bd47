/**
 * SAT-5 ATA PASS-THROUGH(12) and (16): an ATA command carried in a SCSI CDB. The ATA
 * registers keep SAT's byte order (high bytes of 48-bit registers interleaved with the low).
 */
import { hex } from '../hex.js';
import { CdbReader, nameOf, type CommandDecoder } from './reader.js';
import { ATA_COMMANDS, ATA_PROTOCOLS, ATA_T_LENGTH } from './values.js';

/** PROTOCOL (byte 1 bits 4:1), and the transfer fields of byte 2. */
function protocolAndTransferFlags(r: CdbReader, extendBit: boolean) {
  r.bits('MULTIPLE_COUNT', 1, 5, 3, { text: 'obsolete' });
  const protocol = r.bits('PROTOCOL', 1, 1, 4, { text: (v) => ATA_PROTOCOLS.get(v) ?? 'reserved' });
  const extend = extendBit ? r.flag('EXTEND', 1, 0, '48-bit command') : false;
  r.bits('OFF_LINE', 2, 6, 2, { text: (v) => (v === 0 ? undefined : `wait ${2 ** (v + 1) - 2} seconds`) });
  const ckCond = r.flag('CK_COND', 2, 5, 'return ATA registers as sense data');
  const tType = r.flag('T_TYPE', 2, 4, 'blocks are logical blocks (else 512 bytes)');
  const tDir = r.flag('T_DIR', 2, 3, 'from the ATA device');
  const bytBlok = r.flag('BYT_BLOK', 2, 2, 'length counts blocks (else bytes)');
  const tLength = r.bits('T_LENGTH', 2, 0, 2, { text: nameOf(ATA_T_LENGTH) });
  return { protocol, extend, ckCond, tType, tDir, bytBlok, tLength };
}

function finish(r: CdbReader, flags: ReturnType<typeof protocolAndTransferFlags>, features: number, count: number, lbaText: string, command: number): void {
  if (!r.has(2)) return;
  const ataName = ATA_COMMANDS.get(command) ?? `ATA command ${hex(command)}`;
  r.note(ataName);
  r.note(`protocol ${ATA_PROTOCOLS.get(flags.protocol) ?? flags.protocol}`);
  r.note(`LBA ${lbaText}`);
  r.note(`count ${count}`);
  if (flags.ckCond) r.note('CK_COND');
  // SAT-5: T_LENGTH says which register holds the length, BYT_BLOK/T_TYPE its unit.
  const length = flags.tLength === 1 ? features : flags.tLength === 2 ? count : undefined;
  const direction = flags.tDir ? 'from-device' : 'to-device';
  if (flags.tLength === 0) r.noData();
  else if (length !== undefined) {
    if (!flags.bytBlok) r.transfer(length, 'bytes', direction);
    else if (!flags.tType) r.transfer(length * 512, 'bytes', direction);
    else r.transfer(length, 'blocks', direction);
  } else r.direction = direction;
  const dataProtocol = flags.protocol === 4 || flags.protocol === 5 || flags.protocol === 6 || flags.protocol >= 0xa;
  if (flags.tLength === 0 && dataProtocol && flags.protocol !== 0xf) {
    r.problem(`PROTOCOL is ${ATA_PROTOCOLS.get(flags.protocol)} but T_LENGTH says no data`);
  }
  if (flags.tLength !== 0 && (flags.protocol === 3 || flags.protocol === 0 || flags.protocol === 1)) {
    r.problem(`PROTOCOL is ${ATA_PROTOCOLS.get(flags.protocol)} but T_LENGTH says data is transferred`);
  }
  if (flags.protocol === 4 && !flags.tDir && flags.tLength !== 0) r.problem('PIO data-in with T_DIR 0 (to device)');
  if (flags.protocol === 5 && flags.tDir) r.problem('PIO data-out with T_DIR 1 (from device)');
}

/** SAT-5 ATA PASS-THROUGH(12): 28-bit registers. */
function ataPassThrough12(r: CdbReader): void {
  const flags = protocolAndTransferFlags(r, false);
  const features = r.uint('FEATURES', 3, 1, { hex: true });
  const count = r.uint('COUNT', 4, 1);
  const lba0 = r.uint('LBA (7:0)', 5, 1, { hex: true });
  const lba1 = r.uint('LBA (15:8)', 6, 1, { hex: true });
  const lba2 = r.uint('LBA (23:16)', 7, 1, { hex: true });
  r.uint('DEVICE', 8, 1, { hex: true });
  const command = r.uint('COMMAND', 9, 1, { hex: true, text: (v) => ATA_COMMANDS.get(v) });
  const lba = (lba2 << 16) | (lba1 << 8) | lba0;
  if (r.has(9)) finish(r, flags, features, count, hex(lba), command);
  r.control(11);
}

/** SAT-5 ATA PASS-THROUGH(16): 48-bit registers when EXTEND is set. */
function ataPassThrough16(r: CdbReader): void {
  const flags = protocolAndTransferFlags(r, true);
  const featuresHigh = r.uint('FEATURES (15:8)', 3, 1, { hex: true });
  const featuresLow = r.uint('FEATURES (7:0)', 4, 1, { hex: true });
  const countHigh = r.uint('COUNT (15:8)', 5, 1);
  const countLow = r.uint('COUNT (7:0)', 6, 1);
  const b = [
    r.uint('LBA (31:24)', 7, 1, { hex: true }),
    r.uint('LBA (7:0)', 8, 1, { hex: true }),
    r.uint('LBA (39:32)', 9, 1, { hex: true }),
    r.uint('LBA (15:8)', 10, 1, { hex: true }),
    r.uint('LBA (47:40)', 11, 1, { hex: true }),
    r.uint('LBA (23:16)', 12, 1, { hex: true }),
  ] as const;
  r.uint('DEVICE', 13, 1, { hex: true });
  const command = r.uint('COMMAND', 14, 1, { hex: true, text: (v) => ATA_COMMANDS.get(v) });
  const low24 = (b[5] << 16) | (b[3] << 8) | b[1];
  // Without EXTEND only the 28-bit registers count (SAT-5): the high bytes are ignored.
  const lba = flags.extend ? b[4] * 2 ** 40 + b[2] * 2 ** 32 + b[0] * 2 ** 24 + low24 : low24;
  const features = flags.extend ? (featuresHigh << 8) | featuresLow : featuresLow;
  const count = flags.extend ? (countHigh << 8) | countLow : countLow;
  if (r.has(14)) finish(r, flags, features, count, hex(lba), command);
  r.control(15);
}

export const SAT_COMMANDS: readonly CommandDecoder[] = [
  { opcode: 0x85, length: 16, decode: ataPassThrough16 },
  { opcode: 0xa1, length: 12, decode: ataPassThrough12 },
];
