import type { Diagnostic } from '../../model/events.js';
import type { ReadStats } from '../../model/stats.js';
import type { PacketRef } from '../iscsi/tcp.js';

/**
 * A captured packet whose content cannot be read as what it claims (a link-layer header or an
 * FCoE frame): counted as one damaged region and one skipped record, and described in one line
 * that names the packet's byte offset and number. Reading goes on with the next packet.
 */
export function packetDamage(stats: ReadStats, at: PacketRef, message: string, skippedBytes: number): Diagnostic {
  stats.damagedRegions++;
  stats.skippedRecords++;
  stats.skippedBytes += skippedBytes;
  return {
    kind: 'diagnostic',
    ...at,
    message: `at byte 0x${at.offset.toString(16)} (packet ${at.index + 1}): ${message}`,
    skippedBytes,
    skippedRecords: 1,
    fatal: false,
  };
}
