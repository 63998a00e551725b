/**
 * A JSONL dataset, read a page at a time so a workflow can page through 100k prompts.
 *
 * Selection (what a sweep runs), in this order:
 *  - every non-blank line is one position (broken lines too, so a fix never shifts the others);
 *  - `offset` skips the first positions, `limit` keeps the next `limit` of them: the slice
 *    [offset, offset + limit);
 *  - `shard {index, count}` keeps position i of that slice when i % count === index. So `limit`
 *    counts positions BEFORE sharding, and the shards of a spec partition exactly what the spec
 *    without `shard` selects.
 *
 * The cursor is a byte offset: where the next page starts reading (0 = the start; null = done).
 * A page reads from there, so page N never re-reads the file from the start. The line number
 * and position count at a cursor are remembered in process; a worker that has not seen the
 * cursor (another machine, a restart) recounts them with a fast newline scan, no JSON parsing.
 *
 * The pager reports per-line problems of the lines it selects (they are not items); duplicate
 * ids need the whole file: validateDataset finds them, with every other problem, before launch.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { datasetSchema } from '../config/schema';
import type { DatasetFingerprint } from '../common/reuse';

/** A dataset spec as written in the sweep file (defaults optional); `path` absolute or relative to the cwd. */
export type DatasetReadSpec = z.input<typeof datasetSchema>;

export interface DatasetItem {
  /** The id field, stringified (numbers become decimal strings). */
  id: string;
  prompt: string;
  reference?: string;
  /** 1-based line number in the file. */
  line: number;
}

export interface DatasetProblem {
  /** 1-based line number; 0 for a problem of the whole file. */
  line: number;
  /** One line: `file:line: field "x" is empty`. */
  message: string;
}

export interface DatasetPage {
  items: DatasetItem[];
  problems: DatasetProblem[];
  /** Byte offset where the next page starts; null when the selection has been read to its end. */
  nextCursor: number | null;
  /** Lines read for this page. */
  scanned: number;
}

/**
 * A dataset that cannot be read at all (missing file, invalid spec, cursor from another file).
 * `code` is the errno code of a failed file operation (ENOENT, EIO, EMFILE, ...), so callers
 * can tell a transient I/O error (worth a retry) from a missing file.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    message: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The file operations the pager uses: node's by default; tests inject faults here (an EIO on a
 * read, EMFILE on open), at the boundary with the file system.
 */
export interface DatasetFs {
  open(file: string): Promise<DatasetFileHandle>;
}

/** The part of a FileHandle the pager uses. */
export interface DatasetFileHandle {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number; mtimeMs: number }>;
  close(): Promise<void>;
}

export const nodeDatasetFs: DatasetFs = { open: (file) => fsp.open(file, 'r') };

/** Errno codes of failures that may pass (descriptor exhaustion, flaky or remote disks): retry. */
export const TRANSIENT_IO_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'EIO', 'EAGAIN', 'EBUSY', 'EINTR', 'ETIMEDOUT', 'ESTALE', 'ENOMEM']);

/** True when reading the dataset again may succeed (the error carries a transient errno code). */
export function isTransientDatasetError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_IO_CODES.has(code);
}

const CHUNK = 1 << 16;
const NL = 0x0a;

interface ScanState {
  /** Line number of the next line (1-based). */
  line: number;
  /** Position (non-blank line count) of the next non-blank line. */
  slot: number;
}

/** Cursor → state, per file version, so consecutive pages in one process need no recount. */
const cursorStates = new Map<string, ScanState>();
const MAX_REMEMBERED = 4096;

function remember(key: string, s: ScanState): void {
  if (cursorStates.size >= MAX_REMEMBERED) cursorStates.delete(cursorStates.keys().next().value as string);
  cursorStates.set(key, s);
}

