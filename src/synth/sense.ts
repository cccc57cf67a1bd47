/**
 * Fixed-format sense data (SPC-6 4.4.3) as a device returns it: response code 0x70
 * (current error), ADDITIONAL SENSE LENGTH 10 so the whole buffer is 18 bytes.
 */

/** SPC-6 4.4.8 sense keys used by the scenarios. */
export const SenseKey = {
  NoSense: 0x0,
  NotReady: 0x2,
  MediumError: 0x3,
  HardwareError: 0x4,
  IllegalRequest: 0x5,
  UnitAttention: 0x6,
  AbortedCommand: 0xb,
} as const;

/** ASC/ASCQ pairs used by the scenarios, as (asc << 8) | ascq (SPC-6 Annex F). */
export const Asc = {
  /** 04/01 LOGICAL UNIT IS IN PROCESS OF BECOMING READY */
  BecomingReady: 0x0401,
  /** 20/00 INVALID COMMAND OPERATION CODE */
  InvalidOpcode: 0x2000,
  /** 24/00 INVALID FIELD IN CDB */
  InvalidFieldInCdb: 0x2400,
  /** 29/00 POWER ON, RESET, OR BUS DEVICE RESET OCCURRED */
  PowerOnReset: 0x2900,
  /** 2A/09 CAPACITY DATA HAS CHANGED */
  CapacityChanged: 0x2a09,
} as const;

export interface SenseOptions {
  /** INFORMATION field; sets the VALID bit. */
  information?: number;
  /** SPC-6 4.4.2.4.2 field pointer: byte of the CDB (cdb true) or parameter list in error. */
  fieldPointer?: { cdb: boolean; byte: number; bit?: number };
}

export function fixedSense(senseKey: number, ascAscq: number, o: SenseOptions = {}): Uint8Array {
  const s = new Uint8Array(18);
  s[0] = 0x70 | (o.information !== undefined ? 0x80 : 0);
  s[2] = senseKey & 0x0f;
  if (o.information !== undefined) {
    new DataView(s.buffer).setUint32(3, o.information >>> 0, false);
  }
  s[7] = 10; // ADDITIONAL SENSE LENGTH: bytes 8..17
  s[12] = ascAscq >> 8;
  s[13] = ascAscq & 0xff;
  if (o.fieldPointer) {
    const fp = o.fieldPointer;
    // SKSV | C/D | BPV | BIT POINTER, then FIELD POINTER (big-endian).
    s[15] = 0x80 | (fp.cdb ? 0x40 : 0) | (fp.bit !== undefined ? 0x08 | (fp.bit & 0x07) : 0);
    s[16] = (fp.byte >> 8) & 0xff;
    s[17] = fp.byte & 0xff;
  }
  return s;
}
