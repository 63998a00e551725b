/**
 * The activities, built by a factory that receives their dependencies: production passes
 * process.env, tests pass a custom environment (and reward backends). No global state besides
 * caches (OpenAI clients per base URL + key, stores per root).
 */
import type OpenAI from 'openai';
import { createGenerate } from './generate';
import type { RewardRegistry } from './rewards';
import { createScore } from './score';
import type { GenerateInput, GenerateOutput, ScoreInput, ScoreOutput } from './types';

export interface ActivityDeps {
  /** Where API keys are read (agent.apiKeyEnv, reward apiKeyEnv). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Reward backends by type. Default: the registry in ./rewards. */
  rewardBackends?: RewardRegistry;
}

export interface Activities {
  generate(input: GenerateInput): Promise<GenerateOutput>;
  score(input: ScoreInput): Promise<ScoreOutput>;
}

export function createActivities(deps: ActivityDeps = {}): Activities {
  const env = deps.env ?? process.env;
  const clients = new Map<string, OpenAI>();
  return {
    generate: createGenerate({ env, clients }),
    score: createScore({ env, rewardBackends: deps.rewardBackends }),
  };
}

export type { GenerateInput, GenerateOutput, ScoreInput, ScoreOutput, StoreSpec, TemplateRefs } from './types';
export type { RewardArgs, RewardBackend, RewardRegistry } from './rewards';
export { defaultRewardBackends, rewardBackend } from './rewards';
