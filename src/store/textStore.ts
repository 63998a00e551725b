/**
 * Content-addressed text store: prompts, references, template overrides, play contexts and the
 * best response of each finished prompt live here, and activities exchange only their keys
 * (sha256 hex of the UTF-8 text), so workflow history stays small. What the plays of one
 * prompt write (its responses and memos) lives in that prompt's scope (./promptScope.ts),
 * removed once its record is written.
 *
 * The `fs` implementation lays texts out as `<root>/texts/ab/<sha256>.txt` (`ab` = the first
 * two hex digits) and prompt scopes under `<root>/workflows/`. Writes are atomic (temp file in
 * `<root>/.tmp`, fsync, rename) and idempotent (putting a text that is already stored is a
 * no-op), so concurrent workers and retried activities can put the same text safely. Reads
 * verify the hash, so a damaged file is reported instead of silently served.
 *
 * `claim` / `recall` are the global memos of releases before prompt scopes
 * (`<root>/memos/ab/<sha256 of the name>.json`): still read, so a prompt that failed under an
 * earlier release is retried without re-paying its generations.
 *
 * No Temporal imports here: activities translate a StoreError into a workflow failure.
 */
import { pathExists } from './pathExists';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { StoreSpec } from '../common/store';
import { PromptScope } from './promptScope';
import { RecentTexts } from './recentTexts';
import { removeOrphanTemps, tempFolderOf, writeViaTemp } from './tempFiles';
import { isTextKey, StoreError, textKey } from './textKeys';

export { isTextKey, StoreError, textKey, type StoreErrorCode } from './textKeys';

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
  /** The part of the store that belongs to one prompt workflow (its plays' responses and memos). */
  scope(workflowId: string): PromptScope;
  /** Human description for messages, e.g. `fs store /path/.toa/store`. */
  readonly description: string;
}

export class FsTextStore implements TextStore {
  readonly description: string;
  /**
   * Texts are immutable (named by their hash), so a process may keep what it wrote or read:
   * a play reads the prompt, its inputs and (to score it) its own response; without the cache
   * every one is an open/read/close plus a hash check.
   */
  private readonly recent = new RecentTexts(16 * 1024 * 1024);
  /**
   * The same for responses in prompt scopes, kept apart: a text cached from a scope is not in the
   * global texts, so it must never make put() skip writing it there.
   */
  private readonly scopedRecent = new RecentTexts(16 * 1024 * 1024);
  /** Folders known to exist (mkdir once per process, not once per write). */
  private readonly folders = new Set<string>();
  /**
   * Whether `<root>/memos` (global memos of earlier releases) exists, and when that was checked:
   * a store made since prompt scopes has none, and a worker of an earlier release still running
   * beside this one (a rolling upgrade) could only create it later, so "none" is re-checked once a minute.
   */
  private legacyMemos: { exists: boolean; at: number } | undefined;

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
    if (await pathExists(file)) {
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
    this.legacyMemos = { exists: true, at: Date.now() };
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

  scope(workflowId: string): PromptScope {
    return new PromptScope(this.root, workflowId, { tempFolder: () => this.tempFolder(), recent: this.scopedRecent });
  }

  async recall(name: string): Promise<string | undefined> {
    const file = this.memoPathOf(name);
    // Every play whose generation is not in its scope asks here: a stat a minute, not an open per play.
    // (A value, not a cached promise: a promise made inside an activity would keep its context alive.)
    if (!this.legacyMemos || Date.now() - this.legacyMemos.at > 60_000) {
      const exists = await fsp.access(path.join(this.root, 'memos')).then(
        () => true,
        () => false,
      );
      this.legacyMemos = { exists, at: Date.now() };
    }
    if (!this.legacyMemos.exists) return undefined;
    try {
      return await fsp.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreError('io', `cannot read memo ${file}: ${errMessage(err)}`, file, { cause: err });
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

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
