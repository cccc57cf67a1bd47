import type { TraceFormat } from '../registry.js';
import { headText, looksLikeText } from './lines.js';
import { readFtrace } from './reader.js';
import { eventBatches } from '../../model/batch-builder.js';

/** A SCSI tracepoint line, or the header /sys/kernel/tracing/trace and `trace-cmd report` print. */
const SNIFF = /\d:\s+(?:scsi:)?scsi_(?:dispatch_cmd_(?:start|done|error|timeout)|eh_wakeup):|^# tracer: |^cpus=\d+\r?$/m;

export const ftraceFormat: TraceFormat = {
  id: 'ftrace',
  description: 'Linux SCSI tracepoint text (tracefs trace, trace-cmd report, perf script)',
  sniff: (head) => looksLikeText(head) && SNIFF.test(headText(head)),
  read: (chunks, stats) => eventBatches(readFtrace(chunks, stats)),
};
