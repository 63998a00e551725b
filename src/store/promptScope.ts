/**
 * The part of the store that belongs to one prompt workflow: what its plays write (response
 * texts with their generation facts, reward memos) while it runs, in one folder
 *
 *   <root>/workflows/<ab>/<sha256 of the workflow ID>/
 *     text-<ref>.json   a response text (and the facts of the play that first wrote it), by its ref
 *     gen-<hash>.json   the same file, linked under the play's generation memo name (write-once)
 *     memo-<hash>.json  a small memo (the reward of a play in one run), not synced
 *
 * so that once the prompt's record is written (it holds every response text) the folder is
 * removed and a finished prompt leaves O(1) files, not three per play. Before removing it, the
 * record writer links the record file beside it as the prompt's pack (`<sha256>.json`, the same
 * file as the record: no copy, no extra inode when both are on one file system), so a later run
 * of a finished prompt (a workflow reset) still finds what its earlier plays bought.
 *
 * One play's generation is ONE file, written and synced once, then hard-linked under two names:
 * by its ref (what later plays of the prompt read as their inputs) and by its memo name (what a
 * retry of the play looks up). `<hash>` is the sha256 of the memo name. Refs are still the sha256
 * of the text and reads check it, so a damaged file is reported, never served.
 *
 * The workflow-level rules (what a memo name covers, how a pack is searched) live with the plays
 * (src/activities/playMemos.ts); this module only lays out and reads the files.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { RecentTexts } from './recentTexts';
import { tempPathIn, writeViaTemp } from './tempFiles';
import { isTextKey, StoreError, textKey } from './textKeys';

/** A stored text with the facts of its write. */
export interface ScopedEntry<F = Record<string, unknown>> {
  ref: string;
  text: string;
  facts: F;
}

/** The name of the folder of prompt scopes under the store root. */
export const SCOPES_FOLDER = 'workflows';

export interface ScopeDeps {
  /** The store's temp folder (same file system, cleared of orphans). */
  tempFolder(): Promise<string>;
  /** Texts read or written recently in this process, by ref (shared by scopes: refs are content hashes). */
  recent: RecentTexts;
}

export class PromptScope {
  /** The folder of the prompt's plays. */
  readonly dir: string;
  /** The finished prompt's record, linked here by the record writer. */
  readonly packPath: string;

  constructor(
    readonly root: string,
    readonly workflowId: string,
    private readonly deps: ScopeDeps,
  ) {
    if (typeof workflowId !== 'string' || workflowId.length === 0) {
      throw new StoreError('bad-key', 'prompt scope: the workflow ID must be a non-empty string');
    }
    const key = textKey(workflowId);
    const folder = path.join(root, SCOPES_FOLDER, key.slice(0, 2));
    this.dir = path.join(folder, key);
    this.packPath = path.join(folder, `${key}.json`);
  }

  private fileOf(prefix: 'text' | 'gen' | 'memo', nameOrRef: string): string {
    const id = prefix === 'text' ? nameOrRef : textKey(nameOrRef);
    return path.join(this.dir, `${prefix}-${id}.json`);
  }

  /** The entry stored under `name` by claimEntry, or undefined. */
  async recallEntry<F>(name: string): Promise<ScopedEntry<F> | undefined> {
    checkName(name);
    const file = this.fileOf('gen', name);
    const body = await readIfExists(file);
    return body === undefined ? undefined : this.parseEntry<F>(file, body);
  }

  /**
   * Stores `text` with `facts` write-once under `name`, and the text under its ref; returns the
   * entry now stored under `name` (the first writer's, when attempts race). Durable: the file is
   * synced before it is linked.
   */
  async claimEntry<F>(name: string, text: string, facts: F): Promise<ScopedEntry<F>> {
    checkName(name);
    const ref = textKey(text);
    const entry: ScopedEntry<F> = { ref, text, facts };
    const byName = this.fileOf('gen', name);
    let claimed = true;
    try {
      await writeViaTemp(await this.deps.tempFolder(), path.basename(byName), JSON.stringify(entry), async (tmp) => {
        // The ref's file first: whoever finds the memo also finds the text.
        await this.link(tmp, this.fileOf('text', ref), { existingIsFine: true });
        claimed = await this.link(tmp, byName, { existingIsFine: false });
      });
    } catch (err) {
      throw new StoreError('io', `cannot write ${byName}: ${errMessage(err)}`, byName, { cause: err });
    }
    if (claimed) {
      this.deps.recent.add(ref, text);
      return entry;
    }
    const winner = await this.recallEntry<F>(name);
    if (!winner) throw new StoreError('io', `${byName} vanished right after another writer created it`, byName);
    return winner;
  }

