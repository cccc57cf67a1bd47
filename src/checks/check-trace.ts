/**
 * Library entry point: check trace files without the CLI.
 *
 *   import { checkTrace } from 'scsitrace';
 *   const result = await checkTrace('capture.sct', { constraints: loadConstraintFile('hba.json') });
 */
import { openTrace, type OpenOptions } from '../formats/open.js';
import type { Diagnostic } from '../model/events.js';
import { createChecker, type CheckOptions, type CheckResult } from './engine.js';

export interface CheckTraceResult extends CheckResult {
  /** Damaged or unreadable stretches of the input; reading went on after them where it could. */
  diagnostics: Diagnostic[];
}

export async function checkTrace(paths: string | readonly string[], options: CheckOptions & OpenOptions = {}): Promise<CheckTraceResult> {
  const checker = createChecker(options);
  const diagnostics: Diagnostic[] = [];
  for (const path of typeof paths === 'string' ? [paths] : paths) {
    const trace = await openTrace(path, options);
    checker.startFile(path);
    for await (const batch of trace.batches) {
      for (const ev of batch.events) if (ev.kind === 'diagnostic' && diagnostics.length < 1000) diagnostics.push(ev);
      checker.pushBatch(batch);
    }
  }
  return { ...checker.finish(), diagnostics };
}
