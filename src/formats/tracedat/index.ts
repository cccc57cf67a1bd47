import { eventBatches } from '../../model/batch-builder.js';
import type { TraceFormat } from '../registry.js';
import { readTraceDat, readTraceDatAt, TRACEDAT_MAGIC } from './reader.js';

export const tracedatFormat: TraceFormat = {
  id: 'tracedat',
  description: "trace-cmd's binary trace.dat (versions 6 and 7, zstd or zlib compressed): Linux SCSI tracepoints",
  sniff: (head) => head.length >= TRACEDAT_MAGIC.length && TRACEDAT_MAGIC.every((b, i) => head[i] === b),
  read: (chunks, stats) => eventBatches(readTraceDat(chunks, stats)),
  readAt: (file, stats) => eventBatches(readTraceDatAt(file, stats)),
};