  /** A response text of this prompt by its ref, or undefined when this scope does not hold it. */
  async getText(ref: string): Promise<string | undefined> {
    if (!isTextKey(ref)) {
      throw new StoreError('bad-key', `invalid store key ${JSON.stringify(String(ref)).slice(0, 80)}: expected 64 lowercase hex digits (sha256)`);
    }
    const cached = this.deps.recent.get(ref);
    if (cached !== undefined) return cached;
    const file = this.fileOf('text', ref);
    const body = await readIfExists(file);
    if (body === undefined) return undefined;
    const entry = this.parseEntry(file, body);
    if (entry.ref !== ref) throw new StoreError('corrupt', `store file ${file} is damaged: it holds the text of ${entry.ref}, not ${ref}`, file);
    this.deps.recent.add(ref, entry.text);
    return entry.text;
  }

  /** The memo stored under `name` by claimValue, or undefined. */
  async recallValue(name: string): Promise<string | undefined> {
    checkName(name);
    return readIfExists(this.fileOf('memo', name));
  }

  /**
   * Stores a small memo write-once (the first writer's value is returned to all). Not synced:
   * it survives a killed process (the page cache keeps it) but maybe not a power loss. For what
   * is cheap to recompute and only saves a call within one run (a reward).
   */
  async claimValue(name: string, value: string): Promise<string> {
    checkName(name);
    const file = this.fileOf('memo', name);
    let claimed = true;
    try {
      const tmp = tempPathIn(await this.deps.tempFolder(), path.basename(file));
      await fsp.writeFile(tmp, value, { flag: 'wx' });
      try {
        claimed = await this.link(tmp, file, { existingIsFine: false });
      } finally {
        await fsp.rm(tmp, { force: true });
      }
    } catch (err) {
      throw new StoreError('io', `cannot write memo ${file}: ${errMessage(err)}`, file, { cause: err });
    }
    if (claimed) return value;
    const winner = await this.recallValue(name);
    if (winner === undefined) throw new StoreError('io', `memo ${file} vanished right after another writer created it`, file);
    return winner;
  }

  /** The pack's content (the finished prompt's record file), or undefined when it has none. */
  readPack(): Promise<string | undefined> {
    return readIfExists(this.packPath);
  }

  /**
   * Makes `file` (the prompt's record) the scope's pack: a hard link (the same file under a second
   * name), or a copy where links cannot cross file systems. Replaces an earlier pack atomically.
   */
  async pack(file: string): Promise<void> {
    const tmp = tempPathIn(await this.deps.tempFolder(), path.basename(this.packPath));
    try {
      try {
        await fsp.link(file, tmp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV' && (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
        await fsp.copyFile(file, tmp);
      }
      await fsp.mkdir(path.dirname(this.packPath), { recursive: true });
      await fsp.rename(tmp, this.packPath);
    } catch (err) {
      throw new StoreError('io', `cannot link ${file} as ${this.packPath}: ${errMessage(err)}`, this.packPath, { cause: err });
    } finally {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  /** True when the plays' folder exists (the prompt is running, failed, or was not cleaned up yet). */
  async exists(): Promise<boolean> {
    try {
      await fsp.access(this.dir);
      return true;
    } catch {
      return false;
    }
  }

  /** Removes the plays' folder (not the pack). Idempotent. */
  async remove(): Promise<void> {
    try {
      await fsp.rm(this.dir, { recursive: true, force: true });
    } catch (err) {
      throw new StoreError('io', `cannot remove ${this.dir}: ${errMessage(err)}`, this.dir, { cause: err });
    }
  }

  /** Links `tmp` as `target` (creating the folder on first use); false when `target` existed and that is not fine. */
  private async link(tmp: string, target: string, opts: { existingIsFine: boolean }): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await fsp.link(tmp, target);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          if (opts.existingIsFine) return true;
          return false;
        }
        // The folder is made on the first write, not per play (no mkdir per write).
        if (code === 'ENOENT' && attempt === 0) {
          await fsp.mkdir(path.dirname(target), { recursive: true });
          continue;
        }
        throw err;
      }
    }
  }

  private parseEntry<F = Record<string, unknown>>(file: string, body: string): ScopedEntry<F> {
    let entry: ScopedEntry<F>;
    try {
      entry = JSON.parse(body) as ScopedEntry<F>;
    } catch (err) {
      throw new StoreError('corrupt', `store file ${file} is damaged: not JSON (${errMessage(err)})`, file);
    }
    if (!entry || typeof entry.text !== 'string' || typeof entry.ref !== 'string' || textKey(entry.text) !== entry.ref) {
      throw new StoreError('corrupt', `store file ${file} is damaged: its text does not hash to its ref`, file);
    }
    return entry;
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new StoreError('bad-key', 'memo name must be a non-empty string');
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreError('io', `cannot read ${file}: ${errMessage(err)}`, file, { cause: err });
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
