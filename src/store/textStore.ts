/**
 * Content-addressed text store: response texts, prompts and template overrides live here, and
 * activities exchange only their keys (sha256 hex of the UTF-8 text), so workflow history
 * stays small.
 *
 * The `fs` implementation lays texts out as `<root>/texts/ab/<sha256>.txt` (`ab` = the first
 * two hex digits). Writes are atomic (temp file in `<root>/.tmp`, fsync, rename) and
 * idempotent (putting a text that is already stored is a no-op), so concurrent workers and
 * retried activities can put the same text safely. Reads verify the hash, so a damaged file
 * is reported instead of silently served.
 *
 * No Temporal imports here: activities translate a StoreError into a workflow failure.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { StoreSpec } from '../common/store';
import { removeOrphanTemps, tempFolderOf, writeViaTemp } from './tempFiles';

export interface TextStore {
  /** Stores `text` and returns its key (sha256 hex of its UTF-8 bytes). Idempotent. */
  put(text: string): Promise<string>;
  /** The text stored under `key`; throws StoreError (code 'missing' | 'corrupt' | 'bad-key' | 'io'). */
  get(key: string): Promise<string>;
  /** True when `key` is stored. */
  has(key: string): Promise<boolean>;
  /**
   * Write-once named entry (a memo of a call already paid for): stores `text` under `name`
   * unless an entry exists, and returns the entry now stored, so concurrent writers all see
   * the first writer's value.
   */
  claim(name: string, text: string): Promise<string>;
  /** The entry stored under `name` by claim(), or undefined. */
  recall(name: string): Promise<string | undefined>;
  /** Human description for messages, e.g. `fs store /path/.toa/store`. */
  readonly description: string;
}

export type StoreErrorCode = 'missing' | 'corrupt' | 'bad-key' | 'io';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

const KEY_RE = /^[0-9a-f]{64}$/;

