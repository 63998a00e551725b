/**
 * Reward backends, keyed by `RewardSpec['type']`.
 *
 *   import { rewardBackends, makeRewardBackends } from '../../rewards';
 *   // complete registry including the http backend (owned by src/activities/rewards/http.ts):
 *   const registry = makeRewardBackends({ http: httpReward });
 *   const value = await registry[spec.type]({ spec, prompt, response, reference, promptId, env: process.env, signal });
 *
 * `rewardBackends` has no `http` entry; its `weighted` backend resolves components in
 * `rewardBackends` itself, so a weighted spec with an `http` component needs `makeRewardBackends`.
 */
import { chrfReward } from './chrf';
import { llmJudgeReward } from './llmJudge';
import { mathAnswerReward } from './mathAnswer';
import type { RewardRegistry } from './types';
import { vllmReward } from './vllmReward';
import { makeWeighted } from './weighted';

/** A registry with the built-in backends plus `extra` (e.g. `{ http }`); `weighted` resolves components in it. */
export function makeRewardBackends(extra: RewardRegistry = {}): RewardRegistry {
  const registry: RewardRegistry = {
    'math-answer': mathAnswerReward,
    chrf: chrfReward,
    'llm-judge': llmJudgeReward,
    'vllm-reward': vllmReward,
    ...extra,
  };
  registry.weighted = makeWeighted(registry);
  return registry;
}

export const rewardBackends: RewardRegistry = makeRewardBackends();

export type { RewardArgs, RewardFn, RewardRegistry } from './types';
export { makeWeighted } from './weighted';
export { extractAnswer, normalizeAnswer, answersMatch, mathAnswerScore, referenceAnswer } from './mathAnswer';
export { sentenceChrf, corpusChrf, chrfSegmentStatistics, chrfFromStatistics } from './chrf';
export { parseJudgeScore, normaliseJudgeScore, buildJudgeMessages, DEFAULT_RUBRIC } from './llmJudge';
export { extractVllmReward } from './vllmReward';
export { RewardErrorType, parseRetryAfter } from './httpErrors';
