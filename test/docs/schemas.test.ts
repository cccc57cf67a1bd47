/**
 * The published JSON Schemas (docs/schemas/) against what the commands really print: every
 * sample trace in traces/ through check, summary, decode and convert, every constraints sample
 * through constraints, validated by Ajv (JSON Schema 2020-12, strict mode). And the schemas
 * reject what they should, so that these tests can fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CONSTRAINTS } from '../../src/checks/constraints.js';
import { sniffFormat } from '../../src/formats/index.js';
import { runScsitrace } from '../helpers/cli.js';

const schemaDir = new URL('../../docs/schemas/', import.meta.url);
const traceDir = new URL('../../traces/', import.meta.url);

const schemaFiles = readdirSync(schemaDir).filter((f) => f.endsWith('.schema.json'));
const schemas = new Map(schemaFiles.map((f) => [f, JSON.parse(readFileSync(new URL(f, schemaDir), 'utf8')) as Record<string, unknown>]));

const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
for (const s of schemas.values()) ajv.addSchema(s);

function validator(id: string): ValidateFunction {
  const v = ajv.getSchema(id);
  if (!v) throw new Error(`no schema ${id}`);
  return v;
}

/** Asserts `value` matches schema `id`, showing Ajv's first errors when it does not. */
function expectValid(id: string, value: unknown, what: string): void {
  const v = validator(id);
  const ok = v(value);
  expect(ok ? [] : ajv.errorsText(v.errors, { separator: '\n' }).split('\n').slice(0, 5), `${what} against ${id}`).toEqual([]);
}

/** Every sample trace: the files in traces/ that are detected as a trace format. */
const traces = readdirSync(traceDir)
  .filter((f) => sniffFormat(readFileSync(new URL(f, traceDir)).subarray(0, 64 * 1024)) !== undefined)
  .map((f) => `traces/${f}`);

