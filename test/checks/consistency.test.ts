/**
 * The checklist as a test (ESLint's checkRuleFiles): every rule file is registered under its
 * file name, documented with What / Why / Example / Fix, and tested with valid and invalid cases
 * that between them show every message the rule can give.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ruleDocPath, ruleDocSections } from '../../src/checks/docs.js';
import { allRules } from '../../src/checks/rules/index.js';

const ruleFiles = readdirSync(new URL('../../src/checks/rules/', import.meta.url))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => f.slice(0, -3));
const docFiles = readdirSync(new URL('../../docs/rules/', import.meta.url))
  .filter((f) => f.endsWith('.md'))
  .map((f) => f.slice(0, -3));

describe('rule registry', () => {
  it('registers every rule file exactly once, under its file name', () => {
    expect(allRules.map((r) => r.meta.id).sort()).toEqual([...ruleFiles].sort());
    expect(new Set(allRules.map((r) => r.meta.id)).size).toBe(allRules.length);
  });
  it('has no docs for rules that do not exist', () => {
    expect(docFiles.filter((d) => !ruleFiles.includes(d))).toEqual([]);
  });
});

for (const rule of allRules) {
  const id = rule.meta.id;
  describe(`rule ${id}`, () => {
    it('is documented in docs/rules/<id>.md with What / Why / Example / Fix', () => {
      const path = ruleDocPath(id);
      expect(existsSync(path), `${path} exists`).toBe(true);
      const doc = readFileSync(path, 'utf8');
      const s = ruleDocSections(doc);
      expect(s.title).toBe(id);
      for (const [name, text] of Object.entries({ What: s.what, Why: s.why, Example: s.example, Fix: s.fix })) {
        expect(text.length, `${id}.md section ${name}`).toBeGreaterThan(40);
      }
    });
    if (rule.meta.category === 'dma' || rule.meta.usesSegments === true) {
      it('a DMA rule: its doc says what it means for a dext and for a kext or Linux driver (issue 10)', () => {
        const doc = readFileSync(ruleDocPath(id), 'utf8');
        const section = /^## For a dext, for a kext or Linux driver\n([\s\S]*?)(?=^## )/m.exec(doc)?.[1] ?? '';
        expect(section, `${id}.md: "## For a dext, for a kext or Linux driver"`).toMatch(/\*\*dext\*\*/);
        expect(section).toMatch(/\*\*(kext|Linux driver|kext or Linux driver)\*\*/);
      });
    }
    it('has a rule-tester test whose invalid cases show every message id', () => {
      const path = new URL(`./rules/${id}.test.ts`, import.meta.url);
      expect(existsSync(path), `test/checks/rules/${id}.test.ts exists`).toBe(true);
      const text = readFileSync(path, 'utf8');
      expect(text).toMatch(/testRule\(rule,/);
      expect(text).toMatch(/valid: \[/);
      expect(text).toMatch(/invalid: \[/);
      for (const messageId of Object.keys(rule.meta.messages)) {
        expect(text, `message "${messageId}" exercised`).toContain(`messageId: '${messageId}'`);
      }
    });
    it('has a one-line description and a category', () => {
      expect(rule.meta.description).not.toMatch(/\n/);
      expect(['cache', 'commands', 'dma', 'lifecycle', 'power']).toContain(rule.meta.category);
    });
  });
}
