/**
 * FCP-4 information units (INCITS 481, clause 9) and the Fibre Channel frames that carry them:
 * FCP_CMND, FCP_XFER_RDY, FCP_DATA and FCP_RSP (device data, TYPE 08h), the basic link services
 * ABTS / BA_ACC / BA_RJT (FC-FS-3 15.3) and the extended link services whose payload names a port
 * (PLOGI, FLOGI, FDISC and their LS_ACC, FC-LS-3 4.2). Pure readers over a frame's payload.
 */
import { u32be } from '../../model/byte-order.js';

/** FC-FS-3 Table 35: R_CTL routing (upper nibble) and information category (lower nibble). */
export const RCtl = {
  /** Device data: an FC-4's information units. */
  deviceData: 0x00,
  extendedLinkServices: 0x20,
  basicLinkServices: 0x80,
} as const;

/** FCP-4 Table 3: information category (R_CTL bits 3-0) of each FCP IU. */
export const FcpIu = { Data: 0x1, XferRdy: 0x5, Cmnd: 0x6, Rsp: 0x7 } as const;

/** FC-FS-3 Table 41 TYPE codes. */
export const FcType = { BasicLinkServices: 0x00, ExtendedLinkServices: 0x01, Fcp: 0x08 } as const;

/** FC-FS-3 15.3: basic link service R_CTL values. */
export const Bls = { Abts: 0x81, BaAcc: 0x84, BaRjt: 0x85 } as const;

/** FC-LS-3 ELS command codes read here (first payload byte). */
export const Els = { LsAcc: 0x02, Plogi: 0x03, Flogi: 0x04, Fdisc: 0x51 } as const;
/** FC-LS-3 6.6: N_Port_Name is bytes 20-27 of a PLOGI/FLOGI/FDISC payload and of its LS_ACC. */
const ELS_PORT_NAME = 20;

/** FCP-4 9.2 FCP_CMND IU. */
export const FcpCmnd = {
  lun: 0,
  commandReferenceNumber: 8,
  /** Bits 2-0 task attribute; bits 6-3 priority. */
  taskAttribute: 9,
  taskManagementFlags: 10,
  /** Bits 7-2 ADDITIONAL FCP_CDB LENGTH (words), bit 1 RDDATA, bit 0 WRDATA. */
  flags: 11,
  cdb: 12,
  /** FCP_DL follows the CDB and any additional CDB bytes. */
  minimumSize: 32,
} as const;

/** FCP-4 9.5 FCP_RSP IU. */
export const FcpRsp = {
  flags: 10,
  status: 11,
  residual: 12,
  senseLength: 16,
  responseLength: 20,
  responseInfo: 24,
  minimumSize: 24,
} as const;

/** FCP-4 Table 27 FCP_RSP flags (byte 10). */
export const RspFlag = {
  responseLengthValid: 0x01,
  senseLengthValid: 0x02,
  residualOver: 0x04,
  residualUnder: 0x08,
} as const;

/** FCP-4 9.2.1 Table 23: task management flags (byte 10 of FCP_CMND). */
export const TMF_FLAGS: readonly { bit: number; name: string }[] = [
  { bit: 0x02, name: 'ABORT TASK SET' },
  { bit: 0x04, name: 'CLEAR TASK SET' },
  { bit: 0x10, name: 'LOGICAL UNIT RESET' },
  { bit: 0x20, name: 'TARGET RESET' },
  { bit: 0x40, name: 'CLEAR ACA' },
];

/** FCP-4 Table 29: RSP_CODE values. */
export const RSP_CODES: Record<number, string> = {
  0x00: 'task management function complete',
  0x01: 'FCP_DATA length different than FCP_BURST_LEN',
  0x02: 'FCP_CMND fields invalid',
  0x03: 'FCP_DATA parameter mismatch with FCP_DATA_RO',
  0x04: 'task management function rejected',
  0x05: 'task management function failed',
  0x08: 'task management function succeeded',
  0x09: 'task management function incorrect logical unit number',
};

export interface Command {
  lun: Uint8Array;
  attribute: number;
  taskManagement: number;
  read: boolean;
  write: boolean;
  cdb: Uint8Array;
  dataLength: number;
}

