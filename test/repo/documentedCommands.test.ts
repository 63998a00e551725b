/**
 * Every `toa` command written in the README and the docs exists, with the options it is shown
 * with, and the files it names are in the repository; the safe ones are run with the built CLI
 * (`toa config check` on every example named, `toa config schema`, `--help` of every command
 * path). So the documentation cannot drift from the code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/client/main';

const ROOT = path.join(__dirname, '..', '..');
const DOCS = ['README.md', 'examples/README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Documented {
  where: string;
  words: string[];
}

/** `toa ...` lines of fenced code blocks: `$ toa` in console blocks, `toa` / `npx toa` elsewhere. */
export function documentedCommands(file: string, text: string): Documented[] {
  const out: Documented[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, i) => {
    const f = /^\s*```(\w*)/.exec(line);
    if (f) {
      fence = fence === undefined ? f[1] || 'plain' : undefined;
      return;
    }
    if (fence === undefined) return;
    const m = fence === 'console' ? /^\s*\$ (?:npx )?toa\s+(.*)$/.exec(line) : /^\s*(?:\$ )?(?:npx )?toa\s+(.*)$/.exec(line);
    if (!m) return;
    const body = m[1]!.replace(/\s+#.*$/, '').replace(/\s*&\s*$/, '').trim();
    // Shell quoting is simple in the docs: "..." groups words.
    const words = body.match(/"[^"]*"|\S+/g) ?? [];
    out.push({ where: `${file}:${i + 1}`, words });
  });
  return out;
}

/** Resolve a documented command: its command path(s) (alternatives `a|b` expanded) and the options it uses. */
function resolve(program: Command, words: string[]): Array<{ path: Command[]; options: string[]; files: string[] }> {
  const results: Array<{ path: Command[]; options: string[]; files: string[] }> = [];
  const walk = (cmd: Command, chain: Command[], rest: string[]): void => {
    const [word, ...tail] = rest;
    if (word !== undefined && !word.startsWith('-') && !word.startsWith('[') && word !== '|') {
      const alternatives = word.split('|').filter(Boolean);
      const subs = alternatives.map((w) => cmd.commands.find((c) => c.name() === w || c.aliases().includes(w)));
      if (subs.every((s) => s !== undefined)) {
        // `start | stop` written with spaces: the alternatives follow as `| word`.
        const more: Command[] = [];
        let after = tail;
        while (after[0] === '|' && after[1]) {
          const next = cmd.commands.find((c) => c.name() === after[1]);
          if (next) more.push(next);
          after = after.slice(2);
        }
        for (const sub of [...(subs as Command[]), ...more]) walk(sub, [...chain, sub], after);
        return;
      }
    }
    const options = rest.flatMap((w) => w.replace(/^\[|\]$/g, '').split('|')).filter((w) => /^--?[a-z]/.test(w)).map((w) => w.split('=')[0]!);
    const files = rest.filter((w) => /^(examples|data|docs)\//.test(w));
    results.push({ path: chain, options, files });
  };
  walk(program, [], words);
  return results;
}

const GLOBAL_OPTIONS = ['--help', '-h', '--debug'];

function optionKnown(cmd: Command, opt: string): boolean {
  return GLOBAL_OPTIONS.includes(opt) || cmd.options.some((o) => o.long === opt || o.short === opt || o.long === `--no-${opt.slice(2)}`);
}

const program = buildProgram();
const documented = DOCS.flatMap((f) => documentedCommands(f, readFileSync(path.join(ROOT, f), 'utf8')));
const resolved = documented.flatMap((d) => resolve(program, d.words).map((r) => ({ ...r, where: d.where, words: d.words })));

test('the docs show toa commands (the scan finds them)', () => {
  expect(documented.length).toBeGreaterThan(20);
});

test('every documented command exists, with the options it is shown with, and names files that exist', () => {
  const problems: string[] = [];
  for (const r of resolved) {
    const shown = `toa ${r.words.join(' ')}`;
    const leaf = r.path[r.path.length - 1];
    if (!leaf) {
      problems.push(`${r.where}: \`${shown}\`: no such command`);
      continue;
    }
    if (leaf.commands.length > 0 && !leaf.commands.some((c) => (c as unknown as { _defaultCommandName?: string })._defaultCommandName) && !(leaf as unknown as { _defaultCommandName?: string })._defaultCommandName) {
      problems.push(`${r.where}: \`${shown}\`: \`${r.path.map((c) => c.name()).join(' ')}\` needs a subcommand`);
    }
    for (const o of r.options) if (!optionKnown(leaf, o)) problems.push(`${r.where}: \`${shown}\`: option ${o} is not an option of \`toa ${r.path.map((c) => c.name()).join(' ')}\``);
    for (const f of r.files) if (!existsSync(path.join(ROOT, f))) problems.push(`${r.where}: \`${shown}\`: ${f} does not exist`);
  }
  expect(problems).toEqual([]);
});

test('the check can fail: an unknown command, option and file are reported', () => {
  const [a] = resolve(program, ['sweep', 'frobnicate', '<id>']);
  expect(a!.path.map((c) => c.name())).toEqual(['sweep']);
  const [b] = resolve(program, ['sweep', 'status', '<id>', '--jsonn']);
  expect(optionKnown(b!.path[b!.path.length - 1]!, '--jsonn')).toBe(false);
  const [c] = resolve(program, ['config', 'check', 'examples/nope.yaml']);
  expect(c!.files).toEqual(['examples/nope.yaml']);
  expect(documentedCommands('x.md', '```console\n$ toa sweep watch x\ntoa   8   20   0.68\n```\n').map((d) => d.words)).toEqual([['sweep', 'watch', 'x']]);
});

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'toa.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

test('the built CLI answers --help for every documented command path', () => {
  const paths = [...new Set(resolved.filter((r) => r.path.length > 0).map((r) => r.path.map((c) => c.name()).join(' ')))];
  expect(paths.length).toBeGreaterThan(8);
  for (const p of paths) {
    const r = cli(...p.split(' '), '--help');
    expect({ command: p, status: r.status, stderr: r.stderr }).toEqual({ command: p, status: 0, stderr: '' });
    expect(r.stdout).toContain('Usage: toa');
  }
});

test('every sweep file the docs name passes `toa config check`; `toa config schema` prints JSON', () => {
  const files = [...new Set(resolved.flatMap((r) => r.files).filter((f) => /\.ya?ml$/.test(f)))];
  expect(files.length).toBeGreaterThan(0);
  const r = cli('config', 'check', ...files);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  for (const f of files) expect(r.stdout).toContain(`${f}: ok`);
  const schema = cli('config', 'schema');
  expect(schema.status).toBe(0);
  expect(JSON.parse(schema.stdout)).toMatchObject({ title: 'toa sweep file' });
});
