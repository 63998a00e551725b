/**
 * What the plays of one prompt workflow leave in the store, so nothing paid for is paid twice,
 * and how it is found again: the generation (per prompt workflow, action and request: its text
 * and facts, one synced file in the prompt's scope, src/store/promptScope.ts) and the reward (per
 * workflow run, a small unsynced memo). The record writer rebuilds a prompt's calls from the
 * generations, then packs the scope into the record (`finishPrompt`).
 *
 * A play's generation is looked up, in order, in
 *  1. the prompt's scope (plays of this run or of an earlier run that failed: `toa sweep retry`);
 *  2. the prompt's pack: the record of a finished prompt linked into the store (a finished
 *     workflow reset to an earlier point runs plays again: the ones it had bought are there);
 *  3. the global memos of releases before prompt scopes (a prompt that failed under one).
 * A text by ref is found the same way, then in the global texts (prompts, earlier releases).
 */
import { failure } from '../common/failures';
import type { PromptRecord } from '../common/records';
import type { Action } from '../search/types';
import { textKey, type PromptScope, type TextStore } from '../store';
import type { RecordFile } from '../store/records';
import { storeFailure } from './texts';

/** What a play returned to the workflow about its generation, plus latency. */
export interface Generated {
  ref: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
}

/** A generation found again, with its text. */
export interface RecalledGeneration extends Generated {
  text: string;
}

type GenerationFacts = Omit<Generated, 'ref'>;

/** What a play's memo names cover: the request (its context, action and inputs). */
export interface PlayRequest {
  contextRef: string;
  action: Action;
  inputRefs: string[];
}

/**
 * Memo names of one play. The request key covers everything that shapes the request (the
 * context holds agents, templates, prompt and seed), so a memo is reused only for the same one.
 */
export function playMemoNames(
  workflowId: string,
  contextRef: string,
  action: Action,
  inputRefs: string[],
): { generation: string; rewardInRun(runId: string): string } {
  const requestKey = textKey(JSON.stringify([contextRef, action.id, action.agent, action.kind, action.inputs, inputRefs]));
  return {
    generation: `generation/${workflowId}/${action.id}/${requestKey}`,
    rewardInRun: (runId) => `reward/${workflowId}/${runId}/${action.id}/${requestKey}`,
  };
}

/** The plays of one prompt workflow as the store holds them. Failures are classified (StoreError, StoreIO). */
export class PromptPlays {
  readonly scope: PromptScope;
  private pack: Promise<PromptRecord | undefined> | undefined;

  constructor(
    private readonly store: TextStore,
    readonly workflowId: string,
    /** The caller already knows the prompt has no pack (src/activities/play.ts caches that per run). */
    private readonly packKnownAbsent = false,
  ) {
    try {
      this.scope = store.scope(workflowId);
    } catch (err) {
      throw storeFailure(err, `the store of ${workflowId}`);
    }
  }

  /** The generation of this request bought earlier, or undefined (see the file comment for where it is looked up). */
  async recallGeneration(name: string, request: PlayRequest): Promise<RecalledGeneration | undefined> {
    const entry = await this.guard(`reading memo ${name}`, () => this.scope.recallEntry<GenerationFacts>(name));
    if (entry) return { ref: entry.ref, text: entry.text, ...factsOf(entry.facts) };
    const packed = await this.fromPack(request);
    if (packed) return packed;
    const legacy = await this.guard(`reading memo ${name}`, () => this.store.recall(name));
    if (legacy === undefined) return undefined;
    let g: Generated;
    try {
      g = JSON.parse(legacy) as Generated;
    } catch {
      return undefined; // a torn memo cannot exist (write-once via link), but never trust one blindly
    }
    return { ...g, text: await this.text(g.ref, `the response of ${request.action.id}`) };
  }

  /** Stores a generation write-once; returns the one now stored (the first writer's, when attempts race). */
  async storeGeneration(name: string, g: RecalledGeneration): Promise<RecalledGeneration> {
    const facts: GenerationFacts = { promptTokens: g.promptTokens, completionTokens: g.completionTokens, latencyMs: g.latencyMs };
    const entry = await this.guard(`writing memo ${name}`, () => this.scope.claimEntry(name, g.text, facts));
    return { ref: entry.ref, text: entry.text, ...factsOf(entry.facts) };
  }

