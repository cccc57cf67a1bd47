/**
 * Names of values that appear in CDB fields: VPD, mode and log pages, power conditions,
 * persistent reservation types, security protocols, ATA protocols and commands. Data only.
 */

type NameTable = ReadonlyMap<number, string>;
const table = (rows: ReadonlyArray<readonly [number, string]>): NameTable => new Map(rows);

/** SPC-6 (Vital product data parameters) and SBC-5 VPD page codes. */
export const VPD_PAGES = table([
  [0x00, 'Supported VPD Pages'],
  [0x80, 'Unit Serial Number'],
  [0x83, 'Device Identification'],
  [0x84, 'Software Interface Identification'],
  [0x85, 'Management Network Addresses'],
  [0x86, 'Extended INQUIRY Data'],
  [0x87, 'Mode Page Policy'],
  [0x88, 'SCSI Ports'],
  [0x89, 'ATA Information'],
  [0x8a, 'Power Condition'],
  [0x8b, 'Device Constituents'],
  [0x8c, 'CFA Profile Information'],
  [0x8d, 'Power Consumption'],
  [0x8f, 'Third-party Copy'],
  [0x90, 'Protocol Specific Logical Unit Information'],
  [0x91, 'Protocol Specific Port Information'],
  [0x92, 'SCSI Feature Sets'],
  [0xb0, 'Block Limits'],
  [0xb1, 'Block Device Characteristics'],
  [0xb2, 'Logical Block Provisioning'],
  [0xb3, 'Referrals'],
  [0xb4, 'Supported Block Lengths and Protection Types'],
  [0xb5, 'Block Device Characteristics Extension'],
  [0xb6, 'Zoned Block Device Characteristics'],
  [0xb7, 'Block Limits Extension'],
  [0xb8, 'Format Presets'],
  [0xb9, 'Concurrent Positioning Ranges'],
  [0xba, 'Capacity/Product Identification Mapping'],
]);

/** SPC-6 and SBC-5 mode pages, keyed (page << 8) | subpage. */
export const MODE_PAGES = table([
  [0x0100, 'Read-Write Error Recovery'],
  [0x0200, 'Disconnect-Reconnect'],
  [0x0300, 'Format Device (obsolete)'],
  [0x0400, 'Rigid Disk Geometry (obsolete)'],
  [0x0700, 'Verify Error Recovery'],
  [0x0800, 'Caching'],
  [0x0a00, 'Control'],
  [0x0a01, 'Control Extension'],
  [0x0a02, 'Application Tag'],
  [0x0a03, 'Command Duration Limit A'],
  [0x0a04, 'Command Duration Limit B'],
  [0x0a05, 'IO Advice Hints Grouping'],
  [0x0a06, 'Background Operation Control'],
  [0x0af1, 'PATA Control'],
  [0x0a07, 'Command Duration Limit T2A'],
  [0x0a08, 'Command Duration Limit T2B'],
  [0x0b00, 'Medium Types Supported (obsolete)'],
  [0x0c00, 'Notch and Partition (obsolete)'],
  [0x1000, 'XOR Control (obsolete)'],
  [0x1400, 'Enclosure Services Management'],
  [0x1800, 'Protocol Specific Logical Unit'],
  [0x1900, 'Protocol Specific Port'],
  [0x1a00, 'Power Condition'],
  [0x1a01, 'Power Consumption'],
  [0x1c00, 'Informational Exceptions Control'],
  [0x1c01, 'Background Control'],
  [0x1c02, 'Logical Block Provisioning'],
  [0x3f00, 'All pages (no subpages)'],
  [0x3fff, 'All pages and subpages'],
]);

/** Mode page name: the exact page/subpage, "all subpages" of a page, or undefined. */
export function modePageName(page: number, subpage: number): string | undefined {
  const exact = MODE_PAGES.get((page << 8) | subpage);
  if (exact !== undefined) return exact;
  if (subpage === 0xff) {
    const base = MODE_PAGES.get(page << 8);
    return base === undefined ? undefined : `${base}, all subpages`;
  }
  return page === 0 ? 'Vendor specific (page 0)' : undefined;
}

/** SPC-6 MODE SENSE(6/10): PC (page control) field. */
export const MODE_PAGE_CONTROL = ['current values', 'changeable values', 'default values', 'saved values'];

