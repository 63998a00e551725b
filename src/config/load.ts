/**
 * Reading a sweep file: YAML or JSON → a validated SweepConfig, with every problem reported as one
 * line `file:line:col: field.path: message` pointing into the file the user wrote.
 *
 * The sweep id is derived from `contentHash`: the sha256 of the canonical JSON (sorted keys) of the
 * parsed config, defaults applied, with the relative paths (dataset.path, output, templates.*)
 * replaced by their absolute resolution. So comments, formatting, key order, YAML vs JSON and
 * spelling out a default do not change the id; moving the file to a folder where its relative
 * paths mean other files does.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, statSync } from 'node:fs';
import * as path from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { canonicalJson } from '../common/canonicalJson';
import { rewardDefinition } from '../rewards';
import { limitProblems, temporalLimitsFrom, type TemporalLimits } from './limits';
import { sweepSchema, type RewardSpec, type SweepConfig, type TemplatesSpec } from './schema';

/** Problems shown at most in one ConfigError message. */
export const MAX_REPORTED_PROBLEMS = 20;

export type FieldPath = ReadonlyArray<string | number>;

/** A sweep file that cannot be used: `message` holds one line per problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
    const more = problems.length > shown.length ? [`... and ${problems.length - shown.length} more problems`] : [];
    super([...shown, ...more].join('\n'));
  }
}

export interface SourcePosition {
  line: number;
  col: number;
}

export interface LoadedSweep {
  config: SweepConfig;
  /** Absolute path of the sweep file. */
  file: string;
  /** Its folder: relative paths in the file are relative to it. */
  dir: string;
  /** sha256 (hex) of the canonical parsed config; the sweep id is derived from it. */
  contentHash: string;
  /** dataset.path, absolute. */
  datasetPath: string;
  /** output, absolute. */
  outputDir: string;
  /** templates.*, absolute (only those set). */
  templatePaths: Partial<Record<keyof TemplatesSpec, string>>;
  /** Where a field is written in the file (for a field that is not written: its closest written parent). */
  positionOf(fieldPath: FieldPath): SourcePosition;
  /** `file:line:col` of a field, as used in messages. */
  where(fieldPath: FieldPath): string;
}

/** A problem found by checkSweepEnvironment; `String(problem)` is its one-line message. */
export class SweepProblem {
  constructor(
    readonly kind: 'missing-env' | 'missing-file',
    readonly field: string,
    readonly message: string,
  ) {}
  toString(): string {
    return this.message;
  }
}

/** `agents[1].baseURL` */
export function formatFieldPath(p: FieldPath): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out === '' ? '(top level)' : out;
}

type Format = 'yaml' | 'json';

function formatOf(file: string): Format | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  return undefined;
}

/** Read, parse and validate a sweep file. Throws ConfigError (never anything else for a bad file). */
export async function loadSweepFile(file: string, opts: Pick<ParseOptions, 'limits'> = {}): Promise<LoadedSweep> {
  const abs = path.resolve(file);
  const format = formatOf(abs);
  if (!format) throw new ConfigError([`${file}: a sweep file must end in .yaml, .yml or .json`]);
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(abs);
  } catch (err) {
    throw new ConfigError([`${file}: cannot read: ${(err as Error).message}`]);
  }
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) throw new ConfigError([`${file}:${decoded.line}:${decoded.col}: not valid UTF-8: save the file as UTF-8`]);
  return parseSweepText(decoded.text, { ...opts, file: abs, displayName: file, format });
}

export type Utf8Result = { ok: true; text: string } | { ok: false; line: number; col: number };

/**
 * Strict UTF-8: an invalid byte is reported (line and column of the first one, 1-based), never
 * turned into U+FFFD silently.
 */
export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // The lenient decoding marks the first bad byte with U+FFFD: its line and column (a real
    // U+FFFD written earlier in the file would be found first; good enough for a message).
    const lenient = Buffer.from(bytes).toString('utf8');
    const at = lenient.indexOf('\uFFFD');
    const before = lenient.slice(0, Math.max(0, at));
    const line = before.split('\n').length;
    return { ok: false, line, col: at - (before.lastIndexOf('\n') + 1) + 1 };
  }
}

