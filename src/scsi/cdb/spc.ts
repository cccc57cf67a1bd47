/**
 * SPC-6 (primary commands, all device types) CDB decoders, one row per command.
 */
import { hex } from '../hex.js';
import { serviceActionName } from '../names.js';
import { allocationLength, groupNumber, opcodeField, parameterListLength, serviceAction5 } from './common.js';
import { CdbReader, nameOf, type CommandDecoder } from './reader.js';
import {
  diagnosticPageName,
  logPageName,
  LOG_PAGE_CONTROL,
  modePageName,
  MODE_PAGE_CONTROL,
  PR_TYPES,
  REPORTING_OPTIONS,
  securityProtocolName,
  SELECT_REPORT,
  SELF_TEST_CODES,
  VPD_PAGES,
} from './values.js';

/** SPC-6 TEST UNIT READY: no fields but CONTROL. */
function testUnitReady(r: CdbReader): void {
  r.noData();
  r.control(5);
}

/** SPC-6 REQUEST SENSE: DESC (descriptor format wanted), ALLOCATION LENGTH. */
function requestSense(r: CdbReader): void {
  r.noteFlag('DESC', 1, 0, 'descriptor format sense data wanted');
  allocationLength(r, 4, 1);
  r.control(5);
}

/** SPC-6 INQUIRY: EVPD, PAGE CODE (a VPD page when EVPD is set), ALLOCATION LENGTH. */
function inquiry(r: CdbReader): void {
  const cmddt = r.flag('CMDDT', 1, 1, 'obsolete');
  const evpd = r.flag('EVPD', 1, 0, 'vital product data page wanted');
  const page = r.uint('PAGE CODE', 2, 1, {
    hex: true,
    text: (v) => (evpd ? (VPD_PAGES.get(v) ?? (v >= 0xc0 ? 'vendor specific VPD page' : 'unknown VPD page')) : undefined),
  });
  if (r.has(2)) {
    if (evpd) r.note(`VPD ${hex(page)}${VPD_PAGES.has(page) ? ` (${VPD_PAGES.get(page)})` : ''}`);
    else r.note('standard');
    if (!evpd && page !== 0) r.problem(`PAGE CODE is ${hex(page)} but EVPD is 0; it must be 0`);
  }
  if (cmddt) r.problem('CMDDT is obsolete; devices reject it');
  allocationLength(r, 3, 2);
  r.control(5);
}

/** PC and PAGE CODE in one byte, SUBPAGE CODE in the next (MODE SENSE, LOG SENSE/SELECT). */
function pageAndSubpage(r: CdbReader, controls: readonly string[], pageName: (page: number, subpage: number) => string | undefined): void {
  r.bits('PC', 2, 6, 2, { text: nameOf(controls) });
  const page = r.bits('PAGE CODE', 2, 0, 6, { hex: true });
  const subpage = r.uint('SUBPAGE CODE', 3, 1, { hex: true });
  if (!r.has(3)) return;
  const name = pageName(page, subpage);
  if (name !== undefined) r.fields[r.fields.length - 2]!.text = name;
  r.note(`page ${hex(page)}${subpage ? `/${hex(subpage)}` : ''}${name ? ` (${name})` : ''}`);
  const pc = r.byte(2) >> 6;
  if (pc !== 0) r.note(controls[pc]!);
}

/** SPC-6 MODE SENSE(6): DBD, PC, PAGE CODE, SUBPAGE CODE, ALLOCATION LENGTH. */
function modeSense6(r: CdbReader): void {
  r.noteFlag('DBD', 1, 3, 'disable block descriptors');
  pageAndSubpage(r, MODE_PAGE_CONTROL, modePageName);
  allocationLength(r, 4, 1);
  r.control(5);
}

/** SPC-6 MODE SENSE(10): LLBAA, DBD, PC, PAGE CODE, SUBPAGE CODE, ALLOCATION LENGTH. */
function modeSense10(r: CdbReader): void {
  r.noteFlag('LLBAA', 1, 4, 'long LBA block descriptors accepted');
  r.noteFlag('DBD', 1, 3, 'disable block descriptors');
  pageAndSubpage(r, MODE_PAGE_CONTROL, modePageName);
  allocationLength(r, 7, 2);
  r.control(9);
}

/** PF, RTD and SP of MODE SELECT(6/10). */
function modeSelectFlags(r: CdbReader): void {
  r.noteFlag('PF', 1, 4, 'page format');
  r.noteFlag('RTD', 1, 1, 'revert to defaults');
  r.noteFlag('SP', 1, 0, 'save pages');
}

/** SPC-6 MODE SELECT(6). */
function modeSelect6(r: CdbReader): void {
  modeSelectFlags(r);
  parameterListLength(r, 4, 1);
  r.control(5);
}