/** SPC-6 and SBC-5 log pages, keyed (page << 8) | subpage. */
export const LOG_PAGES = table([
  [0x0000, 'Supported Log Pages'],
  [0x00ff, 'Supported Log Pages and Subpages'],
  [0x0200, 'Write Error Counter'],
  [0x0300, 'Read Error Counter'],
  [0x0400, 'Read Reverse Error Counter'],
  [0x0500, 'Verify Error Counter'],
  [0x0600, 'Non-Medium Error'],
  [0x0700, 'Last n Error Events'],
  [0x0800, 'Format Status'],
  [0x0b00, 'Last n Deferred Errors or Asynchronous Events'],
  [0x0c00, 'Logical Block Provisioning'],
  [0x0d00, 'Temperature'],
  [0x0d01, 'Environmental Reporting'],
  [0x0d02, 'Environmental Limits'],
  [0x0e00, 'Start-Stop Cycle Counter'],
  [0x0e01, 'Utilization'],
  [0x0f00, 'Application Client'],
  [0x1000, 'Self-Test Results'],
  [0x1100, 'Solid State Media'],
  [0x1400, 'Zoned Block Device Statistics'],
  [0x1500, 'Background Scan Results'],
  [0x1501, 'Pending Defects'],
  [0x1502, 'Background Operation'],
  [0x1503, 'LPS Misalignment'],
  [0x1700, 'Non-volatile Cache'],
  [0x1800, 'Protocol Specific Port'],
  [0x1900, 'General Statistics and Performance'],
  [0x1920, 'Group Statistics and Performance'],
  [0x1a00, 'Power Condition Transitions'],
  [0x2f00, 'Informational Exceptions'],
]);

export function logPageName(page: number, subpage: number): string | undefined {
  const exact = LOG_PAGES.get((page << 8) | subpage);
  if (exact !== undefined) return exact;
  if (page === 0x19 && subpage >= 0x01 && subpage <= 0x1f) return 'Group Statistics and Performance';
  return page >= 0x30 && page <= 0x3e ? 'Vendor specific' : undefined;
}

/** SPC-6 LOG SENSE / LOG SELECT: PC (page control) field. */
export const LOG_PAGE_CONTROL = ['threshold values', 'cumulative values', 'default threshold values', 'default cumulative values'];

/** SPC-6 and SES-4 diagnostic page codes. */
export function diagnosticPageName(page: number): string | undefined {
  if (page === 0x00) return 'Supported Diagnostic Pages';
  if (page >= 0x01 && page <= 0x2f) return 'SCSI Enclosure Services page';
  if (page === 0x3f) return 'Protocol specific';
  if (page === 0x40) return 'Translate Address';
  if (page === 0x41) return 'Device Status';
  if (page === 0x42) return 'Rebuild Assist';
  if (page >= 0x80) return 'Vendor specific';
  return undefined;
}

/** SPC-6 SEND DIAGNOSTIC: SELF-TEST CODE field. */
export const SELF_TEST_CODES = table([
  [0, 'none (use SELFTEST bit)'],
  [1, 'background short self-test'],
  [2, 'background extended self-test'],
  [4, 'abort background self-test'],
  [5, 'foreground short self-test'],
  [6, 'foreground extended self-test'],
]);

/** SBC-5 START STOP UNIT: POWER CONDITION field. */
export const POWER_CONDITIONS = table([
  [0x0, 'START_VALID'],
  [0x1, 'ACTIVE'],
  [0x2, 'IDLE'],
  [0x3, 'STANDBY'],
  [0x7, 'LU_CONTROL'],
  [0xa, 'FORCE_IDLE_0'],
  [0xb, 'FORCE_STANDBY_0'],
]);

/** SPC-6 REPORT LUNS: SELECT REPORT field. */
export const SELECT_REPORT = table([
  [0x00, 'logical units, no well known'],
  [0x01, 'well known logical units only'],
  [0x02, 'all logical units'],
  [0x10, 'administrative logical units'],
  [0x11, 'administrative and subsidiary logical units'],
  [0x12, 'subsidiary logical units of the addressed administrative logical unit'],
]);

/** SPC-6 REPORT SUPPORTED OPERATION CODES: REPORTING OPTIONS field. */
export const REPORTING_OPTIONS = table([
  [0, 'all commands'],
  [1, 'one command, no service action'],
  [2, 'one command with service action'],
  [3, 'one command, service action optional'],
]);