/** An FCP_CMND, or why it cannot be one (its length disagrees with ADDITIONAL FCP_CDB LENGTH). */
export function readCommand(p: Uint8Array, length: number): Command | string {
  if (length < FcpCmnd.minimumSize) return `FCP_CMND of ${length} bytes (at least ${FcpCmnd.minimumSize})`;
  if (p.length < FcpCmnd.minimumSize) return `FCP_CMND not captured whole (${p.length} of ${length} bytes)`;
  const flags = p[FcpCmnd.flags]!;
  const cdbLength = 16 + (flags >> 2) * 4;
  const dlAt = FcpCmnd.cdb + cdbLength;
  if (dlAt + 4 > length) return `FCP_CMND with ${cdbLength} CDB bytes needs ${dlAt + 4} bytes, the IU has ${length}`;
  if (dlAt + 4 > p.length) return `FCP_CMND not captured whole (${p.length} of ${length} bytes)`;
  return {
    lun: p.subarray(FcpCmnd.lun, FcpCmnd.lun + 8),
    attribute: p[FcpCmnd.taskAttribute]! & 0x07,
    taskManagement: p[FcpCmnd.taskManagementFlags]!,
    read: (flags & 0x02) !== 0,
    write: (flags & 0x01) !== 0,
    cdb: p.subarray(FcpCmnd.cdb, FcpCmnd.cdb + cdbLength),
    dataLength: u32be(p, dlAt),
  };
}

export interface Response {
  status: number;
  flags: number;
  residual: number;
  /** RSP_CODE when FCP_RSP_LEN_VALID (and captured), else -1. */
  responseCode: number;
  /** Sense bytes as captured (may be fewer than senseLength when the snap length cut them). */
  sense: Uint8Array;
  senseLength: number;
}

/** An FCP_RSP, or why its declared lengths cannot be right. */
export function readResponse(p: Uint8Array, length: number): Response | string {
  if (length < FcpRsp.minimumSize) return `FCP_RSP of ${length} bytes (at least ${FcpRsp.minimumSize})`;
  if (p.length < FcpRsp.minimumSize) return `FCP_RSP not captured whole (${p.length} of ${length} bytes)`;
  const flags = p[FcpRsp.flags]!;
  const responseLength = flags & RspFlag.responseLengthValid ? u32be(p, FcpRsp.responseLength) : 0;
  const senseLength = flags & RspFlag.senseLengthValid ? u32be(p, FcpRsp.senseLength) : 0;
  // FCP-4 9.5.9: FCP_RSP_LEN is 0, 4 or 8.
  if (responseLength !== 0 && responseLength !== 4 && responseLength !== 8) return `FCP_RSP_LEN ${responseLength} (FCP-4 allows 0, 4 or 8)`;
  if (FcpRsp.responseInfo + responseLength + senseLength > length) {
    return `FCP_RSP declares ${responseLength} bytes of response info and ${senseLength} of sense; the ${length}-byte IU holds ${Math.max(0, length - FcpRsp.responseInfo)}`;
  }
  const senseAt = FcpRsp.responseInfo + responseLength;
  return {
    status: p[FcpRsp.status]!,
    flags,
    residual: u32be(p, FcpRsp.residual),
    responseCode: responseLength >= 4 && p.length >= FcpRsp.responseInfo + 4 ? p[FcpRsp.responseInfo + 3]! : -1,
    sense: p.subarray(Math.min(senseAt, p.length), Math.min(senseAt + senseLength, p.length)),
    senseLength,
  };
}

/** The names of a task management flags byte ("LOGICAL UNIT RESET"), hex for bits FCP-4 leaves unnamed. */
export function tmfName(flags: number): string {
  const names = TMF_FLAGS.filter((f) => flags & f.bit).map((f) => f.name);
  const rest = flags & ~TMF_FLAGS.reduce((m, f) => m | f.bit, 0);
  if (rest) names.push(`flags 0x${rest.toString(16)}`);
  return names.join(' + ');
}

/** The N_Port_Name an ELS payload carries (PLOGI, FLOGI, FDISC or their LS_ACC), as WWN text. */
export function elsPortName(p: Uint8Array): string | undefined {
  if (p.length < ELS_PORT_NAME + 8) return undefined;
  let s = '';
  for (let i = 0; i < 8; i++) s += (i ? ':' : '') + p[ELS_PORT_NAME + i]!.toString(16).padStart(2, '0');
  return s;
}