/** SPC-6 MODE SELECT(10). */
function modeSelect10(r: CdbReader): void {
  modeSelectFlags(r);
  parameterListLength(r, 7, 2);
  r.control(9);
}

/** SPC-6 LOG SELECT: PCR, SP, PC, PAGE CODE, SUBPAGE CODE, PARAMETER LIST LENGTH. */
function logSelect(r: CdbReader): void {
  r.noteFlag('PCR', 1, 1, 'parameter code reset');
  r.noteFlag('SP', 1, 0, 'save parameters');
  pageAndSubpage(r, LOG_PAGE_CONTROL, logPageName);
  parameterListLength(r, 7, 2);
  r.control(9);
}

/** SPC-6 LOG SENSE: SP, PC, PAGE CODE, SUBPAGE CODE, PARAMETER POINTER, ALLOCATION LENGTH. */
function logSense(r: CdbReader): void {
  r.flag('PPC', 1, 1, 'obsolete');
  r.noteFlag('SP', 1, 0, 'save parameters');
  pageAndSubpage(r, LOG_PAGE_CONTROL, logPageName);
  r.uint('PARAMETER POINTER', 5, 2, { hex: true });
  allocationLength(r, 7, 2);
  r.control(9);
}

/** SPC-6 SEND DIAGNOSTIC: SELF-TEST CODE, PF, SELFTEST, DEVOFFL, UNITOFFL, PARAMETER LIST LENGTH. */
function sendDiagnostic(r: CdbReader): void {
  const code = r.bits('SELF-TEST CODE', 1, 5, 3, { text: (v) => SELF_TEST_CODES.get(v) ?? 'reserved' });
  r.flag('PF', 1, 4, 'page format');
  const selfTest = r.flag('SELFTEST', 1, 2, 'default self-test');
  r.flag('DEVOFFL', 1, 1, 'device offline allowed');
  r.flag('UNITOFFL', 1, 0, 'unit offline allowed');
  if (r.has(1)) {
    if (code !== 0) r.note(SELF_TEST_CODES.get(code) ?? `self-test code ${code}`);
    if (selfTest) r.note('SELFTEST');
    if (code !== 0 && selfTest) r.problem('SELF-TEST CODE must be 0 when SELFTEST is 1');
  }
  parameterListLength(r, 3, 2);
  r.control(5);
}

/** SPC-6 RECEIVE DIAGNOSTIC RESULTS: PCV, PAGE CODE, ALLOCATION LENGTH. */
function receiveDiagnosticResults(r: CdbReader): void {
  const pcv = r.flag('PCV', 1, 0, 'PAGE CODE is valid');
  const page = r.uint('PAGE CODE', 2, 1, { hex: true, text: (v) => (pcv ? diagnosticPageName(v) : undefined) });
  if (pcv) r.note(`page ${hex(page)}`);
  allocationLength(r, 3, 2);
  r.control(5);
}

/** MODE SPECIFIC and MODE of READ/WRITE BUFFER; modes are named from the reference table. */
function bufferMode(r: CdbReader): number {
  const opcode = r.byte(0) === 0x9b ? 0x3c : r.byte(0) === 0x96 ? 0x3b : r.byte(0);
  r.bits('MODE SPECIFIC', 1, 5, 3);
  const mode = r.bits('MODE', 1, 0, 5, { hex: true, text: (v) => serviceActionName(opcode, v) });
  if (r.has(1)) r.note(`mode ${hex(mode)}${serviceActionName(opcode, mode) ? ` (${serviceActionName(opcode, mode)})` : ''}`);
  return mode;
}

/** SPC-6 READ BUFFER(10): MODE, BUFFER ID, BUFFER OFFSET, ALLOCATION LENGTH (24-bit). */
function readBuffer10(r: CdbReader): void {
  bufferMode(r);
  r.uint('BUFFER ID', 2, 1);
  r.uint('BUFFER OFFSET', 3, 3, { unit: 'bytes' });
  allocationLength(r, 6, 3);
  r.control(9);
}

/** SPC-6 READ BUFFER(16): MODE, BUFFER OFFSET (64-bit), ALLOCATION LENGTH, BUFFER ID. */
function readBuffer16(r: CdbReader): void {
  bufferMode(r);
  if (r.has(2, 8)) r.uint64('BUFFER OFFSET', 2, { unit: 'bytes' });
  allocationLength(r, 10, 4);
  r.uint('BUFFER ID', 14, 1);
  r.control(15);
}

/** SPC-6 WRITE BUFFER: MODE, BUFFER ID, BUFFER OFFSET, PARAMETER LIST LENGTH (24-bit). */
function writeBuffer(r: CdbReader): void {
  bufferMode(r);
  r.uint('BUFFER ID', 2, 1);
  r.uint('BUFFER OFFSET', 3, 3, { unit: 'bytes' });
  parameterListLength(r, 6, 3);
  r.control(9);
}

