import type { TraceEvent } from '../model/events.js';
import type { ReadStats } from '../model/stats.js';
import type { TaskSink } from '../model/task-sink.js';

/** Options a reader may honour; unknown ones are ignored. */
export interface ReadOptions {
  /** TCP port to treat as iSCSI (pcap readers); content detection otherwise. */
  iscsiPort?: number;
  /**
   * Where task submissions and completions go instead of events, for readers that can (the
   * native one); others ignore it and send events as always.
   */
  taskSink?: TaskSink;
}

/** One input format: how to recognise it from its first bytes, and how to read it. */
export interface TraceFormat {
  id: string;
  description: string;
  /** True when the first bytes of a file (up to 64 KiB, may be fewer) look like this format. */
  sniff(head: Uint8Array): boolean;
  /**
   * True when read() keeps nothing of a chunk (no view into it) once it has asked for the chunk
   * after next; the opener may then read into the same two buffers in turn.
   */
  releasesChunks?: boolean;
  /** Streams events in batches; damage becomes Diagnostic events, never exceptions. */
  read(chunks: AsyncIterable<Uint8Array>, stats: ReadStats, options: ReadOptions): AsyncIterable<TraceEvent[]>;
}
