import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formats, sniffFormat } from '../src/formats/index.js';
import { openTrace } from '../src/formats/open.js';

const dir = new URL('../traces/', import.meta.url);
const files = readdirSync(dir).filter((f) => f !== 'README.md');
const readme = readFileSync(new URL('README.md', dir), 'utf8');

/** The README names files literally or with a brace list: `name-{a,b}.txt`. */
function namedInReadme(): Set<string> {
  const names = new Set<string>();
  for (const m of readme.matchAll(/`([^`\s]+)`/g)) {
    const text = m[1]!;
    const brace = /^(.*)\{([^}]+)\}(.*)$/.exec(text);
    if (brace) for (const alt of brace[2]!.split(',')) names.add(brace[1] + alt + brace[3]);
    else names.add(text);
    // `a.txt` / `.pipe.txt` names a second file by its suffix.
    const also = new RegExp('`' + text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '` / `([^`]+)`').exec(readme);
    if (also) names.add(text.replace(/\.[^.]+$/, '') + also[1]);
  }
  return names;
}

describe('traces/', () => {
  it('every sample is explained in traces/README.md (golden check outputs excepted)', () => {
    const named = namedInReadme();
    const unexplained = files.filter((f) => !/\.check\.(txt|json)$/.test(f) && !named.has(f));
    expect(unexplained).toEqual([]);
  });

  it('every input format in the registry has a sample that is detected as that format', () => {
    const detected = new Set(files.map((f) => sniffFormat(readFileSync(new URL(f, dir)).subarray(0, 64 * 1024))?.id));
    const missing = formats.map((f) => f.id).filter((id) => !detected.has(id));
    expect(missing).toEqual([]);
  });

  it('no sample is over 10 MB', () => {
    for (const f of files) expect(readFileSync(new URL(f, dir)).length, f).toBeLessThan(10 * 1024 * 1024);
  });

  it("only formats that carry scsitrace records have the framework's buffer; every other reader leaves it empty (issue 10 §2)", async () => {
    /** Native files, their JSON Lines form and SCT1 lines carry TASK_SUBMITTED's 1.1 fields. */
    const carriers = new Set(['native', 'jsonl', 'oslog']);
    const withBuffer = new Set<string>();
    for (const f of files.filter((f) => !/\.(check|oracle|report)\.|\.(json|md|plist)$|ioreg/.test(f))) {
      const id = sniffFormat(readFileSync(new URL(f, dir)).subarray(0, 64 * 1024))?.id;
      if (!id) continue;
      const trace = await openTrace(new URL(f, dir).pathname);
      let buffers = 0;
      let recordedEmpty = 0;
      for await (const batch of trace.events)
        for (const e of batch) {
          if (e.kind !== 'submit') continue;
          if (e.buffer) buffers++;
          if (e.sglRecorded === true && e.segments.count === 0) recordedEmpty++;
        }
      if (!carriers.has(id)) expect([f, buffers, recordedEmpty]).toEqual([f, 0, 0]);
      else if (buffers > 0) withBuffer.add(id);
    }
    expect([...withBuffer].sort()).toEqual(['jsonl', 'native']);
  }, 120_000);
});
