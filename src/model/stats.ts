/** What a read saw besides events: the figures a user needs to trust the result. */
export interface ReadStats {
  bytesRead: number;
  /** Records (or packets, or lines) that were framed and read. */
  records: number;
  /** Records of types the reader does not know (skipped by design, not damage). */
  unknownRecords: number;
  unknownTypes: Map<number | string, number>;
  /** Damaged stretches, and the bytes and records skipped because of them. */
  damagedRegions: number;
  skippedBytes: number;
  skippedRecords: number;
}

export function newReadStats(): ReadStats {
  return { bytesRead: 0, records: 0, unknownRecords: 0, unknownTypes: new Map(), damagedRegions: 0, skippedBytes: 0, skippedRecords: 0 };
}