export interface ParseOptions {
  /** Path the relative paths in the file are resolved against (its folder). */
  file: string;
  /** Name used in messages; defaults to `file`. */
  displayName?: string;
  format?: Format;
  /** Temporal's limits the budgets are checked against (default: temporalLimitsFrom(process.env)). */
  limits?: TemporalLimits;
}

/** The same as loadSweepFile, from text already read (tests, stdin). */
export function parseSweepText(text: string, opts: ParseOptions): LoadedSweep {
  const file = path.resolve(opts.file);
  const shown = opts.displayName ?? opts.file;
  const format = opts.format ?? formatOf(file) ?? 'yaml';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false, keepSourceTokens: false });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return `${shown}:${p.line}:${p.col}`;
  };

  let data: unknown;
  if (format === 'json') {
    try {
      data = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
      const msg = (err as Error).message;
      const pos = /position (\d+)/.exec(msg);
      const where = pos ? at(Number(pos[1])) : doc.errors[0] ? at(doc.errors[0].pos[0]) : `${shown}:1:1`;
      throw new ConfigError([`${where}: JSON syntax error: ${msg.replace(/ in JSON at position \d+.*$/, '')}`]);
    }
  } else {
    if (doc.errors.length > 0) {
      throw new ConfigError(doc.errors.map((e) => `${at(e.pos[0])}: YAML syntax error: ${firstLine(e.message)}`));
    }
    data = toJsChecked(doc, at);
  }

  const positionOf = (fieldPath: FieldPath): SourcePosition => {
    const node = nodeAt(doc.contents as YamlNode | null, fieldPath);
    return node?.range ? lineCounter.linePos(node.range[0]) : { line: 1, col: 1 };
  };
  const where = (fieldPath: FieldPath) => {
    const p = positionOf(fieldPath);
    return `${shown}:${p.line}:${p.col}`;
  };

  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([
      `${where([])}: a sweep file holds a mapping of fields (name, dataset, agents, reward, methods, budgets, ...)`,
    ]);
  }

  const parsed = sweepSchema.safeParse(data);
  if (!parsed.success) {
    const problems: string[] = [];
    for (const issue of parsed.error.issues) {
      for (const p of describeIssue(issue, data)) problems.push(`${where(p.locate)}: ${formatFieldPath(p.field)}: ${p.message}`);
    }
    throw new ConfigError(problems);
  }

  const config = parsed.data;
  let limits: TemporalLimits;
  try {
    limits = opts.limits ?? temporalLimitsFrom(process.env);
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  const crossProblems = [
    ...referenceProblems(config, positionOf),
    ...limitProblems(config, limits).map((p) => ({ locate: p.field, field: p.field, message: p.message })),
  ];
  if (crossProblems.length > 0) throw new ConfigError(crossProblems.map((p) => `${where(p.locate)}: ${formatFieldPath(p.field)}: ${p.message}`));

  const dir = path.dirname(file);
  const datasetPath = path.resolve(dir, config.dataset.path);
  const outputDir = path.resolve(dir, config.output);
  const templatePaths: LoadedSweep['templatePaths'] = {};
  for (const [k, v] of Object.entries(config.templates ?? {}) as Array<[keyof TemplatesSpec, string | undefined]>) {
    if (v !== undefined) templatePaths[k] = path.resolve(dir, v);
  }
  const contentHash = sweepContentHash(config, dir);
  return { config, file, dir, contentHash, datasetPath, outputDir, templatePaths, positionOf, where };
}

/**
 * sha256 of the canonical JSON of the parsed config (defaults applied, keys sorted), with relative
 * paths resolved against `dir`. See the module comment.
 */
export function sweepContentHash(config: SweepConfig, dir: string): string {
  const resolved: SweepConfig = {
    ...config,
    dataset: { ...config.dataset, path: path.resolve(dir, config.dataset.path) },
    output: path.resolve(dir, config.output),
    templates:
      config.templates &&
      Object.fromEntries(Object.entries(config.templates).map(([k, v]) => [k, v === undefined ? v : path.resolve(dir, v)])),
  };
  return createHash('sha256')
    .update(`toa-sweep-v1\n${canonicalJson(resolved)}`)
    .digest('hex');
}

