/** Findings as one JSON document with a stable schema (README.md documents it). */
import { failsAt, type CheckResult } from '../../checks/engine.js';
import { jsonSetting } from '../../checks/constraints.js';
import { captureJson } from '../capture.js';
import { jsonInteger } from '../../model/json.js';
import { findingJson, type FindingsRenderOptions } from './common.js';

export const CHECK_JSON_SCHEMA = 'scsitrace-check/1';

export function checkResultJson(result: CheckResult, o: Pick<FindingsRenderOptions, 'failOn'>): Record<string, unknown> {
  return {
    schema: CHECK_JSON_SCHEMA,
    files: result.files,
    tasks: result.tasks,
    rules: result.rules,
    failOn: o.failOn,
    verdict: failsAt(result, o.failOn) ? 'fail' : 'pass',
    counts: result.counts,
    capture: captureJson(result.capture),
    groups: result.groups.map((g) => ({
      ruleId: g.ruleId,
      severity: g.severity,
      subject: g.subject ?? null,
      count: g.count,
      examples: g.examples.map(findingJson),
    })),
    constraints: {
      configFile: result.constraints.configFile ?? null,
      values: result.constraints.entries.map((e) => ({
        id: e.id,
        key: e.key,
        value: jsonSetting(e.value),
        source: e.source,
        overrides: e.overrides ? { value: jsonSetting(e.overrides.value), source: e.overrides.source } : null,
        origin: e.origin ?? null,
      })),
      unknownTraceKeys: result.constraints.unknownTraceKeys,
      unknownTraceKeyCount: result.constraints.unknownTraceKeyCount,
      traceProblems: result.constraints.traceProblems,
      notes: result.constraints.notes,
    },
    luns: result.luns.map((l) => ({
      file: l.file ?? null,
      target: jsonInteger(l.targetId),
      lun: l.lun,
      blockSize: l.blockSize ?? null,
      blockSizeSource: l.blockSizeSource ?? null,
      capacityBlocks: l.capacityBlocks ?? null,
      capacitySource: l.capacitySource ?? null,
      writeCache: l.writeCache ?? null,
      writeCacheSource: l.writeCacheSource ?? null,
      writeCacheVolatile: l.writeCacheVolatile ?? null,
      writeCacheVolatileSource: l.writeCacheVolatileSource ?? null,
    })),
    // Only when some units were past the cap, so that reports of ordinary traces keep their shape.
    ...(result.untrackedLuns ? { untrackedLuns: result.untrackedLuns } : {}),
  };
}

export function renderFindingsJson(result: CheckResult, o: FindingsRenderOptions): string {
  return JSON.stringify(checkResultJson(result, o), null, 2) + '\n';
}
