/**
 * The import rules of docs/architecture.md, checked on the source: the search core stays pure,
 * workflow code reaches activities and config only as types, and shared code stays workflow-safe.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const SRC = path.join(__dirname, '..', '..', 'src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Import {
  file: string;
  line: number;
  spec: string;
  typeOnly: boolean;
}

/** Every import / export-from of a file, with where it points (a src folder, or the package). */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): Import[] {
  const out: Import[] = [];
  const re = /^(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ file, line: text.slice(0, m.index).split('\n').length, spec: m[3]!, typeOnly: m[2] !== undefined });
  }
  return out;
}

/** `src/<folder>` for a relative import, else the package name. */
function target(imp: Import): string {
  if (!imp.spec.startsWith('.')) return imp.spec.startsWith('@') ? imp.spec.split('/').slice(0, 2).join('/') : imp.spec.split('/')[0]!;
  const abs = path.resolve(path.dirname(imp.file), imp.spec);
  return `src/${path.relative(SRC, abs).split(path.sep)[0]}`;
}

const RULES: Record<string, { allowed: string[]; typeOnly?: string[] }> = {
  'src/search': { allowed: ['src/search'], typeOnly: ['zod'] },
  'src/common': { allowed: ['src/common', 'src/search', '@temporalio/common'], typeOnly: ['src/config'] },
  'src/workflows': {
    allowed: ['src/workflows', 'src/common', 'src/search', '@temporalio/workflow', '@temporalio/common'],
    typeOnly: ['src/activities', 'src/config'],
  },
  'src/http': { allowed: ['src/http', 'src/common', 'openai', '@temporalio/common', 'node:crypto'] },
  'src/rewards': { allowed: ['src/rewards', 'src/http', 'src/common', 'zod'] },
};

function violations(folder: string): string[] {
  const rule = RULES[folder]!;
  return filesUnder(path.join(SRC, folder.slice(4)))
    .flatMap((f) => importsOf(f))
    .filter((imp) => {
      const t = target(imp);
      if (rule.allowed.includes(t)) return false;
      return !(imp.typeOnly && rule.typeOnly?.includes(t));
    })
    .map((imp) => `${path.relative(path.join(SRC, '..'), imp.file)}:${imp.line}: imports ${imp.typeOnly ? 'type from ' : ''}${imp.spec} (${target(imp)})`);
}

test.each(Object.keys(RULES))('%s imports only what docs/architecture.md allows', (folder) => {
  expect(violations(folder)).toEqual([]);
});

test('the check sees a forbidden import (it can fail)', () => {
  const fake = path.join(SRC, 'workflows', 'fake.ts');
  const imps = importsOf(fake, "import { play } from '../activities/play';\nimport type { X } from '../activities';\n");
  expect(imps.map(target)).toEqual(['src/activities', 'src/activities']);
  expect(imps.map((i) => i.typeOnly)).toEqual([false, true]);
});
