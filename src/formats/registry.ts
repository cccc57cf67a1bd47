import type { TaskBatch } from '../model/batch.js';
import type { ReadStats } from '../model/stats.js';
import type { RandomAccess } from './random-access.js';

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
  /**
   * Buffers of `bytes` each for the opener to read chunks into, in turn, instead of a fresh
   * buffer per read. Only for a read() that keeps nothing of a chunk (no view into it) once it
   * has been given the chunk after next: the opener asks for three (the chunk read() may still
   * hold, the one it is decoding, the one being read). The native format gives views of a
   * CRC32C window's WebAssembly memory, so that records are checked where they were read.
   */
  readBuffers?(count: number, bytes: number): Uint8Array[];
  /**
   * Streams the trace as batches (src/model/batch.ts) filled through a BatchBuilder; a reader
   * may hand out the same batch object each time, refilled once the consumer asks for the next.
   * Damage becomes Diagnostic events, never exceptions.
   *
   * Rows come in capture order as far as the input tells it, capture gaps included: a
   * CaptureGap comes before every record captured after the loss it reports. Consumers (the
   * checker, decode, summary, convert) judge each record when it comes, against the gaps seen so
   * far: a completion whose submission was lost is "not captured" only if the gap came first. A
   * reader that learns of a loss only from what follows it (the os_log reader, from sequence
   * numbers) holds those records back, in bounded memory, until it knows where its gaps go.
   */
  read(chunks: AsyncIterable<Uint8Array>, stats: ReadStats, options: ReadOptions): AsyncIterable<TaskBatch>;
  /**
   * The same batches as read(), from input it can read at any offset: the opener calls this
   * instead of read() for a regular file that is not compressed. For a format whose layout asks
   * for it (trace.dat's CPUs stored one after another, merged by time a page of each at a
   * time); read() then holds a stream in memory to read it the same way.
   */
  readAt?(file: RandomAccess, stats: ReadStats, options: ReadOptions): AsyncIterable<TaskBatch>;
}
