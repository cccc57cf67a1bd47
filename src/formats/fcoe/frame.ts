/**
 * Fibre Channel over Ethernet (T11 FC-BB-5 7.8, EtherType 0x8906) and the Fibre Channel frame
 * it carries (FC-FS-3 9-10): from the EtherType's payload to a frame header and its payload.
 * Pure functions over the packet bytes; a frame is a view, nothing is copied.
 */
import { u16be, u24be, u32be, u32le } from '../../model/byte-order.js';
import * as zlib from 'node:zlib';

/** FC-BB-5 7.8: version (4 bits), 100 reserved bits, SOF; the trailer is CRC, EOF, 3 reserved. */
export const FCOE_HEADER_LENGTH = 14;
const FCOE_SOF = 13;
const FCOE_TRAILER_LENGTH = 8;

/** FC-FS-3 9.1 frame header, 24 bytes, big-endian. */
export const FcHeader = {
  rCtl: 0,
  dId: 1,
  csCtl: 4,
  sId: 5,
  type: 8,
  fCtl: 9,
  seqId: 12,
  dfCtl: 13,
  seqCnt: 14,
  oxId: 16,
  rxId: 18,
  parameter: 20,
  size: 24,
} as const;

/** FC-BB-5 Table 50 (the SOF and EOF code points FCoE carries). */
const SOF_CODES = new Set([0x28, 0x29, 0x2d, 0x2e, 0x31, 0x35, 0x36, 0x39]);
export const Eof = { n: 0x41, t: 0x42, rt: 0x44, dt: 0x46, ni: 0x49, dti: 0x4e, rti: 0x4f, a: 0x50 } as const;
const EOF_CODES = new Set<number>(Object.values(Eof));

/** FC-FS-3 10.2: the Virtual Fabric Tagging extended header, 8 bytes before the frame header. */
const R_CTL_VFT = 0x50;
const VFT_HEADER_LENGTH = 8;

/** F_CTL bits (FC-FS-3 Table 37). */
export const FCtl = {
  /** 1: the frame's sender is the exchange's responder. */
  exchangeResponder: 0x800000,
  lastSequence: 0x100000,
  endSequence: 0x080000,
  sequenceInitiative: 0x010000,
  /** The Parameter field is the relative offset of the payload. */
  relativeOffset: 0x000008,
  fillBytes: 0x000003,
} as const;

/** How the frame's CRC compares. */
export const CrcState = {
  Good: 0,
  /** All ones: the sender left it to the NIC (CRC offload; see docs/captures.md). */
  NotComputed: 1,
  /** The packet was cut by the snap length before the CRC. */
  NotCaptured: 2,
} as const;
export type CrcState = (typeof CrcState)[keyof typeof CrcState];

export interface FcFrame {
  rCtl: number;
  dId: number;
  sId: number;
  type: number;
  fCtl: number;
  seqId: number;
  dfCtl: number;
  seqCnt: number;
  oxId: number;
  rxId: number;
  parameter: number;
  /** The payload after optional headers, without fill bytes, as far as it was captured. */
  payload: Uint8Array;
  /** The payload's true length (captured or not). */
  payloadLength: number;
  sof: number;
  /** The EOF delimiter, or -1 when the snap length cut it off. */
  eof: number;
  crc: CrcState;
}

export type FcoeParse = { frame: FcFrame } | { problem: string };

/**
 * Reads the FCoE PDU in `d` from `start` (the byte after the EtherType). `originalLength` is the
 * captured packet's length before the snap length cut it, so that lengths stay true when the
 * tail was not captured.
 */
