import type { TraceFormat } from '../registry.js';
import { headText, looksLikeText } from '../ftrace/lines.js';
import { readOslog } from './reader.js';
import { eventBatches } from '../../model/batch-builder.js';

/**
 * An SCT1 line, or the column header / filter line `log show` and `log stream` print (default,
 * compact and syslog styles), or ndjson/json.
 */
const SNIFF =
  /(?:^|[^A-Za-z0-9+/])SCT1[BX] [0-9A-Fa-f]{1,8} \d{1,5}\/\d{1,5} |^Timestamp\s+(?:Thread\s+Type|Ty\s+Process|\(process\)\[PID\])|^Filtering the log data using |"eventMessage"\s*:/m;

export const oslogFormat: TraceFormat = {
  id: 'oslog',
  description: 'scsitrace records in a macOS unified-log export (log show / log stream; SCT1 lines)',
  sniff: (head) => looksLikeText(head) && SNIFF.test(headText(head)),
  read: (chunks, stats) => eventBatches(readOslog(chunks, stats)),
};
