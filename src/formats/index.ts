import { nativeFormat } from './native/index.js';
import { pcapFormat, pcapngFormat } from './pcap/index.js';
import { jsonlFormat } from './jsonl/index.js';
import { ftraceFormat } from './ftrace/index.js';
import { oslogFormat } from './oslog/index.js';
import { usbmonFormat } from './usbmon/index.js';
import { tracedatFormat } from './tracedat/index.js';
import type { TraceFormat } from './registry.js';

export type { ReadOptions, TraceFormat } from './registry.js';

/** Every input format, in sniffing order (most specific magic first). */
export const formats: readonly TraceFormat[] = [nativeFormat, pcapngFormat, pcapFormat, tracedatFormat, jsonlFormat, ftraceFormat, oslogFormat, usbmonFormat];

export function formatById(id: string): TraceFormat | undefined {
  return formats.find((f) => f.id === id);
}

export function sniffFormat(head: Uint8Array): TraceFormat | undefined {
  return formats.find((f) => f.sniff(head));
}