/** SPC-6 REPORT LUNS: SELECT REPORT, ALLOCATION LENGTH. */
function reportLuns(r: CdbReader): void {
  const select = r.uint('SELECT REPORT', 2, 1, { hex: true, text: (v) => SELECT_REPORT.get(v) ?? 'reserved' });
  if (r.has(2) && select !== 0) r.note(`select ${hex(select)}`);
  allocationLength(r, 6, 4);
  r.control(11);
}

/** SPC-6 REPORT SUPPORTED OPERATION CODES (MAINTENANCE IN 0Ch). */
function reportSupportedOpcodes(r: CdbReader): void {
  serviceAction5(r);
  r.noteFlag('RCTD', 2, 7, 'return command timeouts descriptor');
  const options = r.bits('REPORTING OPTIONS', 2, 0, 3, { text: (v) => REPORTING_OPTIONS.get(v) ?? 'reserved' });
  const withSa = options === 2 || options === 3;
  const requestedSa = (r.byte(4) << 8) | r.byte(5);
  const op = opcodeField(r, 'REQUESTED OPERATION CODE', 3, withSa ? requestedSa : undefined);
  r.uint('REQUESTED SERVICE ACTION', 4, 2, { hex: true });
  if (r.has(3) && options !== 0) r.note(`opcode ${hex(op)}${withSa ? `/${hex(requestedSa, 4)}` : ''}`);
  allocationLength(r, 6, 4);
  r.control(11);
}

/** SPC-6 REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (MAINTENANCE IN 0Dh). */
function reportSupportedTmfs(r: CdbReader): void {
  serviceAction5(r);
  r.flag('REPD', 2, 7, 'return extended parameter data');
  allocationLength(r, 6, 4);
  r.control(11);
}

/** SPC-6 REPORT TARGET PORT GROUPS (MAINTENANCE IN 0Ah). */
function reportTargetPortGroups(r: CdbReader): void {
  r.bits('PARAMETER DATA FORMAT', 1, 5, 3, { text: (v) => (v === 0 ? 'length only header' : v === 1 ? 'extended header' : 'reserved') });
  serviceAction5(r);
  allocationLength(r, 6, 4);
  r.control(11);
}

/** Generic MAINTENANCE IN/OUT layout: SERVICE ACTION, 32-bit length in bytes 6-9. */
function maintenance(direction: 'in' | 'out') {
  return (r: CdbReader): void => {
    serviceAction5(r);
    if (direction === 'in') allocationLength(r, 6, 4);
    else parameterListLength(r, 6, 4);
    r.control(11);
  };
}

/** SPC-6 PERSISTENT RESERVE IN: SERVICE ACTION, ALLOCATION LENGTH. */
function persistentReserveIn(r: CdbReader): void {
  serviceAction5(r);
  if (r.has(1)) r.note(serviceActionName(0x5e, r.byte(1) & 0x1f) ?? `SA ${hex(r.byte(1) & 0x1f)}`);
  allocationLength(r, 7, 2);
  r.control(9);
}

/** SPC-6 PERSISTENT RESERVE OUT: SERVICE ACTION, SCOPE, TYPE, PARAMETER LIST LENGTH (32-bit). */
function persistentReserveOut(r: CdbReader): void {
  const action = serviceAction5(r);
  if (r.has(1)) r.note(serviceActionName(0x5f, action) ?? `SA ${hex(action)}`);
  const scope = r.bits('SCOPE', 2, 4, 4, { text: (v) => (v === 0 ? 'LU_SCOPE' : 'reserved') });
  const type = r.bits('TYPE', 2, 0, 4, { text: (v) => PR_TYPES.get(v) ?? (v === 0 ? undefined : 'reserved') });
  if (r.has(2)) {
    if (type !== 0) r.note(`type ${PR_TYPES.get(type) ?? type}`);
    if (scope !== 0) r.problem(`SCOPE ${scope} is reserved (only LU_SCOPE, 0, is defined)`);
  }
  parameterListLength(r, 5, 4);
  r.control(9);
}

/** SPC-6 SECURITY PROTOCOL IN / OUT: protocol, protocol specific, INC_512, length. */
function securityProtocol(direction: 'in' | 'out') {
  return (r: CdbReader): void => {
    const protocol = r.uint('SECURITY PROTOCOL', 1, 1, { hex: true, text: securityProtocolName });
    const specific = r.uint('SECURITY PROTOCOL SPECIFIC', 2, 2, { hex: true });
    const inc512 = r.flag('INC_512', 4, 7, 'length in 512-byte units');
    if (r.has(3)) r.note(`protocol ${hex(protocol)} sps ${hex(specific, 4)}`);
    if (!r.has(6, 4)) return r.control(11);
    const units = r.uint(direction === 'in' ? 'ALLOCATION LENGTH' : 'TRANSFER LENGTH', 6, 4, {
      unit: inc512 ? '512-byte units' : 'bytes',
    });
    const bytes = inc512 ? units * 512 : units;
    r.transfer(bytes, 'bytes', direction === 'in' ? 'from-device' : 'to-device');
    r.note(`${direction === 'in' ? 'alloc' : 'len'} ${bytes}`);
    r.control(11);
  };
}