export { canonicalJson };

/**
 * Problems of the environment a sweep would run in, found before anything is spent: API key
 * variables that are not set, dataset and template files that do not exist. One line each,
 * naming the field and where it is written.
 */
export function checkSweepEnvironment(loaded: LoadedSweep, env: NodeJS.ProcessEnv = process.env): SweepProblem[] {
  const problems: SweepProblem[] = [];
  const needKey = (fieldPath: FieldPath, varName: string, who: string) => {
    if (env[varName] === undefined || env[varName] === '') {
      problems.push(
        new SweepProblem(
          'missing-env',
          formatFieldPath(fieldPath),
          `${loaded.where(fieldPath)}: ${formatFieldPath(fieldPath)}: environment variable ${varName} (the API key of ${who}) is not set`,
        ),
      );
    }
  };
  loaded.config.agents.forEach((a, i) => {
    if (a.apiKeyEnv) needKey(['agents', i, 'apiKeyEnv'], a.apiKeyEnv, `agent "${a.name}"`);
  });
  const rewardKeys = (r: RewardSpec, at: Array<string | number>) => {
    if (r.type === 'weighted') r.components.forEach((c, i) => rewardKeys(c.reward, [...at, 'components', i, 'reward']));
    else if ('apiKeyEnv' in r && r.apiKeyEnv) needKey([...at, 'apiKeyEnv'], r.apiKeyEnv, `the ${r.type} reward`);
  };
  rewardKeys(loaded.config.reward, ['reward']);

  const needFile = (fieldPath: FieldPath, file: string, what: string) => {
    let ok = false;
    try {
      ok = existsSync(file) && statSync(file).isFile();
    } catch {
      ok = false;
    }
    if (!ok) {
      problems.push(
        new SweepProblem(
          'missing-file',
          formatFieldPath(fieldPath),
          `${loaded.where(fieldPath)}: ${formatFieldPath(fieldPath)}: ${what} not found: ${file}`,
        ),
      );
    }
  };
  needFile(['dataset', 'path'], loaded.datasetPath, 'dataset file');
  for (const [k, file] of Object.entries(loaded.templatePaths)) if (file) needFile(['templates', k], file, 'template file');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Checks across fields, after the schema.

/** Aliases resolved at most this many times in one file: more is an alias bomb, not a sweep file. */
export const MAX_ALIAS_COUNT = 1000;

/**
 * The document as plain data. An alias without its anchor and an alias bomb (aliases that expand
 * to millions of nodes) are ConfigErrors at the alias, not a raw ReferenceError.
 */
function toJsChecked(doc: Document.Parsed, at: (offset: number) => string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const aliases: Array<{ source: string; offset: number; size: number; resolved: boolean }> = [];
    const sizes = new Map<unknown, number>();
    // Nodes an anchor stands for, counted with their own aliases expanded (memoised: linear).
    const sizeOf = (node: unknown): number => {
      if (isAlias(node)) {
        const target = node.resolve(doc);
        return target ? sizeOf(target) : 1;
      }
      if (!node || typeof node !== 'object') return 1;
      const known = sizes.get(node);
      if (known !== undefined) return known;
      sizes.set(node, 1); // a cycle counts once
      let n = 1;
      if (isMap(node) || isSeq(node)) for (const it of node.items) n += isPair(it) ? sizeOf(it.key) + sizeOf(it.value) : sizeOf(it);
      const capped = Math.min(n, Number.MAX_SAFE_INTEGER);
      sizes.set(node, capped);
      return capped;
    };
    visit(doc, {
      Alias(_, node) {
        const target = node.resolve(doc);
        aliases.push({ source: node.source, offset: node.range?.[0] ?? 0, size: target ? sizeOf(target) : 0, resolved: target !== undefined });
      },
    });
    const unresolved = aliases.find((a) => !a.resolved);
    if (unresolved) throw new ConfigError([`${at(unresolved.offset)}: YAML alias *${unresolved.source} has no anchor &${unresolved.source} before it`]);
    const biggest = aliases.reduce((a, b) => (b.size > a.size ? b : a), aliases[0] ?? { source: '?', offset: 0, size: 0, resolved: true });
    throw new ConfigError([
      `${at(biggest.offset)}: YAML aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?): ` +
        `*${biggest.source} alone stands for ${biggest.size.toLocaleString('en-US')}; write the values out instead`,
    ]);
  }
}

