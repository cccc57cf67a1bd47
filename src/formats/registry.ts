import type { TraceEvent } from '../model/events.js';
import type { ReadStats } from '../model/stats.js';

/** Options a reader may honour; unknown ones are ignored. */
export interface ReadOptions {
  /** TCP port to treat as iSCSI (pcap readers); content detection otherwise. */
  iscsiPort?: number;
}

/** One input format: how to recognise it from its first bytes, and how to read it. */
export interface TraceFormat {
  id: string;
  description: string;
  /** True when the first bytes of a file (up to 64 KiB, may be fewer) look like this format. */
  sniff(head: Uint8Array): boolean;
  /** Streams events in batches; damage becomes Diagnostic events, never exceptions. */
  read(chunks: AsyncIterable<Uint8Array>, stats: ReadStats, options: ReadOptions): AsyncIterable<TraceEvent[]>;
}