function normalise(spec: DatasetReadSpec) {
  const r = datasetSchema.safeParse(spec);
  if (!r.success)
    throw new DatasetError(`invalid dataset spec: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { ...r.data, path: path.resolve(r.data.path) };
}

type Handle = DatasetFileHandle;

async function open(file: string, fs: DatasetFs): Promise<{ fh: Handle; size: number; version: string }> {
  let fh: Handle;
  try {
    fh = await fs.open(file);
  } catch (err) {
    throw new DatasetError(`cannot open ${file}: ${(err as Error).message}`, (err as NodeJS.ErrnoException).code, { cause: err });
  }
  const st = await fh.stat();
  return { fh, size: st.size, version: `${file}\0${st.size}\0${st.mtimeMs}` };
}

interface RawLine {
  bytes: Buffer;
  /** Byte offset just after the line (after its newline, or the end of the file). */
  end: number;
}

/** The lines of a file from byte `start`, as raw bytes (a newline never occurs inside a UTF-8 character). */
async function* lines(fh: Handle, start: number): AsyncGenerator<RawLine> {
  let pos = start;
  let carry: Buffer = Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
    if (bytesRead === 0) break;
    const chunk: Buffer =
      carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
    const chunkStart = pos - carry.length;
    pos += bytesRead;
    let from = 0;
    for (let nl = chunk.indexOf(NL, from); nl !== -1; nl = chunk.indexOf(NL, from)) {
      yield { bytes: chunk.subarray(from, nl), end: chunkStart + nl + 1 };
      from = nl + 1;
    }
    carry = chunk.subarray(from);
  }
  if (carry.length > 0) yield { bytes: carry, end: pos };
}

function isBlank(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

/** Line and position counts of the bytes before `cursor`, which must be the start of a line. */
async function stateAt(fh: Handle, size: number, version: string, cursor: number, shown: string): Promise<ScanState> {
  if (cursor === 0) return { line: 1, slot: 0 };
  const known = cursorStates.get(`${version}\0${cursor}`);
  if (known) return known;
  if (!Number.isSafeInteger(cursor) || cursor < 0 || cursor > size) {
    throw new DatasetError(
      `${shown}: cursor ${cursor} is outside the file (${size} bytes): did the file change since the sweep started?`,
    );
  }
  const prev = Buffer.alloc(1);
  await fh.read(prev, 0, 1, cursor - 1);
  if (prev[0] !== NL)
    throw new DatasetError(
      `${shown}: cursor ${cursor} is not at the start of a line: did the file change since the sweep started?`,
    );
  const s: ScanState = { line: 1, slot: 0 };
  for await (const l of lines(fh, 0)) {
    if (l.end > cursor) break;
    s.line += 1;
    if (!isBlank(l.bytes)) s.slot += 1;
    if (l.end === cursor) break;
  }
  return s;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

type Checked = { item: DatasetItem; problems?: undefined } | { item?: undefined; problems: DatasetProblem[] };

type Spec = ReturnType<typeof normalise>;

/** One selected line → an item, or its problems. */
function checkLine(spec: Spec, shown: string, text: string, line: number): Checked {
  const problem = (message: string): DatasetProblem => ({ line, message: `${shown}:${line}: ${message}` });
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (err) {
    return { problems: [problem(`not valid JSON: ${(err as Error).message}`)] };
  }
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    return { problems: [problem(`a line must hold a JSON object, not ${typeName(row)}`)] };
  }
  const o = row as Record<string, unknown>;
  const problems: DatasetProblem[] = [];

  let id: string | undefined;
  const rawId = o[spec.idField];
  if (rawId === undefined || rawId === null) problems.push(problem(`field "${spec.idField}" is missing`));
  else if (typeof rawId === 'number' && Number.isFinite(rawId)) id = String(rawId);
  else if (typeof rawId === 'string') {
    if (rawId.trim() === '') problems.push(problem(`field "${spec.idField}" is empty`));
    else id = rawId;
  } else problems.push(problem(`field "${spec.idField}" must be a string or a number, not ${typeName(rawId)}`));

  let prompt: string | undefined;
  const rawPrompt = o[spec.promptField];
  if (rawPrompt === undefined || rawPrompt === null) problems.push(problem(`field "${spec.promptField}" is missing`));
  else if (typeof rawPrompt !== 'string')
    problems.push(problem(`field "${spec.promptField}" must be a string, not ${typeName(rawPrompt)}`));
  else if (rawPrompt.trim() === '') problems.push(problem(`field "${spec.promptField}" is empty`));
  else prompt = rawPrompt;

  let reference: string | undefined;
  if (spec.referenceField !== undefined) {
    const raw = o[spec.referenceField];
    if (raw === undefined || raw === null) problems.push(problem(`field "${spec.referenceField}" is missing`));
    else if (typeof raw === 'number' || typeof raw === 'boolean') reference = String(raw);
    else if (typeof raw !== 'string')
      problems.push(problem(`field "${spec.referenceField}" must be a string, not ${typeName(raw)}`));
    else if (raw.trim() === '') problems.push(problem(`field "${spec.referenceField}" is empty`));
    else reference = raw;
  }

  if (problems.length > 0 || id === undefined || prompt === undefined) return { problems };
  return { item: reference === undefined ? { id, prompt, line } : { id, prompt, reference, line } };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The line's text, or undefined when it is not valid UTF-8 (never U+FFFD in place of bad bytes). */
function decodeLine(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** 1-based character column of the first invalid byte (where the lenient decoding puts U+FFFD). */
function badByteColumn(bytes: Buffer): number {
  return bytes.toString('utf8').indexOf('\uFFFD') + 1;
}

type Verdict = 'skip' | 'select' | 'end';

/** Whether position `slot` is selected by offset, limit and shard. */
function select(spec: Spec, slot: number): Verdict {
  if (slot < spec.offset) return 'skip';
  if (spec.limit !== undefined && slot >= spec.offset + spec.limit) return 'end';
  const i = slot - spec.offset;
  return spec.shard && i % spec.shard.count !== spec.shard.index ? 'skip' : 'select';
}

/**
 * One page of the selection from `cursor` (0 at the start): at most `pageSize` entries, items and
 * problems together. Continue with `nextCursor` until it is null.
 */
export async function readDatasetPage(
  spec: DatasetReadSpec,
  opts: { cursor: number; pageSize: number },
  fs: DatasetFs = nodeDatasetFs,
): Promise<DatasetPage> {
  const s = normalise(spec);
  const shown = path.basename(s.path);
  const pageSize = Math.max(1, Math.floor(opts.pageSize));
  const { fh, size, version } = await open(s.path, fs);
  try {
    const state = { ...(await stateAt(fh, size, version, opts.cursor, shown)) };
    const items: DatasetItem[] = [];
    const problems: DatasetProblem[] = [];
    let scanned = 0;
    let end = opts.cursor;
    let finished = true;
    for await (const l of lines(fh, opts.cursor)) {
      const line = state.line;
      state.line += 1;
      scanned += 1;
      if (isBlank(l.bytes)) {
        end = l.end;
        continue;
      }
      const verdict = select(s, state.slot);
      if (verdict === 'end') break;
      state.slot += 1;
      end = l.end;
      if (verdict === 'select') {
        const text = decodeLine(l.bytes);
        if (text === undefined) {
          problems.push({ line, message: `${shown}:${line}: not valid UTF-8 (first bad byte at column ${badByteColumn(l.bytes)}): save the file as UTF-8` });
        } else {
          const r = checkLine(s, shown, line === 1 ? text.replace(/^\uFEFF/, '') : text, line);
          if (r.item) items.push(r.item);
          else problems.push(...r.problems);
        }
      }
      if (items.length + problems.length >= pageSize) {
        finished = end >= size || (s.limit !== undefined && state.slot >= s.offset + s.limit);
        break;
      }
    }
    const nextCursor = finished ? null : end;
    if (nextCursor !== null) remember(`${version}\0${nextCursor}`, { line: state.line, slot: state.slot });
    return { items, problems, nextCursor, scanned };
  } finally {
    await fh.close();
  }
}

/** Every selected item and problem, page by page. */
async function scanAll(spec: DatasetReadSpec, onPage: (p: DatasetPage) => void): Promise<void> {
  let cursor: number | null = 0;
  while (cursor !== null) {
    const page: DatasetPage = await readDatasetPage(spec, { cursor, pageSize: 4096 });
    onPage(page);
    cursor = page.nextCursor;
  }
}

/**
 * Every problem of the selection, with line numbers, before anything is spent: per-line problems,
 * duplicate ids, an unreadable file, an empty selection. An empty array means the sweep can run.
 * `onItem` sees every valid item and may return a problem of its own (e.g. an id too long for a
 * workflow ID), reported at the item's line.
 */
export async function validateDataset(
  spec: DatasetReadSpec,
  opts: { onItem?: (item: DatasetItem) => string | undefined } = {},
): Promise<DatasetProblem[]> {
  let s: Spec;
  try {
    s = normalise(spec);
  } catch (err) {
    return [{ line: 0, message: (err as Error).message }];
  }
  const shown = path.basename(s.path);
  const problems: DatasetProblem[] = [];
  const firstLineOf = new Map<string, number>();
  let items = 0;
  try {
    await scanAll(s, (page) => {
      problems.push(...page.problems);
      for (const it of page.items) {
        items += 1;
        const own = opts.onItem?.(it);
        if (own !== undefined) problems.push({ line: it.line, message: `${shown}:${it.line}: ${own}` });
        const first = firstLineOf.get(it.id);
        if (first === undefined) firstLineOf.set(it.id, it.line);
        else
          problems.push({
            line: it.line,
            message: `${shown}:${it.line}: field "${s.idField}": duplicate id "${it.id}" (first on line ${first})`,
          });
      }
    });
  } catch (err) {
    return [{ line: 0, message: `${shown}: ${(err as Error).message}` }];
  }
  if (items === 0 && problems.length === 0) {
    problems.push({
      line: 0,
      message: `${shown}: the dataset selection is empty (offset ${s.offset}${s.limit !== undefined ? `, limit ${s.limit}` : ''}${s.shard ? `, shard ${s.shard.index}/${s.shard.count}` : ''})`,
    });
  }
  return problems.sort((a, b) => a.line - b.line);
}

/** How many valid items the spec selects (what a sweep runs per method, budget and seed). */
export async function countDatasetItems(spec: DatasetReadSpec): Promise<number> {
  let n = 0;
  await scanAll(spec, (page) => {
    n += page.items.length;
  });
  return n;
}

/**
 * What a sweep remembers of its dataset file when it starts: a running sweep reads the file page
 * by page, so an edit under it would mix two versions (and shift cursors). Size and mtime are
 * the cheap check; the digest (sha256 of the bytes) decides when they differ.
 */
export type { DatasetFingerprint };

export async function datasetFingerprint(file: string): Promise<DatasetFingerprint> {
  const before = await fsp.stat(file);
  const hash = createHash('sha256');
  const fh = await fsp.open(file, 'r');
  try {
    for await (const chunk of fh.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await fh.close();
  }
  const after = await fsp.stat(file);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    throw new DatasetError(`${file} changed while it was being read: start the sweep again once nothing writes to it`);
  }
  return { size: after.size, mtimeMs: after.mtimeMs, sha256: hash.digest('hex') };
}

const hashedVersions = new Map<string, DatasetFingerprint>();

/**
 * Undefined when `file` still is what `expected` describes, else one line saying what changed.
 * Only a differing size or mtime costs a re-hash (a file touched but not edited is the same).
 */
export async function datasetChange(file: string, expected: DatasetFingerprint): Promise<string | undefined> {
  const st = await fsp.stat(file);
  if (st.size === expected.size && st.mtimeMs === expected.mtimeMs) return undefined;
  // A touched file is hashed once per version in this process, not once per page.
  const version = `${file}\0${st.size}\0${st.mtimeMs}`;
  const now = hashedVersions.get(version) ?? (await datasetFingerprint(file));
  if (hashedVersions.size >= MAX_REMEMBERED) hashedVersions.delete(hashedVersions.keys().next().value as string);
  hashedVersions.set(version, now);
  if (now.sha256 === expected.sha256) return undefined;
  const when = (ms: number) => new Date(ms).toISOString();
  return (
    `${file} changed since the sweep started (${expected.size} → ${now.size} bytes, modified ${when(expected.mtimeMs)} → ${when(now.mtimeMs)}, ` +
    `sha256 ${expected.sha256.slice(0, 12)} → ${now.sha256.slice(0, 12)})`
  );
}
