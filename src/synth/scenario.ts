import type { TraceWriter, WriterOptions } from '../formats/native/writer.js';

export interface ScenarioOptions {
  seed: number;
  /** Scenario-specific size in bytes (see Scenario.size); undefined = the scenario default. */
  size?: number;
  /** Called as the scenario's work goes on: bytes of it done, of `total` (scenarios with a size). */
  onProgress?: (done: number, total: number) => void;
}

/** A generator of one realistic, deterministic trace. */
export interface Scenario {
  name: string;
  /** One line for `synth --list`. */
  summary: string;
  /** What the trace contains and how it was modelled, for `synth --list` and the docs. */
  details: string[];
  /** What --size means for this scenario, and its default; absent when --size does not apply. */
  size?: { meaning: string; default: number; min: number; max: number };
  generate(w: TraceWriter, o: ScenarioOptions): void;
}

/** 2025-01-15T10:00:00Z: a fixed wall-clock start so the same seed gives the same bytes. */
export const START_WALL_NS = 1_736_935_200_000_000_000n;

export function writerOptions(scenario: Scenario, o: ScenarioOptions): WriterOptions {
  return {
    producer: `scsitrace synth ${scenario.name} seed=${o.seed}${o.size !== undefined ? ` size=${o.size}` : ''} (synthetic)`,
    startWallNs: START_WALL_NS,
  };
}
