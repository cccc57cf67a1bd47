/**
 * Rule documentation lives in docs/rules/<id>.md (What / Why / Example / Fix). The CLI prints
 * it (`scsitrace rules <id>`) and SARIF carries it as rule help, so it is read at run time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** docs/ sits two levels above both src/checks/ and dist/checks/. */
const DOCS_DIR = fileURLToPath(new URL('../../docs/rules/', import.meta.url));

export function ruleDocPath(id: string): string {
  return `${DOCS_DIR}${id}.md`;
}

/** Where a rule's doc is in the repository, for SARIF helpUri and messages. */
export function ruleDocRelativePath(id: string): string {
  return `docs/rules/${id}.md`;
}

export function readRuleDoc(id: string): string | undefined {
  const path = ruleDocPath(id);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export interface RuleDocSections {
  title: string;
  what: string;
  why: string;
  example: string;
  fix: string;
}

/** Splits a rule doc into its sections by `## What`, `## Why`, `## Example`, `## Fix` headings. */
export function ruleDocSections(markdown: string): RuleDocSections {
  const title = /^#\s+(.+)$/m.exec(markdown)?.[1]?.trim() ?? '';
  const section = (name: string): string => {
    const re = new RegExp(`^##\\s+${name}\\b[^\\n]*\\n([\\s\\S]*?)(?=^##\\s|(?![\\s\\S]))`, 'm');
    return re.exec(markdown)?.[1]?.trim() ?? '';
  };
  return { title, what: section('What'), why: section('Why'), example: section('Example'), fix: section('Fix') };
}