describe('docs/schemas', () => {
  it('every schema is JSON Schema 2020-12 with an id scsitrace.<command>/<major> named like its file', () => {
    expect(schemaFiles.sort()).toEqual([
      'check.schema.json',
      'constraints.schema.json',
      'convert.schema.json',
      'decode.schema.json',
      'diff.schema.json',
      'summary.schema.json',
    ]);
    for (const [file, s] of schemas) {
      expect(s['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(s['$id']).toBe(`scsitrace.${file.replace('.schema.json', '')}/1`);
    }
  });

  it('a definition shared by several schemas is the same in each (one structure, one shape)', () => {
    const seen = new Map<string, { file: string; def: unknown }>();
    for (const [file, s] of schemas) {
      for (const [name, def] of Object.entries((s['$defs'] ?? {}) as Record<string, unknown>)) {
        const first = seen.get(name);
        if (first) expect(def, `$defs/${name} in ${file} and ${first.file}`).toEqual(first.def);
        else seen.set(name, { file, def });
      }
    }
  });

  it('every field of a fixed shape says what it means', () => {
    /** Names that say it all beside their parent's description. */
    const SELF_EXPLAINING = new Set([
      'kind',
      'severity',
      'ruleId',
      'count',
      'message',
      'file',
      'name',
      'subject',
      'notes',
      'commands',
      'status',
      'serviceResponse',
      'statuses',
      'detail',
      'direction',
      'class',
      'formatVersion',
      'senseKeyName',
      'ascName',
      'asc',
      'ascq',
      'unknown',
      'lines',
      'records',
      'packets',
      'bytes',
      'all',
      'submissions',
      'completions',
      'submitted',
      'completed',
      'issued',
      'failed',
      'good',
      'read',
      'written',
      'checkConditions',
      'neverCompleted',
      'error',
      'warning',
      'info',
      'from',
      'to',
      'mean',
      'peak',
    ]);
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
      if (node === null || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if (o['type'] === 'object' && o['additionalProperties'] === false) {
        for (const [k, p] of Object.entries(o['properties'] as Record<string, Record<string, unknown>>)) {
          const selfExplaining = '$ref' in p || 'const' in p || SELF_EXPLAINING.has(k);
          if (!selfExplaining && p['description'] === undefined) {
            undocumented.push(`${path}/properties/${k}`);
          }
        }
      }
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    for (const [file, s] of schemas) walk(s, file);
    expect(undocumented).toEqual([]);
  });
});

describe('real outputs match the schemas', () => {
  it.each(traces)('%s: check, summary, decode and convert output', async (trace) => {
    const check = await runScsitrace('check', '--format', 'json', '--exit-zero', trace);
    expect(check.code, check.stderr).toBe(0);
    const doc = JSON.parse(check.stdout) as { schema: string };
    expect(doc.schema).toBe('scsitrace.check/1');
    expectValid('scsitrace.check/1', doc, `check ${trace}`);

    const summary = await runScsitrace('summary', '--format', 'json', trace);
    expect(summary.code, summary.stderr).toBe(0);
    const s = JSON.parse(summary.stdout) as { schema: string };
    expect(s.schema).toBe('scsitrace.summary/1');
    expectValid('scsitrace.summary/1', s, `summary ${trace}`);

    for (const extra of [[], ['--segments', '--with-events']]) {
      const decode = await runScsitrace('decode', '--format', 'json', ...extra, trace);
      expect(decode.code, decode.stderr).toBe(0);
      const lines = decode.stdout.split('\n').filter(Boolean);
      for (const [i, line] of lines.entries()) expectValid('scsitrace.decode/1', JSON.parse(line), `decode ${extra.join(' ')} ${trace} line ${i + 1}`);
    }

    const convert = await runScsitrace('convert', '--format', 'jsonl', '-o', '-', trace);
    expect(convert.code, convert.stderr).toBe(0);
    const events = convert.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string });
    expect(events[0]?.kind).toBe('header');
    for (const [i, e] of events.entries()) expectValid('scsitrace.convert/1', e, `convert ${trace} line ${i + 1}`);
  });

  it('check with findings capped, groups and every example, and an incomplete capture', async () => {
    for (const trace of ['traces/lsi3108-buffered-copy.sct', 'traces/oslog-dext-lost-lines.log']) {
      const r = await runScsitrace(
        'check',
        '--format',
        'json',
        '--exit-zero',
        '--max-results',
        '3',
        '--max-examples',
        'all',
        '-c',
        'traces/lsi3108.constraints.json',
        trace,
      );
      expectValid('scsitrace.check/1', JSON.parse(r.stdout), `check --max-results 3 ${trace}`);
    }
  });

  it('check of several traces: the per-file entries', async () => {
    const r = await runScsitrace('check', '--format', 'json', '--exit-zero', 'traces/healthy-copy.sct', 'traces/usb-bot.pcap');
    const doc = JSON.parse(r.stdout) as { perFile: unknown[] };
    expect(doc.perFile).toHaveLength(2);
    expectValid('scsitrace.check/1', doc, 'check of two traces');
  });

  it('summary of several traces, without checks', async () => {
    const r = await runScsitrace('summary', '--format', 'json', '--no-check', 'traces/healthy-copy.sct', 'traces/usb-bot.pcap');
    const s = JSON.parse(r.stdout) as { findings: unknown };
    expect(s.findings).toBeNull();
    expectValid('scsitrace.summary/1', s, 'summary --no-check of two traces');
  });

  it('the check and summary goldens in the tree match too', () => {
    const goldens = [
      ...readdirSync(traceDir)
        .filter((f) => f.endsWith('.check.json'))
        .map((f) => new URL(f, traceDir)),
      ...readdirSync(new URL('../report/golden/', import.meta.url))
        .filter((f) => f.endsWith('.json'))
        .map((f) => new URL(`../report/golden/${f}`, import.meta.url)),
    ];
    expect(goldens.length).toBeGreaterThan(6);
    for (const g of goldens) {
      const doc = JSON.parse(readFileSync(g, 'utf8')) as { schema: string };
      expectValid(doc.schema, doc, g.pathname);
    }
  });

  it('constraints: the schema names every origin the constraint table uses', () => {
    const text = readFileSync(new URL('constraints.schema.json', schemaDir), 'utf8');
    const enums = [...text.matchAll(/"origin":\s*\{\s*"enum":\s*\[([^\]]*)\]/g)].map((m) => JSON.parse(`[${m[1]}]`) as string[]);
    expect(enums.length).toBeGreaterThan(0);
    for (const e of enums) for (const c of CONSTRAINTS) expect(e, c.id).toContain(c.origin);
  });

  it('constraints: every sample config explained, and the key list', async () => {
    const configs = readdirSync(traceDir).filter((f) => /\.constraints\.json$|\.ioreg\./.test(f));
    expect(configs.length).toBeGreaterThan(3);
    for (const c of configs) {
      const args = c === 'two-hbas.ioreg.txt' ? ['--controller', 'LSI3108Controller'] : [];
      const r = await runScsitrace('constraints', '--format', 'json', ...args, `traces/${c}`);
      expect(r.code === 0 || r.code === 1, `${c}: ${r.stderr}`).toBe(true);
      const doc = JSON.parse(r.stdout) as { schema: string };
      expect(doc.schema).toBe('scsitrace.constraints/1');
      expectValid('scsitrace.constraints/1', doc, `constraints ${c}`);
    }
    const withTrace = await runScsitrace(
      'constraints',
      '--format',
      'json',
      '--platform',
      'dext',
      '-t',
      'traces/lsi3108-buffered-copy.sct',
      'traces/lsi3108-dext-dma.constraints.json',
    );
    expectValid('scsitrace.constraints/1', JSON.parse(withTrace.stdout), 'constraints -t --platform dext');
    const keys = await runScsitrace('constraints', '--format', 'json');
    expectValid('scsitrace.constraints/1', JSON.parse(keys.stdout), 'constraints key list');
  });
});

describe('the schemas reject what is not the shape', () => {
  it('check: an unknown field, a missing field, a wrong type, a bad enum, an inexact 64-bit number', async () => {
    const good = JSON.parse((await runScsitrace('check', '--format', 'json', '--exit-zero', 'traces/lsi3108-buffered-copy.sct')).stdout) as Record<
      string,
      unknown
    > & { findings: Array<Record<string, unknown>> };
    const v = validator('scsitrace.check/1');
    expect(v(good)).toBe(true);
    const bad = (mutate: (d: typeof good) => void): boolean => {
      const d = structuredClone(good);
      mutate(d);
      return v(d);
    };
    expect(bad((d) => (d['extra'] = 1))).toBe(false);
    expect(bad((d) => delete d['verdict'])).toBe(false);
    expect(bad((d) => (d['tasks'] = '12'))).toBe(false);
    expect(bad((d) => (d['verdict'] = 'maybe'))).toBe(false);
    expect(bad((d) => (d['schema'] = 'scsitrace-check/1'))).toBe(false);
    expect(bad((d) => (d.findings[0]!['taskId'] = 2 ** 60))).toBe(false);
    expect(bad((d) => (d.findings[0]!['taskId'] = '72'))).toBe(false);
    expect(bad((d) => (d.findings[0]!['evidence'] = { nested: { no: 1 } }))).toBe(false);
    expect(bad((d) => (d.findings[0]!['taskId'] = '1152921504606846976'))).toBe(true);
  });

  it('summary, decode, convert and constraints: an unknown field or a wrong type', async () => {
    const s = JSON.parse((await runScsitrace('summary', '--format', 'json', 'traces/healthy-copy.sct')).stdout) as {
      overview: Record<string, unknown>;
      timeline: Record<string, unknown>;
    };
    expect(validator('scsitrace.summary/1')({ ...s, overview: { ...s.overview, iopsPeak: 1 } })).toBe(false);
    expect(validator('scsitrace.summary/1')({ ...s, timeline: { ...s.timeline, completions: [-1] } })).toBe(false);

    const line = JSON.parse((await runScsitrace('decode', '--format', 'json', '--limit', '1', 'traces/healthy-copy.sct')).stdout) as Record<string, unknown>;
    const decode = validator('scsitrace.decode/1');
    expect(decode(line)).toBe(true);
    expect(decode({ ...line, cdb: '28 00' })).toBe(false);
    expect(decode({ ...line, residualKind: 'under' })).toBe(false);
    const { lba: _lba, ...noLba } = line;
    expect(decode(noLba)).toBe(false);

    const events = validator('scsitrace.convert/1');
    expect(events({ kind: 'note', timeNs: 1, text: 'x' })).toBe(true);
    expect(events({ kind: 'note', timeNs: 1, text: { nested: true } })).toBe(false);
    expect(
      events({ kind: 'complete', timeNs: 1, taskId: 1, serviceResponse: 1e308, status: 0, bytesTransferred: 0, residual: 0, residualFlags: 0, sense: '' }),
    ).toBe(false);
    expect(events({ kind: 'flush', timeNs: 1 })).toBe(false);

    const c = JSON.parse((await runScsitrace('constraints', '--format', 'json', 'traces/lsi3108.constraints.json')).stdout) as Record<string, unknown>;
    expect(validator('scsitrace.constraints/1')({ ...c, valid: false })).toBe(false);
  });
});