/** SPC-6 PREVENT ALLOW MEDIUM REMOVAL: PREVENT. */
function preventAllowMediumRemoval(r: CdbReader): void {
  const prevent = r.bits('PREVENT', 4, 0, 2, {
    text: (v) => ['medium removal allowed', 'medium removal prevented', 'obsolete', 'obsolete'][v],
  });
  if (r.has(4)) r.note(prevent === 1 ? 'PREVENT' : prevent === 0 ? 'ALLOW' : `PREVENT ${prevent}`);
  r.noData();
  r.control(5);
}

/**
 * SPC-6 third-party copy commands (EXTENDED COPY, RECEIVE COPY STATUS/DATA/..., POPULATE TOKEN,
 * WRITE USING TOKEN): LIST IDENTIFIER where the service action has one, a 32-bit length in
 * bytes 10-13, GROUP NUMBER in byte 14 for the token commands.
 */
function thirdPartyCopy(direction: 'in' | 'out') {
  return (r: CdbReader): void => {
    const action = serviceAction5(r);
    if (direction === 'in') {
      if (action === 0x00 || action === 0x01 || action === 0x04)
        r.uint('LIST IDENTIFIER', 2, 1); // LID1
      else if (action === 0x05 || action === 0x06 || action === 0x07) r.uint('LIST IDENTIFIER', 2, 4);
      allocationLength(r, 10, 4);
    } else {
      if (action === 0x10 || action === 0x11) r.uint('LIST IDENTIFIER', 6, 4);
      parameterListLength(r, 10, 4);
      if (action === 0x10 || action === 0x11) groupNumber(r, 14);
    }
    r.control(15);
  };
}

export const SPC_COMMANDS: readonly CommandDecoder[] = [
  { opcode: 0x00, length: 6, decode: testUnitReady },
  { opcode: 0x03, length: 6, decode: requestSense },
  { opcode: 0x12, length: 6, decode: inquiry },
  { opcode: 0x15, length: 6, decode: modeSelect6 },
  { opcode: 0x1a, length: 6, decode: modeSense6 },
  { opcode: 0x1c, length: 6, decode: receiveDiagnosticResults },
  { opcode: 0x1d, length: 6, decode: sendDiagnostic },
  { opcode: 0x1e, length: 6, decode: preventAllowMediumRemoval },
  { opcode: 0x3b, length: 10, decode: writeBuffer },
  { opcode: 0x3c, length: 10, decode: readBuffer10 },
  { opcode: 0x4c, length: 10, decode: logSelect },
  { opcode: 0x4d, length: 10, decode: logSense },
  { opcode: 0x55, length: 10, decode: modeSelect10 },
  { opcode: 0x5a, length: 10, decode: modeSense10 },
  { opcode: 0x5e, length: 10, decode: persistentReserveIn },
  { opcode: 0x5f, length: 10, decode: persistentReserveOut },
  ...[0x00, 0x01, 0x10, 0x11].map((sa) => ({ opcode: 0x83, serviceAction: sa, length: 16, decode: thirdPartyCopy('out') })),
  ...[0x00, 0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08].map((sa) => ({ opcode: 0x84, serviceAction: sa, length: 16, decode: thirdPartyCopy('in') })),
  { opcode: 0x9b, length: 16, decode: readBuffer16 },
  { opcode: 0xa0, length: 12, decode: reportLuns },
  { opcode: 0xa2, length: 12, decode: securityProtocol('in') },
  { opcode: 0xa3, serviceAction: 0x0a, length: 12, decode: reportTargetPortGroups },
  { opcode: 0xa3, serviceAction: 0x0c, length: 12, decode: reportSupportedOpcodes },
  { opcode: 0xa3, serviceAction: 0x0d, length: 12, decode: reportSupportedTmfs },
  ...[0x05, 0x0b, 0x0e, 0x0f].map((sa) => ({ opcode: 0xa3, serviceAction: sa, length: 12, decode: maintenance('in') })),
  ...[0x06, 0x0a, 0x0b, 0x0e, 0x0f].map((sa) => ({ opcode: 0xa4, serviceAction: sa, length: 12, decode: maintenance('out') })),
  { opcode: 0xb5, length: 12, decode: securityProtocol('out') },
];
