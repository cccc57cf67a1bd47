/**
 * Findings as one JSON document with a stable schema (README.md documents it; docs/schemas/check.schema.json is its JSON Schema): the groups
 * (count and first examples per rule), and every finding in the order found, written out as
 * found (see stream.ts) unless capped by --max-results.
 */
import { failsAt, type CheckResult } from '../../checks/engine.js';
import { jsonSetting } from '../../checks/constraints.js';
import { jsonInteger } from '../../model/json.js';
import { captureJson } from '../capture.js';
import { findingJson, type FindingsRenderOptions } from './common.js';
import { closeList, LIST_MARK, listItem, renderWhole, splitAtList, type FindingsHead, type FindingsTail, type FindingsWriter } from './stream.js';

export const CHECK_JSON_SCHEMA = 'scsitrace.check/1';

/** The document's keys up to the findings list, known before reading. */
function head(h: FindingsHead): Record<string, unknown> {
  return { schema: CHECK_JSON_SCHEMA, files: h.files, rules: h.rules, failOn: h.failOn, findings: LIST_MARK };
}

/** Everything after the findings list. */
export function checkResultTailJson(
  result: CheckResult,
  t: Pick<FindingsTail, 'omitted' | 'maxResults' | 'fatal'>,
  failOn: FindingsHead['failOn'],
): Record<string, unknown> {
  return {
    findingsOmitted: t.omitted,
    maxResults: t.maxResults ?? null,
    ...(t.fatal ? { error: t.fatal } : {}),
    tasks: result.tasks,
    verdict: failsAt(result, failOn) ? 'fail' : 'pass',
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

const layouts = new WeakMap<FindingsHead, { before: string; indent: string }>();
function layout(h: FindingsHead): { before: string; indent: string } {
  let l = layouts.get(h);
  if (!l) layouts.set(h, (l = splitAtList(head(h))));
  return l;
}

export const jsonWriter: FindingsWriter = {
  head: (h) => layout(h).before,
  finding: (f, index, h) => listItem(findingJson(f), index, layout(h).indent),
  tail(result, t, h) {
    const { after, indent } = splitAtList({ ...head(h), ...checkResultTailJson(result, t, h.failOn), ...t.extra });
    return closeList(t.written, indent) + after + '\n';
  },
};

/** The check result as the JSON document's object, with `findings` from a result that kept them. */
export function checkResultJson(result: CheckResult, o: Pick<FindingsRenderOptions, 'failOn'> & { maxResults?: number }): Record<string, unknown> {
  return JSON.parse(
    renderFindingsJson(result, {
      failOn: o.failOn,
      version: '',
      paint: undefined as never,
      ...(o.maxResults !== undefined ? { maxResults: o.maxResults } : {}),
    }),
  ) as Record<string, unknown>;
}

export function renderFindingsJson(result: CheckResult, o: FindingsRenderOptions): string {
  return renderWhole(jsonWriter, result, { files: result.files, rules: result.rules, failOn: o.failOn, version: o.version }, o.maxResults);
}
