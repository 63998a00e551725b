/**
 * The methods and rewards tables of docs/sweep-file.md, generated from the registries
 * (src/search/methods, src/rewards), so adding a method or a reward backend updates its docs row.
 * test/config/docs.test.ts fails when the file's tables differ from these;
 * `npm run docs:tables` rewrites them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { REWARD_BACKENDS, rewardSchema } from '../rewards';
import { METHODS } from '../search/methods';

interface JsonSchemaObject {
  properties?: Record<string, { default?: unknown }>;
  required?: string[];
}

/** "`label`, `alpha` (`0.01`), `agent` (required)" from a strict object schema (its `type` left out). */
function fieldList(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaObject;
  const required = new Set(json.required ?? []);
  const fields = Object.entries(json.properties ?? {})
    .filter(([name]) => name !== 'type')
    .map(([name, prop]) => {
      if (prop.default !== undefined) return `\`${name}\` (\`${typeof prop.default === 'string' ? prop.default : JSON.stringify(prop.default)}\`)`;
      return required.has(name) ? `\`${name}\` (required)` : `\`${name}\``;
    });
  return fields.length > 0 ? fields.join(', ') : 'none';
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function methodsTable(): string {
  return table(
    ['`type`', 'fields (default)', 'method', 'from'],
    METHODS.map((m) => [`\`${m.type}\``, fieldList(m.schema(z)), m.summary, m.origin]),
  );
}

export function rewardsTable(): string {
  return table(
    ['`type`', 'fields (default)', 'scores with'],
    REWARD_BACKENDS.map((b) => [`\`${b.type}\``, fieldList(b.schema(rewardSchema as z.ZodType<{ type: string }, unknown>)), b.summary]),
  );
}

export const DOCS_FILE = path.join(__dirname, '..', '..', 'docs', 'sweep-file.md');
const SECTIONS = { methods: methodsTable, rewards: rewardsTable } as const;

/** The file's text with each `<!-- generated: name -->` ... `<!-- end: name -->` section regenerated. */
export function withGeneratedTables(text: string): string {
  let out = text;
  for (const [name, make] of Object.entries(SECTIONS)) {
    const begin = `<!-- generated: ${name} (npm run docs:tables) -->`;
    const end = `<!-- end: ${name} -->`;
    const a = out.indexOf(begin);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`${DOCS_FILE}: markers of the generated ${name} table are missing`);
    out = `${out.slice(0, a + begin.length)}\n\n${make()}\n\n${out.slice(b)}`;
  }
  return out;
}

if (require.main === module) {
  const text = readFileSync(DOCS_FILE, 'utf8');
  writeFileSync(DOCS_FILE, withGeneratedTables(text));
  process.stdout.write(`${path.relative(process.cwd(), DOCS_FILE)}: tables regenerated\n`);
}
