/**
 * Every finding reaches SARIF and JSON: one SARIF result per finding (grouping is the viewer's
 * job), every finding listed in JSON beside the groups, bounded only by an explicit
 * --max-results; and the checker holds none of them while they are written out.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createChecker } from '../../src/checks/engine.js';
import { PackedSegmentList } from '../../src/model/segments.js';
import type { TraceEvent } from '../../src/model/events.js';
import { runScsitrace } from '../helpers/cli.js';

const LSI = ['-c', 'traces/lsi3108.constraints.json', 'traces/lsi3108-buffered-copy.sct'];
const total = (c: { error: number; warning: number; info: number }) => c.error + c.warning + c.info;

describe('check --format sarif', () => {
  it('has one result per finding on the LSI 3108 sample (138, not the 14 examples)', async () => {
    const r = await runScsitrace('check', '--format', 'sarif', ...LSI);
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout).runs[0];
    expect(total(run.properties.counts)).toBe(138);
    expect(run.results).toHaveLength(138);
    expect(run.properties).toMatchObject({ resultsWritten: 138, resultsOmitted: 0 });
    // Per rule, as many results as the checker counted.
    const byRule = new Map<string, number>();
    for (const x of run.results) byRule.set(x.ruleId, (byRule.get(x.ruleId) ?? 0) + 1);
    const json = JSON.parse((await runScsitrace('check', '--format', 'json', ...LSI)).stdout);
    for (const g of json.groups) expect(byRule.get(g.ruleId), g.ruleId).toBe(g.count);
    // Each result is told apart from the others across runs.
    const fingerprints = new Set(run.results.map((x: { partialFingerprints: Record<string, string> }) => x.partialFingerprints['recordOffset/v1']));
    expect(fingerprints.size).toBe(138);
    expect(run.invocations[0]).toEqual({ executionSuccessful: true, toolExecutionNotifications: [] });
  });

  it('--max-results bounds the results and says how many were left out', async () => {
    const run = JSON.parse((await runScsitrace('check', '--format', 'sarif', '--max-results', '10', ...LSI)).stdout).runs[0];
    expect(run.results).toHaveLength(10);
    expect(run.properties).toMatchObject({ resultsWritten: 10, resultsOmitted: 128 });
    expect(run.invocations[0].toolExecutionNotifications[0].message.text).toBe('128 more results found but not written (--max-results 10)');
  });

  it('an input that cannot be read mid-way still leaves a complete document, marked unsuccessful', async () => {
    const r = await runScsitrace('check', '--format', 'sarif', 'traces/healthy-copy.sct', 'traces/no-such-file.sct');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('scsitrace: check: traces/no-such-file.sct: no such file\n');
    const inv = JSON.parse(r.stdout).runs[0].invocations[0];
    expect(inv.executionSuccessful).toBe(false);
    expect(inv.toolExecutionNotifications[0].message.text).toBe('traces/no-such-file.sct: no such file');
  });
});

describe('check --format json', () => {
  it('keeps the groups and lists every finding', async () => {
    const j = JSON.parse((await runScsitrace('check', '--format', 'json', ...LSI)).stdout);
    expect(j.findings).toHaveLength(total(j.counts));
    expect(j.findingsOmitted).toBe(0);
    for (const g of j.groups) expect(g.examples.length).toBe(Math.min(3, g.count));
    // The groups' examples are the first findings of their rule.
    const first = j.findings.find((f: { ruleId: string }) => f.ruleId === 'read-back-mismatch');
    expect(j.groups.find((g: { ruleId: string }) => g.ruleId === 'read-back-mismatch').examples[0]).toEqual(first);
  });

  it('--max-examples all keeps every finding in its group; --max-results caps the list', async () => {
    const j = JSON.parse((await runScsitrace('check', '--format', 'json', '--max-examples', 'all', '--max-results', '7', ...LSI)).stdout);
    for (const g of j.groups) expect(g.examples).toHaveLength(g.count);
    expect(j.findings).toHaveLength(7);
    expect(j).toMatchObject({ findingsOmitted: 131, maxResults: 7 });
  });

  it('--max-examples all in text shows every example', async () => {
    const r = await runScsitrace('check', '--max-examples', 'all', ...LSI);
    expect(r.stdout.match(/^ {2}- /gm)).toHaveLength(138);
    expect(r.stdout).not.toMatch(/… and \d+ more/);
  });
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => (gc(), gc(), process.memoryUsage().heapUsed);

/**
 * `n` TEST UNIT READY tasks answered CHECK CONDITION with no sense: one error finding each, as
 * they come (the header says the capture records sense, so none is held until it is known).
 */
function* findingsTrace(n: number): Generator<TraceEvent[]> {
  const cdb = Uint8Array.of(0, 0, 0, 0, 0, 0);
  const segments = PackedSegmentList.from([]);
  const none = new Uint8Array(0);
  yield [{ kind: 'header', offset: 0, index: 0, timeNs: 0, format: 'native', version: '1.1', startWallNs: 0n, producer: 'test', senseCaptured: true }];
  for (let i = 0; i < n; i += 1000) {
    const batch: TraceEvent[] = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) {
      const taskId = BigInt(k + 1);
      batch.push({
        kind: 'submit',
        offset: k * 2,
        index: k * 2,
        timeNs: k * 1000,
        taskId,
        targetId: 0n,
        lun: 0,
        tag: taskId,
        attribute: 0,
        direction: 0,
        requestedBytes: 0,
        timeoutMs: 30_000,
        cdb,
        segments,
      });
      batch.push({
        kind: 'complete',
        offset: k * 2 + 1,
        index: k * 2 + 1,
        timeNs: k * 1000 + 500,
        taskId,
        serviceResponse: 2,
        status: 2,
        bytesTransferred: 0,
        residual: 0,
        residualFlags: 0,
        sense: none,
      });
    }
    yield batch;
  }
}

describe('findings are written out, not kept', () => {
  it('200,000 findings streamed through onFinding leave the heap where it was', () => {
    let seen = 0;
    let bytes = 0;
    const checker = createChecker({ maxExamples: 3, onFinding: (f) => ((seen += 1), (bytes += f.message.length)) });
    const before = heap();
    for (const batch of findingsTrace(200_000)) checker.push(batch);
    const grown = heap() - before;
    const result = checker.finish();
    expect(seen).toBe(200_000);
    expect(result.counts.error).toBe(200_000);
    expect(result.findings).toBeUndefined();
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });

  it('(the same measure sees findings that are kept)', () => {
    const checker = createChecker({ maxExamples: 3, keepFindings: true });
    const before = heap();
    for (const batch of findingsTrace(50_000)) checker.push(batch);
    const grown = heap() - before;
    expect(checker.finish().findings).toHaveLength(50_000);
    expect(grown).toBeGreaterThan(4 * 1024 * 1024);
  });
});
