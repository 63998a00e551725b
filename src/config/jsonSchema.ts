/**
 * The JSON Schema of sweep files (`toa config schema`), generated from the zod schema so it never
 * drifts. Input view: fields with defaults are optional. The recursive reward schema (a weighted
 * reward holds rewards) becomes one definition, `$defs.Reward`, that refers to itself.
 */
import { z } from 'zod';
import { sweepSchema } from './schema';

export function sweepJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(sweepSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // zod names the definitions of lazy schemas __schema0, __schema1, ...: give them readable names.
  const defs = (generated.$defs ?? {}) as Record<string, unknown>;
  const renames = new Map<string, string>();
  for (const [key, def] of Object.entries(defs)) {
    if (!key.startsWith('__schema')) continue;
    const text = JSON.stringify(def);
    renames.set(key, text.includes('"const":"weighted"') ? 'Reward' : `Def${renames.size}`);
  }
  let text = JSON.stringify(generated);
  for (const [from, to] of renames)
    text = text.split(`"#/$defs/${from}"`).join(`"#/$defs/${to}"`).split(`"${from}":`).join(`"${to}":`);
  const schema = JSON.parse(text) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'toa sweep file',
    description: 'A sweep: dataset × methods × budgets × seeds, run as Temporal workflows. See docs/sweep-file.md.',
    ...schema,
  };
}
