/**
 * The published JSON Schemas (docs/schemas/) against what the commands really print: every
 * sample trace in traces/ through check, summary, decode and convert, every constraints sample
 * through constraints, every command of the opcode table through cdb, sense data of every shape
 * (and every sense the samples carry) through sense, every rule through rules, validated by Ajv
 * (JSON Schema 2020-12, strict mode). And the schemas reject what they should, so that these
 * tests can fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CONSTRAINTS } from '../../src/checks/constraints.js';
import { allRules } from '../../src/checks/rules/index.js';
import { sniffFormat } from '../../src/formats/index.js';
import { runScsitrace } from '../helpers/cli.js';
import { cdbSamples, hexArg, senseSamples, truncatedCdbSamples, truncatedSenseSamples, type ScsiSample } from '../helpers/scsi-samples.js';

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

/**
 * Asserts `good` matches schema `id` and returns a check of a mutated copy: whether the copy,
 * changed by `mutate`, still matches.
 */
function mutant<T>(id: string, good: T): (mutate: (d: T) => void) => boolean {
  const v = validator(id);
  expect(v(good), id).toBe(true);
  return (mutate) => {
    const d = structuredClone(good);
    mutate(d);
    return v(d);
  };
}

/** Every sample trace: the files in traces/ that are detected as a trace format. */
const traces = readdirSync(traceDir)
  .filter((f) => sniffFormat(readFileSync(new URL(f, traceDir)).subarray(0, 64 * 1024)) !== undefined)
  .map((f) => `traces/${f}`);

