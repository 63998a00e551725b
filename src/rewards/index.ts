/**
 * THE list of reward backends. Adding one: a module (schema + factory, see ./define.ts), an
 * entry below, and a row in docs/sweep-file.md's rewards table (a test checks it). The sweep
 * file's `reward` union, the JSON Schema and the workers' scoring all come from here.
 */
import { z } from 'zod';
import { OpenAIClients } from '../http/openaiChat';
import { configError } from '../http/failures';
import { chrfReward } from './chrf';
import type { RewardArgs, RewardBackendDefinition, RewardDeps, RewardEndpoint } from './define';
import { httpReward } from './http';
import { llmJudgeReward } from './llmJudge';
import { mathAnswerReward } from './mathAnswer';
import { vllmReward } from './vllmReward';
import { weightedReward, type WeightedRewardSpec } from './weighted';

const LEAF_REWARDS = [httpReward, vllmReward, llmJudgeReward, mathAnswerReward, chrfReward] as const;
export const REWARD_BACKENDS = [...LEAF_REWARDS, weightedReward] as const;

/** A sweep file's `reward` (defaults applied). */
export type RewardSpec = z.output<ReturnType<(typeof LEAF_REWARDS)[number]['schema']>> | WeightedRewardSpec;
export type RewardType = RewardSpec['type'];
export type RewardSpecOf<T extends RewardType> = Extract<RewardSpec, { type: T }>;

export const rewardSchema: z.ZodType<RewardSpec, unknown> = z.lazy(() =>
  z.discriminatedUnion(
    'type',
    REWARD_BACKENDS.map((b) => b.schema(rewardSchema as z.ZodType<{ type: string }, unknown>)) as unknown as [z.ZodObject, ...z.ZodObject[]],
  ),
) as unknown as z.ZodType<RewardSpec, unknown>;

export function rewardDefinition(type: string): RewardBackendDefinition {
  const def = REWARD_BACKENDS.find((b) => b.type === type);
  if (!def) {
    throw configError(`reward backend ${JSON.stringify(type)} is not available (available: ${REWARD_BACKENDS.map((b) => b.type).join(', ')})`);
  }
  return def as unknown as RewardBackendDefinition;
}

function withComponents(spec: { type: string }): Array<{ type: string }> {
  const def = rewardDefinition(spec.type);
  return [spec, ...(def.components?.(spec) ?? []).flatMap(withComponents)];
}

/** True when the spec (or a component) scores against the dataset's reference field. */
export function rewardNeedsReference(spec: RewardSpec): boolean {
  return withComponents(spec).some((s) => rewardDefinition(s.type).needsReference?.(s) === true);
}

/** Every HTTP endpoint the spec (and its components) calls, with the key variable it sends. */
export function rewardEndpoints(spec: RewardSpec): RewardEndpoint[] {
  return withComponents(spec).flatMap((s) => rewardDefinition(s.type).endpoints?.(s) ?? []);
}

/**
 * The scoring function of a worker: dispatches each spec to its backend (built once per type
 * with the worker's dependencies) and checks that what comes back is a finite number.
 */
export function createRewardScorer(deps: { env: NodeJS.ProcessEnv; clients?: OpenAIClients }): (spec: RewardSpec, args: RewardArgs) => Promise<number> {
  const built = new Map<string, (spec: RewardSpec, args: RewardArgs) => Promise<number>>();
  const full: RewardDeps = { env: deps.env, clients: deps.clients ?? new OpenAIClients(), score: (spec, args) => score(spec as RewardSpec, args) };
  async function score(spec: RewardSpec, args: RewardArgs): Promise<number> {
    const type = (spec as { type?: unknown } | undefined)?.type;
    let fn = built.get(String(type));
    if (!fn) {
      fn = rewardDefinition(String(type)).create(full) as (spec: RewardSpec, args: RewardArgs) => Promise<number>;
      built.set(String(type), fn);
    }
    return fn(spec, args);
  }
  return score;
}

export type { RewardArgs, RewardBackendDefinition, RewardDeps, RewardEndpoint } from './define';
export { defineReward } from './define';
export { extractAnswer, normalizeAnswer, answersMatch, mathAnswerScore, referenceAnswer } from './mathAnswer';
export { sentenceChrf, corpusChrf, chrfSegmentStatistics, chrfFromStatistics } from './chrf';
export { parseJudgeScore, normaliseJudgeScore, buildJudgeMessages, DEFAULT_RUBRIC } from './llmJudge';
export { extractVllmReward } from './vllmReward';
