/**
 * CDB builders for the commands the scenario generators issue, laid out as SPC-6 / SBC-5
 * define them (big-endian multi-byte fields, CONTROL byte last and zero).
 */

function be(into: Uint8Array, at: number, bytes: number, value: number | bigint): void {
  let v = BigInt(value);
  for (let i = bytes - 1; i >= 0; i--) {
    into[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** SPC-6 6.37 TEST UNIT READY. */
export function testUnitReady(): Uint8Array {
  return new Uint8Array(6);
}

/** SPC-6 6.7 INQUIRY: standard data (evpd false) or a VPD page. */
export function inquiry(allocationLength: number, vpdPage?: number): Uint8Array {
  const c = new Uint8Array(6);
  c[0] = 0x12;
  if (vpdPage !== undefined) {
    c[1] = 0x01; // EVPD
    c[2] = vpdPage;
  }
  be(c, 3, 2, allocationLength);
  return c;
}

/** SPC-6 6.29 REPORT LUNS, SELECT REPORT 0x00. */
export function reportLuns(allocationLength: number): Uint8Array {
  const c = new Uint8Array(12);
  c[0] = 0xa0;
  be(c, 6, 4, allocationLength);
  return c;
}

/** SBC-5 5.20 READ CAPACITY(10). */
export function readCapacity10(): Uint8Array {
  const c = new Uint8Array(10);
  c[0] = 0x25;
  return c;
}

/** SBC-5 5.21 READ CAPACITY(16): SERVICE ACTION IN(16) 0x9E / 0x10. */
export function readCapacity16(allocationLength = 32): Uint8Array {
  const c = new Uint8Array(16);
  c[0] = 0x9e;
  c[1] = 0x10;
  be(c, 10, 4, allocationLength);
  return c;
}

/** SPC-6 6.15 MODE SENSE(10); DBD set (no block descriptors), current values. */
export function modeSense10(page: number, subpage: number, allocationLength: number): Uint8Array {
  const c = new Uint8Array(10);
  c[0] = 0x5a;
  c[1] = 0x08; // DBD
  c[2] = page & 0x3f; // PC 00b: current values
  c[3] = subpage;
  be(c, 7, 2, allocationLength);
  return c;
}

/** SPC-6 6.14 MODE SENSE(6); DBD set, current values. */
export function modeSense6(page: number, allocationLength: number): Uint8Array {
  const c = new Uint8Array(6);
  c[0] = 0x1a;
  c[1] = 0x08;
  c[2] = page & 0x3f;
  c[4] = allocationLength;
  return c;
}

/** SBC-5 5.15 READ(10) / 5.48 WRITE(10). */
export function rw10(write: boolean, lba: number, blocks: number, fua = false): Uint8Array {
  if (lba > 0xffff_ffff || blocks > 0xffff) throw new RangeError(`READ/WRITE(10) cannot address LBA ${lba} len ${blocks}`);
  const c = new Uint8Array(10);
  c[0] = write ? 0x2a : 0x28;
  if (fua) c[1] = 0x08;
  be(c, 2, 4, lba);
  be(c, 7, 2, blocks);
  return c;
}

/** SBC-5 5.17 READ(16) / 5.50 WRITE(16). */
export function rw16(write: boolean, lba: number | bigint, blocks: number, fua = false): Uint8Array {
  const c = new Uint8Array(16);
  c[0] = write ? 0x8a : 0x88;
  if (fua) c[1] = 0x08;
  be(c, 2, 8, lba);
  be(c, 10, 4, blocks);
  return c;
}

/**
 * READ/WRITE as an SBC initiator picks them: the 10-byte CDB while LBA and length fit,
 * the 16-byte one otherwise (volumes past 2 TiB with 512-byte blocks).
 */
export function rw(write: boolean, lba: number, blocks: number): Uint8Array {
  return lba + blocks <= 0x1_0000_0000 && blocks <= 0xffff ? rw10(write, lba, blocks) : rw16(write, lba, blocks);
}

/** SBC-5 5.29 SYNCHRONIZE CACHE(10); LBA 0 and count 0 mean the whole medium. */
export function synchronizeCache10(lba = 0, blocks = 0, immed = false): Uint8Array {
  const c = new Uint8Array(10);
  c[0] = 0x35;
  if (immed) c[1] = 0x02;
  be(c, 2, 4, lba);
  be(c, 7, 2, blocks);
  return c;
}

/** SBC-5 5.30 SYNCHRONIZE CACHE(16). */
export function synchronizeCache16(lba: number | bigint = 0, blocks = 0, immed = false): Uint8Array {
  const c = new Uint8Array(16);
  c[0] = 0x91;
  if (immed) c[1] = 0x02;
  be(c, 2, 8, lba);
  be(c, 10, 4, blocks);
  return c;
}

/** SPC-6 6.33 REPORT SUPPORTED OPERATION CODES: MAINTENANCE IN 0xA3 / 0x0C, all commands. */
export function reportSupportedOpcodes(allocationLength: number): Uint8Array {
  const c = new Uint8Array(12);
  c[0] = 0xa3;
  c[1] = 0x0c;
  be(c, 6, 4, allocationLength);
  return c;
}

/** SPC-6 6.17 PERSISTENT RESERVE IN, service action READ RESERVATION (0x01). */
export function persistentReserveIn(serviceAction: number, allocationLength: number): Uint8Array {
  const c = new Uint8Array(10);
  c[0] = 0x5e;
  c[1] = serviceAction & 0x1f;
  be(c, 7, 2, allocationLength);
  return c;
}

/** SBC-5 5.28 START STOP UNIT with a POWER CONDITION (0 = START_VALID, uses START). */
export function startStopUnit(start: boolean, powerCondition = 0, immed = false): Uint8Array {
  const c = new Uint8Array(6);
  c[0] = 0x1b;
  if (immed) c[1] = 0x01;
  c[4] = ((powerCondition & 0x0f) << 4) | (start ? 0x01 : 0x00);
  return c;
}

/** A vendor-specific CDB (SPC-6 4.2.5.1: opcodes 0xC0-0xFF), filled with the given payload. */
export function vendorSpecific(opcode: number, length: number, payload: ArrayLike<number> = []): Uint8Array {
  if (opcode < 0xc0 || opcode > 0xff) throw new RangeError(`opcode 0x${opcode.toString(16)} is not vendor specific`);
  const c = new Uint8Array(length);
  c[0] = opcode;
  for (let i = 0; i < payload.length && i + 1 < length; i++) c[i + 1] = payload[i]!;
  return c;
}
