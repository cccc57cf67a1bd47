/**
 * readInputs on read workers (src/pipeline/parallel.ts): the same result, with a progress bar
 * that sums the workers' bytes and records.
 */
import type { OpenOptions } from '../formats/open.js';
import { readInputsParallel, type ParallelHooks, type RemotePipeline } from '../pipeline/parallel.js';
import type { ProblemOptions } from '../model/problems.js';
import type { ReadResult } from './input.js';
import { totalSize } from './input.js';
import { createProgress, type ProgressHost } from './progress.js';

export async function readInputsOnWorkers(
  paths: string[],
  options: OpenOptions,
  pipeline: RemotePipeline,
  hooks: ParallelHooks,
  parallel: { jobs: number; keepSegments?: boolean; problems?: ProblemOptions },
  host: ProgressHost,
): Promise<ReadResult> {
  const bar = createProgress(host, { totalBytes: totalSize(paths) });
  try {
    return await readInputsParallel(paths, options, pipeline, hooks, { ...parallel, progress: bar });
  } finally {
    bar.done();
  }
}
