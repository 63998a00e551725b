/**
 * The `play` activity: one generation and its reward in a single activity, so a play costs one
 * activity (and one workflow task) in history instead of two.
 *
 * Nothing paid for is paid twice. The generation is memoised in the store, write-once, under
 * (workflow ID, action ID, request key): a retry after a failed reward, a crash after the model
 * answered, or a later run of the same prompt workflow (`toa sweep retry`) reuses it. The
 * request key hashes everything that shapes the request (context, agent, action, inputs), so
 * a memo is only ever reused for the identical request. When two attempts race (one timed out
 * but still running), the first memo written wins and both return it, so the response the
 * workflow sees is the one in the store.
 *
 * The reward is memoised per workflow *run*: retries within the run reuse it; a new run (after
 * the user fixed a reward endpoint, say) scores again.
 */
import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Action } from '../search/types';
import { deriveSeed } from '../search/prng';
import { configError } from './errors';
import type { createGenerate } from './generate';
import type { createScore } from './score';
import { getText, storeFailure, storeFor } from './texts';
import { textKey, type TextStore } from '../store';
import type { PlayContext, PlayInput, PlayOutput, PutPlayContextInput } from './types';

export interface Generated {
  ref: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
}

export interface PlayDeps {
  generate: ReturnType<typeof createGenerate>;
  score: ReturnType<typeof createScore>;
}

/** Local activity run by the workflow once per prompt: stores the play context, returns its key. */
export async function putPlayContext(input: PutPlayContextInput): Promise<string> {
  const store = storeFor(input.store);
  try {
    return await store.put(JSON.stringify(input.context));
  } catch (err) {
    throw storeFailure(err, 'storing the play context');
  }
}

export function createPlay(deps: PlayDeps): (input: PlayInput) => Promise<PlayOutput> {
  const contexts = new BoundedCache<PlayContext>(2000);
  return async function play(input: PlayInput): Promise<PlayOutput> {
    const store = storeFor(input.store);
    const ctx = await contexts.getOr(input.contextRef, async () =>
      JSON.parse(await getText(store, input.contextRef, 'the play context')) as PlayContext,
    );
    const agent = ctx.agents.find((a) => a.name === input.action.agent);
    if (!agent) throw configError(`play ${input.action.id}: agent "${input.action.agent}" is not in the play context`);

    const run = asyncLocalStorage.getStore()?.info.workflowExecution;
    const memo = run && playMemoNames(run.workflowId, input.contextRef, input.action, input.inputRefs);
    const genMemo = memo?.generation;
    const rewardMemo = run && memo?.rewardInRun(run.runId);

    const gen = await memoised<Generated>(store, genMemo, async () => {
      const g = await deps.generate({
        agent,
        store: input.store,
        promptRef: ctx.promptRef,
        action: input.action,
        inputRefs: input.inputRefs,
        templates: ctx.templates,
        seed: deriveSeed(ctx.seed, ctx.promptId, input.action.id),
        label: `${ctx.promptId} ${input.action.id}`,
      });
      return { ref: g.ref, promptTokens: g.promptTokens, completionTokens: g.completionTokens, latencyMs: g.latencyMs };
    });
    const scored = await memoised<{ reward: number }>(store, rewardMemo, async () => {
      const { reward } = await deps.score({
        reward: ctx.reward,
        store: input.store,
        promptRef: ctx.promptRef,
        responseRef: gen.ref,
        referenceRef: ctx.referenceRef,
        promptId: ctx.promptId,
        model: agent.model,
      });
      return { reward };
    });
    return { ref: gen.ref, promptTokens: gen.promptTokens, completionTokens: gen.completionTokens, reward: scored.reward };
  };
}

/**
 * Memo names of one play. The request key covers everything that shapes the request (the
 * context holds agents, templates, prompt and seed), so a memo is reused only for the same one.
 * Shared with the record writer, which rebuilds a prompt's calls from these memos.
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

/** A memo written by a play, or a non-retryable StoreError naming what is missing. */
export async function requireMemo<T>(store: TextStore, name: string, what: string): Promise<T> {
  const value = await recallJson<T>(store, name);
  if (value === undefined) {
    throw ApplicationFailure.create({ type: 'StoreError', nonRetryable: true, message: `${what}: memo ${name} is not in ${store.description}` });
  }
  return value;
}

async function recallJson<T>(store: TextStore, name: string): Promise<T | undefined> {
  let text: string | undefined;
  try {
    text = await store.recall(name);
  } catch (err) {
    throw storeFailure(err, `reading memo ${name}`);
  }
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined; // a torn memo cannot exist (write-once via link), but never trust one blindly
  }
}

/** The value memoised under `name`, else `compute()` claimed there (the first writer's value wins). No name: no memo. */
async function memoised<T>(store: TextStore, name: string | undefined, compute: () => Promise<T>): Promise<T> {
  if (!name) return compute();
  const known = await recallJson<T>(store, name);
  return known ?? claimJson(store, name, await compute());
}

async function claimJson<T>(store: TextStore, name: string, value: T): Promise<T> {
  try {
    return JSON.parse(await store.claim(name, JSON.stringify(value))) as T;
  } catch (err) {
    throw storeFailure(err, `writing memo ${name}`);
  }
}

/**
 * Insertion-ordered cache with a size bound (contexts are immutable: keyed by content).
 *
 * Keeps values, not promises, once loaded: a promise made inside an activity carries that
 * activity's async-local context (its Activity object, logger, abort signals...), so caching
 * the promise kept about 25 KB per prompt alive (found with heap snapshots, bench/scale.ts).
 */
class BoundedCache<T> {
  private readonly values = new Map<string, T>();
  private readonly loading = new Map<string, Promise<T>>();
  constructor(private readonly max: number) {}

  async getOr(key: string, load: () => Promise<T>): Promise<T> {
    if (this.values.has(key)) return this.values.get(key)!;
    let p = this.loading.get(key);
    if (!p) {
      p = load();
      this.loading.set(key, p);
      p.then(
        (value) => {
          this.loading.delete(key);
          this.values.set(key, value);
          if (this.values.size > this.max) this.values.delete(this.values.keys().next().value!);
        },
        () => this.loading.delete(key),
      );
    }
    return p;
  }
}