/** Where `target` sits inside `root`, by identity (reward components are the spec's own objects). */
function pathTo(root: unknown, target: unknown, at: FieldPath = []): FieldPath | undefined {
  if (root === target) return at;
  if (!root || typeof root !== 'object') return undefined;
  for (const [k, v] of Object.entries(root)) {
    const found = pathTo(v, target, [...at, Array.isArray(root) ? Number(k) : k]);
    if (found) return found;
  }
  return undefined;
}

/** A reward that scores against a reference needs `dataset.referenceField` (else every play fails). */
function referenceProblems(config: SweepConfig, positionOf: (p: FieldPath) => SourcePosition): Located[] {
  if (config.dataset.referenceField !== undefined) return [];
  const needing: Array<{ type: string }> = [];
  const walk = (spec: { type: string }) => {
    const def = rewardDefinition(spec.type);
    if (def.needsReference?.(spec) === true) needing.push(spec);
    for (const c of def.components?.(spec) ?? []) walk(c);
  };
  walk(config.reward);
  return needing.slice(0, 1).map((spec) => {
    const typePath = [...(pathTo(config.reward, spec) ?? []), 'type'];
    const field = formatFieldPath(['reward', ...typePath]);
    return {
      locate: ['dataset', 'referenceField'],
      field: ['dataset', 'referenceField'],
      message: `the ${spec.type} reward (${field}, line ${positionOf(['reward', ...typePath]).line}) scores against a reference: name the dataset field that holds it`,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Mapping zod issues to the file.

interface Located {
  /** Path whose node is pointed at (the closest existing node is used). */
  locate: FieldPath;
  /** Path named in the message. */
  field: FieldPath;
  message: string;
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function valueAt(data: unknown, p: FieldPath): unknown {
  let v: unknown = data;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): Located[] {
  const p = issue.path as Array<string | number>;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ locate: [...p, k, KEY], field: [...p, k], message: 'unknown field' }));
    case 'invalid_type': {
      if (valueAt(data, p) === undefined)
        return [{ locate: p, field: p, message: `required field is missing (expected ${issue.expected})` }];
      return [{ locate: p, field: p, message: issue.message.replace(/^Invalid input: /, '') }];
    }
    case 'invalid_union': {
      const opts = (issue as { options?: unknown[] }).options;
      if ((issue as { note?: string }).note === 'No matching discriminator' && opts) {
        const v = valueAt(data, p);
        const expected = opts.map((o) => JSON.stringify(o)).join(', ');
        return [
          {
            locate: p,
            field: p,
            message:
              v === undefined
                ? `required field is missing (one of ${expected})`
                : `unknown value ${JSON.stringify(v)} (expected one of ${expected})`,
          },
        ];
      }
      return [{ locate: p, field: p, message: issue.message }];
    }
    default:
      return [{ locate: p, field: p, message: issue.message }];
  }
}

/** Marker at the end of a path: point at the key of the last pair rather than its value. */
const KEY = Symbol('key') as unknown as string;

function nodeAt(root: YamlNode | null, p: FieldPath): YamlNode | null {
  let node: YamlNode | null = root;
  for (let i = 0; i < p.length; i++) {
    const k = p[i];
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && (isScalar(it.key) ? it.key.value : it.key) == k);
      if (!pair) return node;
      const wantKey = p[i + 1] === KEY;
      const value = pair.value as YamlNode | null;
      if (wantKey || !value || (isScalar(value) && value.value === null && !value.range)) return (pair.key as YamlNode) ?? node;
      node = value;
    } else if (isSeq(node)) {
      const item = typeof k === 'number' ? (node.items[k] as YamlNode | null | undefined) : undefined;
      if (!item) return node;
      node = item;
    } else {
      return node;
    }
  }
  return node;
}
