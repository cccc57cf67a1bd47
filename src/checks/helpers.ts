/** Small predicates and formatters the rules share. */
import { formatBytes, formatDuration } from '../model/units.js';
import { DataDirection, SamStatus, ServiceResponse, type TaskCompleted, type TaskSubmitted } from '../model/events.js';
import { cdbFieldsAt, decodeSense, isGoodStatus, quickSense } from '../scsi/index.js';
import type { CheckState, DirectionLimits } from './state.js';

/** TASK COMPLETE with GOOD or CONDITION MET (SAM-6 5.3). */
export function completedGood(c: TaskCompleted): boolean {
  return isGoodStatus(c.serviceResponse, c.status);
}

/** TASK COMPLETE with CHECK CONDITION (not DriverKit's PROTOCOL TIMEOUT, which reuses 0x02). */
export function checkCondition(c: TaskCompleted): boolean {
  return c.serviceResponse === ServiceResponse.TaskComplete && c.status === SamStatus.CheckCondition;
}

/** Sense key / ASC / ASCQ of a CHECK CONDITION, when the sense data can be read. */
export function senseOf(c: TaskCompleted): { key: number; asc: number; ascq: number } | undefined {
  return c.sense.length ? quickSense(c.sense) : undefined;
}

/** The CDB field an ILLEGAL REQUEST's sense-key-specific FIELD POINTER names (SPC-6, sense-key specific data for ILLEGAL REQUEST). */
export interface RefusedField {
  byte: number;
  /** BIT POINTER, when BPV was set. */
  bit?: number;
  /** Field names from the command's CDB layout at that position ("IMMED"); empty when unknown. */
  names: string[];
  /** "IMMED (byte 1 bit 1)", or "CDB byte 1 bit 1" when the layout names nothing there. */
  text: string;
}

/**
 * The CDB field the device server pointed at, from fixed or descriptor sense data whose
 * SKSV is set and whose C/D bit says the error is in the CDB; undefined otherwise.
 */
export function refusedCdbField(cdb: Uint8Array, sense: Uint8Array): RefusedField | undefined {
  if (!sense.length) return undefined;
  const sks = decodeSense(sense).senseKeySpecific;
  if (!sks || sks.kind !== 'field-pointer' || !sks.commandData || sks.fieldPointer === undefined) return undefined;
  const byte = sks.fieldPointer;
  const bit = sks.bitPointer;
  const at = `byte ${byte}${bit !== undefined ? ` bit ${bit}` : ''}`;
  if (byte >= cdb.length) return { byte, ...(bit !== undefined ? { bit } : {}), names: [], text: `CDB ${at}, past the ${cdb.length}-byte CDB` };
  const names = cdbFieldsAt(cdb, byte, bit).map((f) => f.name);
  return { byte, ...(bit !== undefined ? { bit } : {}), names, text: names.length ? `${names.join(' / ')} (${at})` : `CDB ${at}` };
}

/** Hex with 0x and no padding, for addresses and codes. */
export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/** Two-digit hex byte pair as T10 writes ASC/ASCQ: "20/00". */
export function ascText(asc: number, ascq: number): string {
  return `${asc.toString(16).padStart(2, '0').toUpperCase()}/${ascq.toString(16).padStart(2, '0').toUpperCase()}`;
}

export function directionWord(s: TaskSubmitted): 'read' | 'write' | 'bidirectional' | 'no-data' {
  return s.direction === DataDirection.ToDevice
    ? 'write'
    : s.direction === DataDirection.FromDevice
      ? 'read'
      : s.direction === DataDirection.Bidirectional
        ? 'bidirectional'
        : 'no-data';
}

/** Limits for a task's direction: write limits for data to the device, read limits for data from it, the smaller of both otherwise. */
export function limitsFor(state: CheckState, s: TaskSubmitted): DirectionLimits {
  return state.byDirection[s.direction & 3]!;
}

/** The IOKit key behind a directional limit, for messages: `IOMaximumSegmentCountWrite`. */
export function limitKey(d: DirectionLimits, name: 'SegmentCount' | 'SegmentByteCount' | 'ByteCount' | 'BlockCount'): string {
  return `IOMaximum${name}${d.keySuffix}`;
}

/** Segment i as evidence fields. */
export function segmentEvidence(s: TaskSubmitted, i: number): Record<string, string | number> {
  return { segment: i, address: hex(s.segments.address(i)), length: s.segments.length(i), segments: s.segments.count };
}

/** A measured duration for messages, in the unit read fastest: "26.2 µs", "54.7 s" (src/model/units.ts). */
export const durationText = formatDuration;

/** Bytes in binary units for messages: "64.1 MiB" (src/model/units.ts). */
export const bytesText = formatBytes;

/**
 * Whether the trace can show the controller's cache flushes, so that their absence is evidence:
 * what the header says (a wire capture cannot), else whether the trace holds any HBA event (a
 * driver that records them). Asked at the end of the trace, not as events come.
 */
export function flushEventsRecorded(state: CheckState): boolean {
  return state.flushEventsRecorded ?? state.hbaEventsSeen;
}
