/** Every rule, registered once. Adding a rule is adding a file and a line here (the consistency test checks). */
import { editDistance } from '../suggest.js';
import type { Rule } from '../rule.js';
import syncCacheWithoutFlush from './sync-cache-without-flush.js';
import syncCacheRejected from './sync-cache-rejected.js';
import unflushedWrites from './unflushed-writes.js';
import readBackMismatch from './read-back-mismatch.js';
import opcodeRejected from './opcode-rejected.js';
import shortTransferReportedGood from './short-transfer-reported-good.js';
import vendorSpecificCdb from './vendor-specific-cdb.js';
import checkConditionWithoutSense from './check-condition-without-sense.js';
import malformedSense from './malformed-sense.js';
import goodStatusWithErrorSense from './good-status-with-error-sense.js';
import segmentCountExceeded from './segment-count-exceeded.js';
import transferTooLarge from './transfer-too-large.js';
import segmentTooLong from './segment-too-long.js';
import segmentAboveAddressLimit from './segment-above-address-limit.js';
import segmentCrossesBoundary from './segment-crosses-boundary.js';
import segmentMisaligned from './segment-misaligned.js';
import segmentTotalMismatch from './segment-total-mismatch.js';
import cdbTransferLengthMismatch from './cdb-transfer-length-mismatch.js';
import overlappingSegments from './overlapping-segments.js';
import bufferAboveAddressLimit from './buffer-above-address-limit.js';
import sglAddressTruncated from './sgl-address-truncated.js';
import sglNotCoveringBuffer from './sgl-not-covering-buffer.js';
import dmaMappedBytesExceeded from './dma-mapped-bytes-exceeded.js';
import taskNeverCompleted from './task-never-completed.js';
import taskTimeoutExceeded from './task-timeout-exceeded.js';
import completionForUnknownTask from './completion-for-unknown-task.js';
import duplicateCompletion from './duplicate-completion.js';
import taskIdReused from './task-id-reused.js';
import tooManyTasksInFlight from './too-many-tasks-in-flight.js';
import lbaBeyondCapacity from './lba-beyond-capacity.js';
import slowPowerTransition from './slow-power-transition.js';
import commandWhilePoweredDown from './command-while-powered-down.js';

/** In the order `scsitrace rules` lists them: cache, commands, DMA, lifecycle, power. */
export const allRules: readonly Rule[] = [
  syncCacheWithoutFlush,
  syncCacheRejected,
  unflushedWrites,
  readBackMismatch,
  opcodeRejected,
  shortTransferReportedGood,
  vendorSpecificCdb,
  checkConditionWithoutSense,
  malformedSense,
  goodStatusWithErrorSense,
  segmentCountExceeded,
  transferTooLarge,
  segmentTooLong,
  segmentAboveAddressLimit,
  segmentCrossesBoundary,
  segmentMisaligned,
  segmentTotalMismatch,
  cdbTransferLengthMismatch,
  overlappingSegments,
  bufferAboveAddressLimit,
  sglAddressTruncated,
  sglNotCoveringBuffer,
  dmaMappedBytesExceeded,
  taskNeverCompleted,
  taskTimeoutExceeded,
  completionForUnknownTask,
  duplicateCompletion,
  taskIdReused,
  tooManyTasksInFlight,
  lbaBeyondCapacity,
  slowPowerTransition,
  commandWhilePoweredDown,
];

const byId = new Map(allRules.map((r) => [r.meta.id, r]));

export function findRule(id: string): Rule | undefined {
  return byId.get(id);
}

/** The registered id closest to a mistyped one (shared prefix or small edit distance). */
export function suggestRule(id: string): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const known of byId.keys()) {
    const score = known.startsWith(id) || id.startsWith(known) ? 0 : editDistance(id, known);
    if (score < bestScore) {
      bestScore = score;
      best = known;
    }
  }
  return bestScore <= Math.max(3, Math.floor(id.length / 3)) ? best : undefined;
}