export function parseFcoe(d: Uint8Array, start: number, originalLength: number): FcoeParse {
  const captured = d.length - start;
  const total = Math.max(originalLength, d.length) - start;
  if (captured < FCOE_HEADER_LENGTH + FcHeader.size)
    return { problem: `FCoE frame cut short: ${captured} bytes, a header alone takes ${FCOE_HEADER_LENGTH + FcHeader.size}` };
  const version = d[start]! >> 4;
  if (version !== 0) return { problem: `FCoE version ${version} (FC-BB-5 defines version 0)` };
  for (let i = 1; i < FCOE_SOF; i++) {
    if (d[start + i] !== 0)
      return { problem: `FCoE header reserved byte ${i} is 0x${d[start + i]!.toString(16)} (pre-standard FCoE encapsulations are not read)` };
  }
  const sof = d[start + FCOE_SOF]!;
  if (!SOF_CODES.has(sof)) return { problem: `FCoE SOF 0x${sof.toString(16)} is not a start-of-frame code` };
  const fcLength = total - FCOE_HEADER_LENGTH - FCOE_TRAILER_LENGTH;
  if (fcLength < FcHeader.size || fcLength % 4 !== 0)
    return { problem: `FCoE frame of ${total} bytes holds an FC frame of ${fcLength} bytes (at least ${FcHeader.size}, a multiple of 4)` };
  const fc = start + FCOE_HEADER_LENGTH;
  const crcAt = fc + fcLength;
  let eof = -1;
  let crc: CrcState = CrcState.NotCaptured;
  if (crcAt + 5 <= d.length) {
    eof = d[crcAt + 4]!;
    if (!EOF_CODES.has(eof)) return { problem: `FCoE EOF 0x${eof.toString(16)} is not an end-of-frame code` };
    // FC-FS-3 9.4 / FC-BB-5: CRC-32 as Ethernet computes it, sent least significant byte first.
    const sent = u32le(d, crcAt);
    if (sent === crc32(d, fc, crcAt)) crc = CrcState.Good;
    else if (sent === 0xffffffff) crc = CrcState.NotComputed;
    else return { problem: `FC CRC 0x${sent.toString(16).padStart(8, '0')} does not match the frame's 0x${crc32(d, fc, crcAt).toString(16).padStart(8, '0')}` };
  }
  let h = fc;
  let end = crcAt;
  if (d[h] === R_CTL_VFT) {
    h += VFT_HEADER_LENGTH;
    if (end - h < FcHeader.size) return { problem: `FC frame with a VFT header has no room for its frame header` };
  }
  if (d.length < h + FcHeader.size) return { problem: `FC frame header not captured` };
  const fCtl = u24be(d, h + FcHeader.fCtl);
  const dfCtl = d[h + FcHeader.dfCtl]!;
  // FC-FS-3 13: optional headers named by DF_CTL precede the payload.
  if (dfCtl & 0x40) return { problem: `FC frame with an ESP header (DF_CTL 0x${dfCtl.toString(16)}) cannot be read` };
  const optional = (dfCtl & 0x20 ? 16 : 0) + (dfCtl & 0x10 ? 32 : 0) + [0, 16, 32, 64][dfCtl & 0x03]!;
  const payloadStart = h + FcHeader.size + optional;
  if (payloadStart > end)
    return { problem: `FC optional headers (DF_CTL 0x${dfCtl.toString(16)}, ${optional} bytes) exceed the ${end - h - FcHeader.size}-byte payload` };
  // Fill bytes (F_CTL bits 1-0) pad the last frame of a sequence to a word.
  end -= fCtl & FCtl.fillBytes;
  if (end < payloadStart) end = payloadStart;
  return {
    frame: {
      rCtl: d[h + FcHeader.rCtl]!,
      dId: u24be(d, h + FcHeader.dId),
      sId: u24be(d, h + FcHeader.sId),
      type: d[h + FcHeader.type]!,
      fCtl,
      seqId: d[h + FcHeader.seqId]!,
      dfCtl,
      seqCnt: u16be(d, h + FcHeader.seqCnt),
      oxId: u16be(d, h + FcHeader.oxId),
      rxId: u16be(d, h + FcHeader.rxId),
      parameter: u32be(d, h + FcHeader.parameter),
      payload: d.subarray(Math.min(payloadStart, d.length), Math.min(end, d.length)),
      payloadLength: end - payloadStart,
      sof,
      eof,
      crc,
    },
  };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** zlib's CRC-32 where Node has it (20.15 and later): some 15 times faster than the loop below. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE 802.3, reflected 0xEDB88320) of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (nativeCrc32) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  return crc32Js(bytes, start, end);
}

/** The same CRC in JavaScript, for Node versions without zlib.crc32. */
export function crc32Js(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
