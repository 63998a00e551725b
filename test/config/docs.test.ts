import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { sweepJsonSchema } from '../../src/config/jsonSchema';
import { withGeneratedTables } from '../../src/config/docsTables';
import { REWARD_BACKENDS } from '../../src/rewards';
import { METHODS } from '../../src/search/methods';

/** Every field name of the JSON Schema, at any depth (union members and $defs included). */
function fieldNames(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => fieldNames(n, out));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) out.add(k);
    for (const v of Object.values(o)) fieldNames(v, out);
  }
  return out;
}

describe('docs/sweep-file.md', () => {
  const doc = readFileSync(path.resolve(__dirname, '../../docs/sweep-file.md'), 'utf8');
  it('mentions every field of the schema', () => {
    const missing = [...fieldNames(sweepJsonSchema())].filter(
      (f) => !doc.includes(`\`${f}\``) && !doc.includes(`.${f}\``) && !doc.includes(`${f}\` (`),
    );
    expect(missing).toEqual([]);
  });
  it('its methods and rewards tables are the ones the registries generate (npm run docs:tables)', () => {
    expect(doc).toBe(withGeneratedTables(doc));
    for (const m of METHODS) expect(doc).toContain(`| \`${m.type}\` |`);
    for (const r of REWARD_BACKENDS) expect(doc).toContain(`| \`${r.type}\` |`);
  });

  it('a registry change that the file does not show is detected', () => {
    const stale = doc.replace('| `moa` |', '| `moa-renamed` |');
    expect(withGeneratedTables(stale)).not.toBe(stale);
  });
});
