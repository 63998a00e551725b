/**
 * The write-once memos a play leaves in the store, so nothing paid for is paid twice: the
 * generation (per prompt workflow, action and request) and the reward (per workflow run). The
 * record writer rebuilds a prompt's calls from them.
 */
import { failure } from '../common/failures';
import type { Action } from '../search/types';
import { textKey, type TextStore } from '../store';
import { storeFailure } from './texts';

/** What a play's generation memo holds: exactly what the play returned to the workflow, plus latency. */
export interface Generated {
  ref: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
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
    throw failure('StoreError', `${what}: memo ${name} is not in ${store.description}`);
  }
  return value;
}

/** A memo, or undefined when none was written (a failed play's generation may have one). */
export async function recallJson<T>(store: TextStore, name: string): Promise<T | undefined> {
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
export async function memoised<T>(store: TextStore, name: string | undefined, compute: () => Promise<T>): Promise<T> {
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

