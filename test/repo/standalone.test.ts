/**
 * The repository stands on its own: no tracked file refers to a path outside it. A clone on
 * someone else's machine has no sibling reference folder, no development machine's checkout
 * paths and nobody's home directory, so a reference to any of them breaks the demo, a test or a
 * link there (and leaks a local path into published data).
 *
 * Scans the content of every file `git ls-files` lists (binary files skipped), line by line, and
 * fails with `file:line: what: the line` for each hit. Rules:
 *   - the sibling reference folder of the development setup (a parent-relative "shared" path, or
 *     its datasets folder) and the development machine's checkout root;
 *   - absolute home directories (Linux, macOS, Windows, root's);
 *   - relative paths in YAML files (sweep files) that climb out of the repository;
 *   - relative Markdown links that climb out of the repository or point at nothing (including
 *     a `#section` anchor that names no heading of the target page).
 * The patterns are written so that this file does not match itself (see the `join` calls below).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

interface Hit {
  file: string;
  line: number;
  what: string;
  text: string;
}

/** Patterns that are wrong on any line of any tracked file. */
const LINE_RULES: Array<{ what: string; re: RegExp }> = [
  {
    what: 'reference to the sibling "shared" folder outside the repository',
    re: /\.\.[\\/]+shared\b|\bshared[\\/]+datasets\b|['"]shared['"]\s*,\s*['"]datasets['"]/,
  },
  { what: "absolute path on the development machine's /work tree", re: /(^|[^\w.-])\/work\// },
  { what: 'absolute home directory', re: /(^|[^\w.-])\/(home|Users)\/[\w.-]+|(^|[^\w.-])\/root\/|\b[A-Za-z]:\\(Users|home)\\/ },
];

/** A relative path that starts by climbing (`../`), as it appears in YAML values. */
const YAML_RELATIVE = /(?:^|[\s:'"[,])((?:\.\.\/)+[^\s'"#,\]]*)/g;
/** Markdown inline link targets: `[text](target)`. */
const MD_LINK = /\]\(([^)\s]+)\)/g;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings (code blocks skipped; repeats get -1, -2, ...). */
export function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function isInside(p: string): boolean {
  const rel = path.relative(ROOT, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Every hit in one file's text; `file` is repository-relative. */
export function scanText(
  file: string,
  text: string,
  readFile: (abs: string) => string = (abs) => readFileSync(abs, 'utf8'),
): Hit[] {
  const hits: Hit[] = [];
  const dir = path.join(ROOT, path.dirname(file));
  const isYaml = /\.ya?ml$/.test(file);
  const isMarkdown = file.endsWith('.md');
  text.split('\n').forEach((line, i) => {
    const at = (what: string) => hits.push({ file, line: i + 1, what, text: line.trim().slice(0, 160) });
    for (const rule of LINE_RULES) if (rule.re.test(line)) at(rule.what);
    if (isYaml) {
      for (const m of line.matchAll(YAML_RELATIVE)) {
        if (!isInside(path.resolve(dir, m[1]!))) at(`relative path "${m[1]}" leaves the repository`);
      }
    }
    if (isMarkdown) {
      for (const m of line.matchAll(MD_LINK)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // URL, mailto:
        const [pathPart, anchor] = target.split('#') as [string, string | undefined];
        const resolved = pathPart === '' ? path.join(ROOT, file) : path.resolve(dir, decodeURIComponent(pathPart));
        if (!isInside(resolved)) at(`link "${target}" leaves the repository`);
        else if (!existsSync(resolved)) at(`link "${target}" points at nothing in the repository`);
        else if (anchor && resolved.endsWith('.md')) {
          const anchors = pathPart === '' ? anchorsOf(text) : anchorsOf(readFile(resolved));
          if (!anchors.has(anchor)) at(`link "${target}": no heading with that anchor`);
        }
      }
    }
  });
  return hits;
}

function trackedFiles(): string[] {
  let out: string;
  try {
    out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    throw new Error(`this check lists the tracked files with \`git ls-files\` in ${ROOT}: ${(err as Error).message}`);
  }
  return out.split('\0').filter(Boolean);
}

describe('the repository stands on its own', () => {
  it('no tracked file refers to a path outside the repository', () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(100);
    const hits: Hit[] = [];
    let scanned = 0;
    for (const file of files) {
      const abs = path.join(ROOT, file);
      if (!existsSync(abs)) continue; // deleted in the working tree, not yet committed
      const bytes = readFileSync(abs);
      if (bytes.subarray(0, 8000).includes(0)) continue; // binary
      scanned++;
      hits.push(...scanText(file, bytes.toString('utf8')));
    }
    expect(scanned).toBeGreaterThan(100);
    expect(hits.map((h) => `${h.file}:${h.line}: ${h.what}: ${h.text}`)).toEqual([]);
  });

  // The rules themselves, on made-up lines (built with join so this file stays clean).
  const up = '..';
  const S = 'shared';
  const D = 'datasets';
  const shared = [up, S, 'x.jsonl'].join('/');
  it.each([
    ['a parent-relative shared path', 'x.ts', `const p = '${shared}';`],
    ['the shared folder via path.join', 'x.ts', `join(__dirname, '${up}', '${up}', '${S}', '${D}')`],
    ['a /work path', 'x.md', `see \`${['', 'work', 'main', 'README.md'].join('/')}\``],
    ['a Linux home', 'x.json', `"outDir": "${['', 'home', 'alice', 'runs'].join('/')}"`],
    ['a macOS home', 'x.sh', `cd ${['', 'Users', 'bob', 'toa'].join('/')}`],
    ["root's home", 'x.sh', `cat ${['', 'root', '.npmrc'].join('/')}`],
    ['a YAML path climbing out of the repository', 'examples/x.yaml', `  path: ${up}/${up}/elsewhere/data.jsonl`],
    ['a Markdown link climbing out of the repository', 'docs/x.md', `[ref](${up}/${up}/elsewhere.md)`],
    ['a Markdown link to a missing file', 'docs/x.md', '[algorithm](no-such-page.md)'],
    ['a Markdown link to a missing section', 'docs/x.md', '[toa](algorithm.md#no-such-section)'],
  ])('flags %s, naming file and line', (_name, file, line) => {
    const hits = scanText(file, `first line\n${line}\n`);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ file, line: 2 });
  });

  it.each([
    ['an import inside the repository', 'test/x/y.test.ts', "import { a } from '../../src/search';"],
    ['a URL with a "work" folder in its path', 'x.md', 'see https://example.com/work/item'],
    ['a YAML path that stays inside', 'examples/x.yaml', `  path: ${up}/data/gsm8k.test.1319.jsonl`],
    ['a Markdown link to a tracked file', 'docs/x.md', `[data](${up}/data/README.md) and [site](https://example.com)`],
    ['a Markdown link to an existing section', 'docs/x.md', '[uneven budgets](algorithm.md#the-uneven-budget-rule)'],
  ])('does not flag %s', (_name, file, line) => {
    expect(scanText(file, `${line}\n`)).toEqual([]);
  });

  it('computes GitHub heading anchors (punctuation dropped, repeats numbered, code blocks ignored)', () => {
    const md = [
      '# Title',
      "## The authors' settings per task",
      '### `parallelPlays`: several plays (virtual loss)',
      '## Notes',
      '```',
      '# not a heading',
      '```',
      '## Notes',
    ].join('\n');
    expect([...anchorsOf(md)]).toEqual([
      'title',
      'the-authors-settings-per-task',
      'parallelplays-several-plays-virtual-loss',
      'notes',
      'notes-1',
    ]);
  });
});
