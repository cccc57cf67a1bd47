/**
 * Scenario traces: realistic, deterministic .sct files written through the library's own
 * writer, one generator per situation a driver developer meets.
 */
import { createTraceFileWriter, TraceWriter, writeTraceToBytes } from '../formats/native/writer.js';
import { UsageError } from '../model/errors.js';
import { writerOptions, type Scenario, type ScenarioOptions } from './scenario.js';
import { healthyCopy } from './scenarios/healthy-copy.js';
import { lsi3108BufferedCopy } from './scenarios/lsi3108-buffered-copy.js';
import { lsi3108KextBufferedCopy } from './scenarios/lsi3108-kext-buffered-copy.js';
import { vendorCdbRejected } from './scenarios/vendor-cdb-rejected.js';
import { dmaOver2Gib } from './scenarios/dma-over-2gib.js';
import { slowPowerTransition } from './scenarios/slow-power-transition.js';
import { mixedWorkload } from './scenarios/mixed-workload.js';
import { copyDext, copyDextFixed, copyKext } from './scenarios/copy-pair.js';

export type { Scenario, ScenarioOptions } from './scenario.js';
export { writeBenchTrace, writeBenchShape, type BenchShape } from './bench.js';
export { writeIscsiCapture, type IscsiCaptureOptions, type IscsiCaptureStats } from './iscsi-capture.js';
export { SAMPLE_TRACES, type SampleTrace } from './samples.js';

/** Every scenario, in the order `synth --list` shows them. */
export const scenarios: readonly Scenario[] = [
  healthyCopy,
  lsi3108BufferedCopy,
  lsi3108KextBufferedCopy,
  vendorCdbRejected,
  dmaOver2Gib,
  slowPowerTransition,
  mixedWorkload,
  copyKext,
  copyDext,
  copyDextFixed,
];

export function scenarioByName(name: string): Scenario {
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new UsageError(`unknown scenario "${name}" (known: ${scenarios.map((x) => x.name).join(', ')})`);
  return s;
}

/** Throws the usage error synthesis would, before anything is written. */
export function checkScenarioOptions(name: string, o: ScenarioOptions): void {
  checkOptions(scenarioByName(name), o);
}

function checkOptions(s: Scenario, o: ScenarioOptions): void {
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffff_ffff) throw new UsageError(`--seed: ${o.seed} is not a whole number from 0 to 4294967295`);
  if (o.size === undefined) return;
  if (!s.size) throw new UsageError(`scenario ${s.name} has a fixed shape and takes no --size`);
  if (!Number.isInteger(o.size) || o.size < s.size.min || o.size > s.size.max) {
    throw new UsageError(`--size: ${o.size} is outside ${s.size.min}..${s.size.max} bytes for ${s.name} (${s.size.meaning})`);
  }
}

/** Generates a scenario into memory. */
export function synthesize(name: string, o: ScenarioOptions): Uint8Array {
  const s = scenarioByName(name);
  checkOptions(s, o);
  return writeTraceToBytes(writerOptions(s, o), (w) => s.generate(w, o));
}

/** Generates a scenario into a byte sink (a file, standard output), in flat memory. */
export function synthesizeTo(name: string, sink: (bytes: Uint8Array) => void, o: ScenarioOptions): void {
  const s = scenarioByName(name);
  checkOptions(s, o);
  const w = new TraceWriter(sink, writerOptions(s, o));
  s.generate(w, o);
  w.flush();
}

/** Generates a scenario straight into a file, in flat memory. */
export function synthesizeToFile(name: string, path: string, o: ScenarioOptions): void {
  const s = scenarioByName(name);
  checkOptions(s, o);
  const w = createTraceFileWriter(path, writerOptions(s, o));
  try {
    s.generate(w, o);
  } finally {
    w.close();
  }
}