/** SPC-6 PERSISTENT RESERVE OUT: TYPE field (persistent reservation types). */
export const PR_TYPES = table([
  [0x1, 'Write Exclusive'],
  [0x3, 'Exclusive Access'],
  [0x5, 'Write Exclusive - Registrants Only'],
  [0x6, 'Exclusive Access - Registrants Only'],
  [0x7, 'Write Exclusive - All Registrants'],
  [0x8, 'Exclusive Access - All Registrants'],
]);

/** SPC-6 SECURITY PROTOCOL IN/OUT: SECURITY PROTOCOL field. */
export function securityProtocolName(protocol: number): string | undefined {
  if (protocol === 0x00) return 'security protocol information';
  if (protocol >= 0x01 && protocol <= 0x06) return 'TCG';
  const names: Record<number, string> = {
    0x07: 'CbCS',
    0x20: 'tape data encryption',
    0x21: 'data encryption configuration',
    0x40: 'SA creation capabilities',
    0x41: 'IKEv2-SCSI',
    0xea: 'NVMe',
    0xeb: 'SCSA',
    0xec: 'JEDEC UFS',
    0xed: 'SDcard TrustedFlash',
    0xee: 'IEEE 1667',
    0xef: 'ATA device server password',
  };
  if (names[protocol] !== undefined) return names[protocol];
  return protocol >= 0xf0 ? 'vendor specific' : undefined;
}

/** SAT-5 ATA PASS-THROUGH: PROTOCOL field. */
export const ATA_PROTOCOLS = table([
  [0x0, 'ATA hardware reset'],
  [0x1, 'software reset'],
  [0x3, 'non-data'],
  [0x4, 'PIO data-in'],
  [0x5, 'PIO data-out'],
  [0x6, 'DMA'],
  [0x8, 'execute device diagnostic'],
  [0x9, 'non-data command and reset'],
  [0xa, 'UDMA data-in'],
  [0xb, 'UDMA data-out'],
  [0xc, 'NCQ (FPDMA)'],
  [0xf, 'return response information'],
]);

/** SAT-5 ATA PASS-THROUGH: T_LENGTH field, where the ATA transfer length is. */
export const ATA_T_LENGTH = ['no data', 'in FEATURES', 'in COUNT', 'in TPSIU'];

/** ACS-5 command codes most often seen inside ATA PASS-THROUGH. */
export const ATA_COMMANDS = table([
  [0x00, 'NOP'],
  [0x06, 'DATA SET MANAGEMENT'],
  [0x0b, 'REQUEST SENSE DATA EXT'],
  [0x20, 'READ SECTORS'],
  [0x24, 'READ SECTORS EXT'],
  [0x25, 'READ DMA EXT'],
  [0x29, 'READ MULTIPLE EXT'],
  [0x2f, 'READ LOG EXT'],
  [0x30, 'WRITE SECTORS'],
  [0x34, 'WRITE SECTORS EXT'],
  [0x35, 'WRITE DMA EXT'],
  [0x39, 'WRITE MULTIPLE EXT'],
  [0x3d, 'WRITE DMA FUA EXT'],
  [0x3f, 'WRITE LOG EXT'],
  [0x40, 'READ VERIFY SECTORS'],
  [0x42, 'READ VERIFY SECTORS EXT'],
  [0x45, 'WRITE UNCORRECTABLE EXT'],
  [0x47, 'READ LOG DMA EXT'],
  [0x4a, 'ZAC MANAGEMENT IN'],
  [0x57, 'WRITE LOG DMA EXT'],
  [0x5b, 'TRUSTED NON-DATA'],
  [0x5c, 'TRUSTED RECEIVE'],
  [0x5d, 'TRUSTED RECEIVE DMA'],
  [0x5e, 'TRUSTED SEND'],
  [0x5f, 'TRUSTED SEND DMA'],
  [0x60, 'READ FPDMA QUEUED'],
  [0x61, 'WRITE FPDMA QUEUED'],
  [0x63, 'NCQ NON-DATA'],
  [0x64, 'SEND FPDMA QUEUED'],
  [0x65, 'RECEIVE FPDMA QUEUED'],
  [0x77, 'SET DATE & TIME EXT'],
  [0x78, 'ACCESSIBLE MAX ADDRESS CONFIGURATION'],
  [0x90, 'EXECUTE DEVICE DIAGNOSTIC'],
  [0x92, 'DOWNLOAD MICROCODE'],
  [0x93, 'DOWNLOAD MICROCODE DMA'],
  [0x9f, 'ZAC MANAGEMENT OUT'],
  [0xa1, 'IDENTIFY PACKET DEVICE'],
  [0xb0, 'SMART'],
  [0xb4, 'SANITIZE DEVICE'],
  [0xc4, 'READ MULTIPLE'],
  [0xc5, 'WRITE MULTIPLE'],
  [0xc6, 'SET MULTIPLE MODE'],
  [0xc8, 'READ DMA'],
  [0xca, 'WRITE DMA'],
  [0xe0, 'STANDBY IMMEDIATE'],
  [0xe1, 'IDLE IMMEDIATE'],
  [0xe2, 'STANDBY'],
  [0xe3, 'IDLE'],
  [0xe4, 'READ BUFFER'],
  [0xe5, 'CHECK POWER MODE'],
  [0xe6, 'SLEEP'],
  [0xe7, 'FLUSH CACHE'],
  [0xe8, 'WRITE BUFFER'],
  [0xe9, 'READ BUFFER DMA'],
  [0xea, 'FLUSH CACHE EXT'],
  [0xeb, 'WRITE BUFFER DMA'],
  [0xec, 'IDENTIFY DEVICE'],
  [0xef, 'SET FEATURES'],
  [0xf1, 'SECURITY SET PASSWORD'],
  [0xf2, 'SECURITY UNLOCK'],
  [0xf3, 'SECURITY ERASE PREPARE'],
  [0xf4, 'SECURITY ERASE UNIT'],
  [0xf5, 'SECURITY FREEZE LOCK'],
  [0xf6, 'SECURITY DISABLE PASSWORD'],
]);

