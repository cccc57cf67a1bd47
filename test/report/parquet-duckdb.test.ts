/**
 * convert --format parquet read back with DuckDB (@duckdb/node-api, embedded): the queries of
 * docs/fleet.md, taken from the doc itself, over a directory of converted traces give exactly the
 * counts and percentiles `summary --format json` and `check --format json` print for the same
 * traces.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runScsitrace } from '../helpers/cli.js';
import { buildTraceBytes, DataDirection, rw10 } from '../helpers/trace.js';
import { ROW_GROUP } from '../../src/report/parquet.js';

/** Named SQL blocks of docs/fleet.md (`<!-- query: name -->` before a ```sql fence). */
function docQueries(fleet: string): Record<string, string> {
  const doc = readFileSync('docs/fleet.md', 'utf8');
  const q: Record<string, string> = {};
  for (const m of doc.matchAll(/<!-- query: (\w+) -->\n```sql\n([\s\S]*?)```/g)) q[m[1]!] = m[2]!.replaceAll("'fleet/", `'${fleet}/`);
  return q;
}

/** Reused ids, an orphan completion, a delivery failure, CHECK CONDITION with and without sense, fractional-free odd latencies. */
function oddities(): Uint8Array {
  return buildTraceBytes((b) => {
    const a = b.submit({ taskId: 7, cdb: rw10(false, 0, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 });
    b.wait(1234);
    b.submit({ taskId: a, cdb: rw10(false, 8, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 });
    b.wait(255);
    b.complete(a, { bytesTransferred: 4096 });
    b.complete(4242, { status: 0 });
    for (let i = 0; i < 300; i++)
      b.task(
        {
          cdb: rw10(true, i * 8, 8),
          direction: DataDirection.ToDevice,
          requestedBytes: 4096,
          segments: [{ address: 0xffff_f000n + BigInt(i) * 0x1000n, length: 4096 }],
        },
        {},
        200 + i * i * 37,
      );
    b.task({ cdb: [0x00, 0, 0, 0, 0, 0] }, { status: 2, sense: new Uint8Array([0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0x00, 0, 0, 0, 0]) }, 40_000);
    b.task({ cdb: [0x00, 0, 0, 0, 0, 0] }, { status: 2 }, 41_000);
    b.task({ cdb: [0x00, 0, 0, 0, 0, 0] }, { serviceResponse: 1, status: 1 }, 3_000_000);
  });
}

describe('Parquet tables read back with DuckDB', () => {
  it("reproduce summary's headline figures and percentiles and check's counts over a directory of traces", async () => {
    const work = mkdtempSync(join(tmpdir(), 'scsitrace-fleet-'));
    const fleet = join(work, 'fleet');
    const odd = join(work, 'oddities.sct');
    writeFileSync(odd, oddities());
    const traces = ['traces/mixed-workload.sct', 'traces/lsi3108-buffered-copy.sct', 'traces/slow-power-transition.sct', 'traces/dma-over-2gib.sct', odd];
    for (const [i, t] of traces.entries()) {
      const run = await runScsitrace('convert', '--format', 'parquet', t, '-o', join(fleet, `run${i}`));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    const summary = JSON.parse((await runScsitrace('summary', '--format', 'json', ...traces)).stdout);
    const check = JSON.parse((await runScsitrace('check', '--format', 'json', ...traces)).stdout);

    const q = docQueries(fleet);
    expect(Object.keys(q).sort()).toEqual(['headline', 'latency', 'rules', 'severity']);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, string | number | null>>;

    const [h] = await rows(q['headline']!);
    const t = summary.overview.tasks;
    expect(t.orphanCompletions).toBe(1);
    expect(t.reusedTaskIds).toBe(1);
    expect(h).toEqual({
      submitted: String(t.submitted),
      completed: String(t.completed),
      good: String(t.good),
      failed: String(t.failed),
      check_condition: String(t.checkCondition),
      never_completed: String(t.neverCompleted),
      orphan_completions: String(t.orphanCompletions),
      reused_task_ids: String(t.reusedTaskIds),
      bytes_read: String(summary.overview.bytes.read),
      bytes_written: String(summary.overview.bytes.written),
    });

    const lat = Object.fromEntries((await rows(q['latency']!)).map((r) => [r['name'], r]));
    const l = summary.overview.latency;
    expect(Number(lat['p50']!['count'])).toBe(l.count);
    expect(Number(lat['p50']!['min_ns'])).toBe(l.minNs);
    expect(Number(lat['p50']!['max_ns'])).toBe(l.maxNs);
    expect(Number(lat['p50']!['mean_ns'])).toBe(l.meanNs);
    expect(Number(lat['p50']!['value_ns'])).toBe(l.p50Ns);
    expect(Number(lat['p90']!['value_ns'])).toBe(l.p90Ns);
    expect(Number(lat['p99']!['value_ns'])).toBe(l.p99Ns);
    expect(Number(lat['p999']!['value_ns'])).toBe(l.p999Ns);

    const sev = Object.fromEntries((await rows(q['severity']!)).map((r) => [r['severity'], Number(r['findings'])]));
    expect({ error: 0, warning: 0, info: 0, ...sev }).toEqual(check.counts);
    const perRule = new Map<string, number>();
    for (const g of check.groups as Array<{ ruleId: string; severity: string; count: number }>)
      perRule.set(`${g.ruleId}/${g.severity}`, (perRule.get(`${g.ruleId}/${g.severity}`) ?? 0) + g.count);
    const got = new Map((await rows(q['rules']!)).map((r) => [`${r['rule_id']}/${r['severity']}`, Number(r['findings'])]));
    expect(got).toEqual(perRule);
  }, 120_000);

  it('writes each task as decode prints it, with the SGL summary', async () => {
    const work = mkdtempSync(join(tmpdir(), 'scsitrace-parquet-'));
    const odd = join(work, 'oddities.sct');
    writeFileSync(odd, oddities());
    expect((await runScsitrace('convert', '--format', 'parquet', odd, '-o', join(work, 'out'))).code).toBe(0);
    const decoded = (await runScsitrace('decode', '--format', 'json', odd)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((j) => j.taskId !== undefined && j.cdb);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const rows = (
      await c.runAndReadAll(`SELECT * FROM read_parquet('${join(work, 'out', 'tasks.parquet')}') ORDER BY record_offset`)
    ).getRowObjectsJson() as Array<Record<string, unknown>>;
    const byOffset = new Map(rows.map((r) => [Number(r['record_offset']), r]));
    expect(decoded.length).toBeGreaterThan(300);
    for (const d of decoded) {
      const r = byOffset.get(d.offset)!;
      expect(r, `task at ${d.offset}`).toBeDefined();
      expect(r['command']).toBe(d.command);
      expect(r['cdb']).toBe(d.cdb);
      expect(r['lba'] === null ? null : Number(r['lba'])).toBe(d.lba);
      expect(r['status_name']).toBe(d.status);
      expect(r['latency_ns'] === null ? null : Number(r['latency_ns'])).toBe(d.latencyNs);
    }
    const writes = rows.filter((r) => r['command'] === 'WRITE(10)');
    expect(writes).toHaveLength(300);
    // Segment i covers 0xFFFFF000 + i·4 KiB for 4 KiB: only the first stays below 4 GiB.
    expect(writes.filter((r) => r['sgl_above_4gib'] === true)).toHaveLength(299);
    expect(Number(writes[0]!['sgl_max_address'])).toBe(0xffff_ffff);
    expect(Number(writes[1]!['sgl_segments'])).toBe(1);
    expect(rows.filter((r) => r['outcome'] === 'orphan').map((r) => Number(r['task_id']))).toEqual([4242]);
    expect(rows.find((r) => r['sense_key'] !== null)).toMatchObject({ sense_key: 6, asc: 0x29, ascq: 0 });
  }, 60_000);

  it('writes row groups as it goes: a long trace is several groups of at most ROW_GROUP rows', async () => {
    const work = mkdtempSync(join(tmpdir(), 'scsitrace-parquet-'));
    const trace = join(work, 'long.sct');
    const n = ROW_GROUP * 2 + 123;
    writeFileSync(
      trace,
      buildTraceBytes((b) => {
        for (let i = 0; i < n; i++) b.task({ cdb: rw10(false, i * 8, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }, {}, 1000 + (i % 7));
      }),
    );
    expect((await runScsitrace('convert', '--format', 'parquet', '--no-check', trace, '-o', join(work, 'out'))).code).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const groups = (
      await c.runAndReadAll(
        `SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata('${join(work, 'out', 'tasks.parquet')}') GROUP BY ALL ORDER BY 1`,
      )
    ).getRowObjectsJson();
    expect(groups.map((g) => Number(g['n']))).toEqual([ROW_GROUP, ROW_GROUP, 123]);
    const [count] = (
      await c.runAndReadAll(`SELECT count(*) AS n, sum(latency_ns) AS l FROM read_parquet('${join(work, 'out', 'tasks.parquet')}')`)
    ).getRowObjectsJson();
    expect(Number(count!['n'])).toBe(n);
  }, 120_000);

  it('refuses standard output and an existing file as the directory', async () => {
    const work = mkdtempSync(join(tmpdir(), 'scsitrace-parquet-'));
    const file = join(work, 'x');
    writeFileSync(file, '');
    const dash = await runScsitrace('convert', '--format', 'parquet', 'traces/healthy-copy.sct', '-o', '-');
    expect(dash.code).toBe(2);
    expect(dash.stderr).toMatch(/directory/);
    const existing = await runScsitrace('convert', '--format', 'parquet', 'traces/healthy-copy.sct', '-o', file);
    expect(existing.code).toBe(2);
    expect(existing.stderr).toMatch(/not a directory/);
  });
});