  /** A text of this prompt (a response, the prompt, a template) by its ref. */
  async text(ref: string, purpose: string): Promise<string> {
    const scoped = await this.guard(`loading ${purpose}`, () => this.scope.getText(ref));
    if (scoped !== undefined) return scoped;
    const packed = (await this.packed())?.result.responses.find((r) => r.ref === ref && typeof r.text === 'string');
    if (packed && textKey(packed.text!) === ref) return packed.text!;
    return this.guard(`loading ${purpose}`, () => this.store.get(ref));
  }

  /** Whether the prompt has a pack (a finished record linked into the store). */
  async hasPack(): Promise<boolean> {
    return (await this.packed()) !== undefined;
  }

  /**
   * The value memoised under `name` in this prompt's scope (not synced), else `compute()` stored
   * there. `fresh`: the caller knows no memo can exist yet (the first attempt of an activity whose
   * memo is per run), so the lookup, a failed open, is skipped.
   */
  async memoised<T>(name: string, compute: () => Promise<T>, opts: { fresh?: boolean } = {}): Promise<T> {
    const known = opts.fresh ? undefined : await this.guard(`reading memo ${name}`, () => this.scope.recallValue(name));
    if (known !== undefined) {
      try {
        return JSON.parse(known) as T;
      } catch {
        // torn by a crash mid-write: compute again (the claim below returns the file as it is)
      }
    }
    const value = await compute();
    const stored = await this.guard(`writing memo ${name}`, () => this.scope.claimValue(name, JSON.stringify(value)));
    try {
      return JSON.parse(stored) as T;
    } catch {
      return value;
    }
  }

  /** A finished request's generation from the prompt's pack: same context, action, agent, kind and input texts. */
  private async fromPack(request: PlayRequest): Promise<RecalledGeneration | undefined> {
    const record = await this.packed();
    if (!record || record.contextRef !== request.contextRef) return undefined;
    const byId = new Map(record.result.responses.map((r) => [r.id, r]));
    const r = byId.get(request.action.id);
    const { action, inputRefs } = request;
    if (!r || typeof r.text !== 'string' || r.agent !== action.agent || r.kind !== action.kind) return undefined;
    if (r.inputs.length !== action.inputs.length || r.inputs.some((id, i) => id !== action.inputs[i] || byId.get(id)?.ref !== inputRefs[i])) return undefined;
    if (textKey(r.text) !== r.ref) return undefined;
    return { ref: r.ref, text: r.text, promptTokens: r.promptTokens, completionTokens: r.completionTokens, latencyMs: r.latencyMs };
  }

  /** The pack, read once per instance; a pack that is not this workflow's record is no pack. */
  private packed(): Promise<PromptRecord | undefined> {
    if (this.packKnownAbsent) return Promise.resolve(undefined);
    this.pack ??= this.guard(`reading the pack of ${this.workflowId}`, () => this.scope.readPack()).then((text) => {
      if (text === undefined) return undefined;
      try {
        const file = JSON.parse(text) as RecordFile<PromptRecord>;
        return file.workflowId === this.workflowId && Array.isArray(file.record?.result?.responses) ? file.record : undefined;
      } catch {
        return undefined;
      }
    });
    return this.pack;
  }

  private async guard<T>(purpose: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storeFailure(err, purpose);
    }
  }
}

function factsOf(f: GenerationFacts): GenerationFacts {
  return { promptTokens: f.promptTokens, completionTokens: f.completionTokens, latencyMs: f.latencyMs };
}

/** A memo a play should have left, or a non-retryable StoreError naming what is missing. */
export async function requireGeneration(plays: PromptPlays, name: string, request: PlayRequest, what: string): Promise<RecalledGeneration> {
  const g = await plays.recallGeneration(name, request);
  if (!g) throw failure('StoreError', `${what}: memo ${name} is not in the scope ${plays.scope.dir}, its pack, or the store's memos`);
  return g;
}

/**
 * Once a prompt's record is written: the record becomes the prompt's pack in the store (linked,
 * not copied) and the scope's folder (texts, generation and reward memos) is removed. Idempotent:
 * a crash midway leaves the folder, which the retried record writer (or the next sweep start,
 * for a record it reuses) removes.
 */
export async function finishPrompt(store: TextStore, workflowId: string, recordFile: string): Promise<void> {
  const scope = store.scope(workflowId);
  try {
    await scope.pack(recordFile);
    await scope.remove();
  } catch (err) {
    throw storeFailure(err, `cleaning up the plays of ${workflowId}`);
  }
}