describe('docs/schemas', () => {
  it('every schema is JSON Schema 2020-12 with an id scsitrace.<command>/<major> named like its file', () => {
    expect(schemaFiles.sort()).toEqual([
      'cdb.schema.json',
      'check.schema.json',
      'constraints.schema.json',
      'convert.schema.json',
      'decode.schema.json',
      'diff.schema.json',
      'rules.schema.json',
      'sense.schema.json',
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
      .map((l) => JSON.parse(l) as { kind: string; sense?: string });
    expect(events[0]?.kind).toBe('header');
    for (const [i, e] of events.entries()) expectValid('scsitrace.convert/1', e, `convert ${trace} line ${i + 1}`);

    // Every distinct sense buffer the trace carries, through `scsitrace sense`.
    const senses = new Set(events.flatMap((e) => (e.kind === 'complete' && e.sense ? [e.sense] : [])));
    for (const hex of senses) {
      const r = await runScsitrace('sense', '--format', 'json', hex);
      expect(r.stdout, `sense ${hex} from ${trace}: ${r.stderr}`).not.toBe('');
      expectValid('scsitrace.sense/1', JSON.parse(r.stdout), `sense ${hex} from ${trace}`);
    }
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

  /**
   * Runs `scsitrace <command> --format json` on each sample and validates what it prints. Exit 2
   * exactly when the input is truncated, and then the JSON is printed all the same.
   */
  async function expectDecoderOutputs(command: 'cdb' | 'sense', samples: ScsiSample[], truncated: boolean): Promise<void> {
    const id = `scsitrace.${command}/1`;
    for (const s of samples) {
      const r = await runScsitrace(command, '--format', 'json', hexArg(s.bytes));
      expect(r.code, `${command} ${s.what}: ${r.stderr}`).toBe(r.stderr === '' ? 0 : 2);
      const doc = JSON.parse(r.stdout) as { schema: string; truncated?: unknown };
      expect(doc.schema).toBe(id);
      expect(doc.truncated !== undefined, `${command} ${s.what}: truncated`).toBe(r.code === 2);
      if (!truncated) expect(r.code, `${command} ${s.what}: ${r.stderr}`).toBe(0);
      expectValid(id, doc, `${command} ${s.what} (${hexArg(s.bytes)})`);
    }
  }

  it('cdb: every command of the opcode and service action tables, and every decoded command, at full length', async () => {
    const samples = cdbSamples();
    expect(samples.length).toBeGreaterThan(3 * 256);
    await expectDecoderOutputs('cdb', samples, false);
  });

  it('cdb: the same commands cut short (exit 2, the JSON printed all the same)', async () => {
    const samples = truncatedCdbSamples();
    await expectDecoderOutputs('cdb', samples, true);
    const r = await runScsitrace('cdb', '--format', 'json', '28 00 00');
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as { truncated: unknown }).truncated).toEqual({
      length: 3,
      needs: 10,
      missing: 'READ(10) needs 10 bytes; bytes 3-9 are missing',
    });
    // No bytes at all is bad usage: an error line and no document.
    const none = await runScsitrace('cdb', '--format', 'json', '');
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
  });

  it('sense: fixed and descriptor format, every sense key and descriptor type, malformed and cut short', async () => {
    await expectDecoderOutputs('sense', senseSamples(), false);
    const cut = truncatedSenseSamples();
    await expectDecoderOutputs('sense', cut, true);
    for (const s of cut) expect((await runScsitrace('sense', '--format', 'json', hexArg(s.bytes))).code, s.what).toBe(2);
  });

  it('rules: the list and every rule', async () => {
    const list = await runScsitrace('rules', '--format', 'json');
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<{ id: string }>;
    expect(rows.map((r) => r.id)).toEqual(allRules.map((r) => r.meta.id));
    expectValid('scsitrace.rules/1', rows, 'rules list');
    for (const rule of allRules) {
      const r = await runScsitrace('rules', '--format', 'json', rule.meta.id);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { schema: string; doc: string | null };
      expect(doc.schema).toBe('scsitrace.rules/1');
      expect(doc.doc, rule.meta.id).toMatch(/^# /);
      expectValid('scsitrace.rules/1', doc, `rules ${rule.meta.id}`);
    }
  });
});

describe('the schemas reject what is not the shape', () => {
  it('check: an unknown field, a missing field, a wrong type, a bad enum, an inexact 64-bit number', async () => {
    const good = JSON.parse((await runScsitrace('check', '--format', 'json', '--exit-zero', 'traces/lsi3108-buffered-copy.sct')).stdout) as Record<
      string,
      unknown
    > & { findings: Array<Record<string, unknown>> };
    const bad = mutant('scsitrace.check/1', good);
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

  it('cdb: an unknown field, a missing field, a wrong type, a bad enum, an inexact 64-bit LBA', async () => {
    const good = JSON.parse((await runScsitrace('cdb', '--format', 'json', '88 00 00 00 00 01 00 00 00 00 00 00 00 08 00 00')).stdout) as Record<
      string,
      unknown
    > & {
      fields: Array<Record<string, unknown>>;
    };
    const bad = mutant('scsitrace.cdb/1', good);
    expect(bad((d) => (d['extra'] = 1))).toBe(false);
    expect(bad((d) => delete d['schema'])).toBe(false);
    expect(bad((d) => delete d['summary'])).toBe(false);
    expect(bad((d) => (d['opcode'] = '88'))).toBe(false);
    expect(bad((d) => (d['opcode'] = 256))).toBe(false);
    expect(bad((d) => (d['direction'] = 'in'))).toBe(false);
    expect(bad((d) => delete d['transferUnit'])).toBe(false);
    expect(bad((d) => (d['lba'] = 2 ** 60))).toBe(false);
    expect(bad((d) => (d['truncated'] = { length: 3, needs: 10 }))).toBe(false);
    expect(bad((d) => (d.fields[0]!['value'] = { nested: 1 }))).toBe(false);
    expect(bad((d) => (d.fields[0]!['bits'] = 8))).toBe(false);
    expect(bad((d) => (d.fields[0]!['hex'] = false))).toBe(false);
    expect(bad((d) => (d['lba'] = '1152921504606846976'))).toBe(true);
  });

  it('sense: an unknown field, a wrong type, a bad enum, sense-key specific data without its fields', async () => {
    const good = JSON.parse(
      (await runScsitrace('sense', '--format', 'json', '72 05 24 00 00 00 00 14 | 00 0a 80 00 00 00 00 00 00 00 10 00 | 02 06 00 00 cd 00 02 00')).stdout,
    ) as Record<string, unknown> & { senseKeySpecific: Record<string, unknown>; descriptors: Array<Record<string, unknown>> };
    expect(good.senseKeySpecific['kind']).toBe('field-pointer');
    const bad = mutant('scsitrace.sense/1', good);
    expect(bad((d) => (d['extra'] = 1))).toBe(false);
    expect(bad((d) => delete d['asc'])).toBe(false);
    expect(bad((d) => (d['senseKey'] = 16))).toBe(false);
    expect(bad((d) => (d['asc'] = '24'))).toBe(false);
    expect(bad((d) => (d['format'] = 'short'))).toBe(false);
    expect(bad((d) => (d['information'] = 2 ** 60))).toBe(false);
    expect(bad((d) => delete d.senseKeySpecific['fieldPointer'])).toBe(false);
    expect(bad((d) => (d.senseKeySpecific['progress'] = 1.5))).toBe(false);
    expect(bad((d) => (d.descriptors[0]!['raw'] = 'AB'))).toBe(false);
    expect(bad((d) => (d.descriptors[0]!['raw'] = [0, 10]))).toBe(false);
    expect(bad((d) => (d['information'] = '18446744073709551615'))).toBe(true);
  });

  it('rules: an unknown field, a wrong type, a bad enum, in the list and in one rule', async () => {
    const list = JSON.parse((await runScsitrace('rules', '--format', 'json')).stdout) as Array<Record<string, unknown>>;
    const one = JSON.parse((await runScsitrace('rules', '--format', 'json', 'sync-cache-without-flush')).stdout) as Record<string, unknown>;
    const v = validator('scsitrace.rules/1');
    expect(v(list)).toBe(true);
    expect(v(one)).toBe(true);
    expect(v(list.map((r, i) => (i === 1 ? { ...r, extra: 1 } : r)))).toBe(false);
    expect(v(list.map((r, i) => (i === 1 ? { ...r, severity: 'fatal' } : r)))).toBe(false);
    expect(v(list.map((r, i) => (i === 1 ? { ...r, category: 'storage' } : r)))).toBe(false);
    expect(v(list.map((r, i) => (i === 1 ? { ...r, doc: null } : r)))).toBe(false);
    expect(v({ ...one, extra: 1 })).toBe(false);
    expect(v({ ...one, schema: 'scsitrace.rules/2' })).toBe(false);
    expect(v({ ...one, messages: { flushed: 3 } })).toBe(false);
    expect(v({ ...one, doc: 7 })).toBe(false);
    expect(v({ ...one, doc: null })).toBe(true);
  });
});
