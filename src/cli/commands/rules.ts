import { Command } from 'commander';
import { readRuleDoc, ruleDocRelativePath } from '../../checks/docs.js';
import { allRules, findRule, suggestRule } from '../../checks/rules/index.js';
import { UsageError } from '../../model/errors.js';
import { ExitCode } from '../exit-codes.js';
import { choiceOption, type CliContext } from '../context.js';

/** Id of the JSON document `rules <id> --format json` prints (docs/schemas/rules.schema.json; the list is an array of the same schema). */
export const RULES_JSON_SCHEMA = 'scsitrace.rules/1';

const CATEGORY_TITLES: Record<string, string> = {
  cache: 'Cache and flush',
  commands: 'Unhandled and rejected commands',
  dma: 'Scatter/gather and DMA constraints',
  lifecycle: 'Task lifecycle',
  power: 'Power',
};

export function rulesCommand(ctx: CliContext): Command {
  return new Command('rules')
    .description("list the checker rules, or print one rule's documentation")
    .argument('[id]', 'a rule id: print its documentation (What / Why / Example / Fix)')
    .addOption(choiceOption('-f, --format <format>', 'output format', ['text', 'json'], 'text'))
    .addHelpText(
      'after',
      `
JSON output has a stable schema ("scsitrace.rules/1", docs/schemas/rules.schema.json): the
list is an array, one rule a document that names the schema.

Examples:
  $ scsitrace rules
  $ scsitrace rules sync-cache-without-flush`,
    )
    .action((id: string | undefined, o: { format: 'text' | 'json' }) => {
      ctx.exitCode = id === undefined ? listRules(ctx, o.format) : showRule(ctx, id, o.format);
    });
}

function listRules(ctx: CliContext, format: 'text' | 'json'): number {
  if (format === 'json') {
    const rows = allRules.map((r) => ({
      id: r.meta.id,
      severity: r.meta.severity,
      category: r.meta.category,
      description: r.meta.description,
      doc: ruleDocRelativePath(r.meta.id),
    }));
    ctx.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return ExitCode.Ok;
  }
  const width = Math.max(...allRules.map((r) => r.meta.id.length));
  const lines: string[] = [];
  for (const [category, title] of Object.entries(CATEGORY_TITLES)) {
    const rules = allRules.filter((r) => r.meta.category === category);
    if (!rules.length) continue;
    if (lines.length) lines.push('');
    lines.push(`${title}:`);
    for (const r of rules) lines.push(`  ${r.meta.severity.padEnd(8)}${r.meta.id.padEnd(width + 2)}${r.meta.description}`);
  }
  lines.push(
    '',
    `${allRules.length} rules. \`scsitrace rules <id>\` explains one; the severity shown is the default (some findings are raised or lowered by what they show).`,
  );
  ctx.stdout.write(lines.join('\n') + '\n');
  return ExitCode.Ok;
}

function showRule(ctx: CliContext, id: string, format: 'text' | 'json'): number {
  const rule = findRule(id);
  if (!rule) {
    const near = suggestRule(id);
    throw new UsageError(`unknown rule "${id}"${near ? `; did you mean "${near}"?` : ''} (scsitrace rules lists them)`);
  }
  const doc = readRuleDoc(id);
  if (format === 'json') {
    ctx.stdout.write(
      JSON.stringify(
        {
          schema: RULES_JSON_SCHEMA,
          id,
          severity: rule.meta.severity,
          category: rule.meta.category,
          description: rule.meta.description,
          messages: rule.meta.messages,
          doc: doc ?? null,
        },
        null,
        2,
      ) + '\n',
    );
    return ExitCode.Ok;
  }
  if (doc === undefined) throw new UsageError(`rule ${id}: documentation ${ruleDocRelativePath(id)} is missing from this installation`);
  ctx.stdout.write(`${doc.trimEnd()}\n\nDefault severity: ${rule.meta.severity}. Category: ${CATEGORY_TITLES[rule.meta.category]}.\n`);
  return ExitCode.Ok;
}
