import type { TraceFormat } from '../registry.js';
import { MAGIC } from './layout.js';
import { readNative } from './reader.js';
import { Crc32cWindow } from '../../model/crc32c.js';

export const nativeFormat: TraceFormat = {
  id: 'native',
  description: 'scsitrace native binary trace (.sct), docs/FORMAT.md',
  sniff: (head) => head.length >= 4 && MAGIC.subarray(0, Math.min(head.length, MAGIC.length)).every((b, i) => head[i] === b),
  // NativeDecoder copies what it keeps (CDBs, segments, sense, a record cut by a chunk end).
  readBuffers: (count, bytes) => {
    const window = new Crc32cWindow(count * bytes);
    return Array.from({ length: count }, () => window.reserve(bytes));
  },
  read: (chunks, stats) => readNative(chunks, stats),
};