/** SBC-5 GET LBA STATUS(16): REPORT TYPE field. */
export const LBA_STATUS_REPORT_TYPES = table([
  [0x00, 'all LBAs'],
  [0x01, 'non-zero provisioning status'],
  [0x02, 'mapped LBAs'],
  [0x03, 'deallocated LBAs'],
  [0x04, 'anchored LBAs'],
  [0x10, 'LBAs that may return unrecovered errors'],
]);

/** SBC-5 FORMAT UNIT: FMTPINFO field (with PROTECTION FIELD USAGE 0). */
export const FMTPINFO = ['no protection information', 'reserved', 'protection type 1', 'protection type 2 or 3 (see PROTECTION FIELD USAGE)'];

/** SBC-5 address descriptor (defect list) formats. */
export const DEFECT_LIST_FORMATS = table([
  [0, 'short block format'],
  [1, 'extended bytes from index format'],
  [2, 'extended physical sector format'],
  [3, 'long block format'],
  [4, 'bytes from index format'],
  [5, 'physical sector format'],
  [6, 'vendor specific'],
]);

/** SBC-5 RDPROTECT/WRPROTECT/VRPROTECT: non-zero asks for protection information handling. */
export function protectText(value: number): string | undefined {
  if (value === 0) return undefined;
  if (value <= 5) return 'protection information checked or transferred';
  return 'reserved';
}

/** SBC-5 VERIFY / WRITE AND VERIFY: BYTCHK field. */
export const BYTCHK = ['no data transferred; medium verified', 'compare with data-out buffer', 'reserved', 'compare each block with one block of data-out'];

/** SBC-5 WRITE AND VERIFY: BYTCHK field. */
export const WRITE_AND_VERIFY_BYTCHK = ['verify the medium after writing', 'compare the medium with the data-out buffer', 'reserved', 'reserved'];

/** ZBC-2 REPORT ZONES: REPORTING OPTIONS field (common values). */
export const ZONE_REPORTING_OPTIONS = table([
  [0x00, 'all zones'],
  [0x01, 'empty zones'],
  [0x02, 'implicitly opened zones'],
  [0x03, 'explicitly opened zones'],
  [0x04, 'closed zones'],
  [0x05, 'full zones'],
  [0x06, 'read only zones'],
  [0x07, 'offline zones'],
  [0x10, 'zones with RWP RECOMMENDED set'],
  [0x11, 'zones with NON-SEQUENTIAL WRITE RESOURCES ACTIVE set'],
  [0x3f, 'not write pointer zones'],
]);