/** The store key of a text: sha256 hex of its UTF-8 bytes. */
export function textKey(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function isTextKey(key: unknown): key is string {
  return typeof key === 'string' && KEY_RE.test(key);
}

export class FsTextStore implements TextStore {
  readonly description: string;
  /**
   * Texts are immutable (named by their hash), so a process may keep what it wrote or read:
   * a play reads the prompt, its inputs and (to score it) its own response; without the cache
   * every one is an open/read/close plus a hash check.
   */
  private readonly recent = new RecentTexts(16 * 1024 * 1024);
  /** Folders known to exist (mkdir once per process, not once per write). */
  private readonly folders = new Set<string>();

  constructor(readonly root: string) {
    if (!path.isAbsolute(root)) throw new StoreError('bad-key', `store root must be an absolute path, got "${root}"`);
    this.description = `fs store ${root}`;
  }

  private async ensureFolder(dir: string): Promise<void> {
    if (this.folders.has(dir)) return;
    await fsp.mkdir(dir, { recursive: true });
    this.folders.add(dir);
  }

  /** The temp folder, created (and cleared of a killed writer's leftovers) once per process. */
  private async tempFolder(): Promise<string> {
    const dir = tempFolderOf(this.root);
    if (!this.folders.has(dir)) {
      await this.ensureFolder(dir);
      await removeOrphanTemps(dir);
    }
    return dir;
  }

  /** Where the text with this key lives (whether or not it exists). */
  pathOf(key: string): string {
    if (!isTextKey(key)) {
      throw new StoreError(
        'bad-key',
        `invalid store key ${JSON.stringify(String(key)).slice(0, 80)}: expected 64 lowercase hex digits (sha256)`,
      );
    }
    return path.join(this.root, 'texts', key.slice(0, 2), `${key}.txt`);
  }

  async has(key: string): Promise<boolean> {
    if (this.recent.has(key)) return true;
    try {
      await fsp.access(this.pathOf(key));
      return true;
    } catch (err) {
      if (err instanceof StoreError) throw err;
      return false;
    }
  }

  async put(text: string): Promise<string> {
    if (typeof text !== 'string') throw new StoreError('bad-key', `store put: expected a string, got ${typeof text}`);
    const key = textKey(text);
    if (this.recent.has(key)) return key;
    const file = this.pathOf(key);
    if (await exists(file)) {
      this.recent.add(key, text);
      return key;
    }
    try {
      // rename over an existing file with the same content is harmless (another writer won).
      await this.writeDurably(file, text, (tmp) => fsp.rename(tmp, file));
    } catch (err) {
      throw new StoreError('io', `cannot write ${file}: ${errMessage(err)}`, file, { cause: err });
    }
    this.recent.add(key, text);
    return key;
  }

  /** Writes `text` durably through the temp folder, then lets `publish` put it in place as `file`. */
  private async writeDurably(file: string, text: string, publish: (tmp: string) => Promise<void>): Promise<void> {
    const tempFolder = await this.tempFolder();
    await this.ensureFolder(path.dirname(file));
    await writeViaTemp(tempFolder, path.basename(file), text, publish);
  }

  async get(key: string): Promise<string> {
    const cached = this.recent.get(key);
    if (cached !== undefined) return cached;
    const file = this.pathOf(key);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StoreError('missing', `text ${key} is not in the store: ${file} does not exist (wrong store root?)`, file, {
          cause: err,
        });
      }
      throw new StoreError('io', `cannot read ${file}: ${errMessage(err)}`, file, { cause: err });
    }
    const actual = textKey(text);
    if (actual !== key) {
      throw new StoreError('corrupt', `store file ${file} is damaged: its content hashes to ${actual}, not ${key}`, file);
    }
    this.recent.add(key, text);
    return text;
  }

  /** Named entries live beside the texts, under the sha256 of their name. */
  memoPathOf(name: string): string {
    if (typeof name !== 'string' || name.length === 0) throw new StoreError('bad-key', 'memo name must be a non-empty string');
    const key = textKey(name);
    return path.join(this.root, 'memos', key.slice(0, 2), `${key}.json`);
  }

  async claim(name: string, text: string): Promise<string> {
    const file = this.memoPathOf(name);
    try {
      // link() never replaces an existing file: exactly one writer wins, atomically.
      await this.writeDurably(file, text, (tmp) => fsp.link(tmp, file));
      return text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        const winner = await this.recall(name);
        if (winner !== undefined) return winner;
      }
      throw new StoreError('io', `cannot write memo ${file}: ${errMessage(err)}`, file, { cause: err });
    }
  }

  async recall(name: string): Promise<string | undefined> {
    const file = this.memoPathOf(name);
    try {
      return await fsp.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreError('io', `cannot read memo ${file}: ${errMessage(err)}`, file, { cause: err });
    }
  }
}

/** Recently used texts, least recently used dropped first, bounded by total characters. */
class RecentTexts {
  private readonly texts = new Map<string, string>();
  private size = 0;
  constructor(private readonly maxChars: number) {}

  has(key: string): boolean {
    return this.texts.has(key);
  }

  get(key: string): string | undefined {
    const text = this.texts.get(key);
    if (text !== undefined) {
      this.texts.delete(key); // re-insert: most recently used last
      this.texts.set(key, text);
    }
    return text;
  }

  add(key: string, text: string): void {
    if (text.length > this.maxChars / 16 || this.texts.has(key)) return;
    this.texts.set(key, text);
    this.size += text.length;
    for (const [k, t] of this.texts) {
      if (this.size <= this.maxChars) break;
      this.texts.delete(k);
      this.size -= t.length;
    }
  }
}

const stores = new Map<string, TextStore>();

/** The store for a spec; one instance per root per process. */
export function openStore(spec: StoreSpec): TextStore {
  if (!spec || spec.kind !== 'fs') {
    throw new StoreError(
      'bad-key',
      `unsupported store kind ${JSON.stringify((spec as { kind?: unknown } | undefined)?.kind)}: only "fs" is available`,
    );
  }
  const root = path.resolve(spec.root);
  let store = stores.get(root);
  if (!store) {
    store = new FsTextStore(root);
    stores.set(root, store);
  }
  return store;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
