/**
 * The activities, built by a factory that receives their dependencies: production passes
 * process.env, tests pass a custom environment (and reward backends). No global state besides
 * caches (OpenAI clients per base URL + key, stores per root).
 */
import type OpenAI from 'openai';
import { createGenerate } from './generate';
import type { RewardRegistry } from './rewards';
import { createPlay, putPlayContext } from './play';
import { createScore } from './score';
import type { GenerateInput, GenerateOutput, PlayInput, PlayOutput, PutPlayContextInput, ScoreInput, ScoreOutput } from './types';

export interface ActivityDeps {
  /** Where API keys are read (agent.apiKeyEnv, reward apiKeyEnv). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Reward backends by type. Default: the registry in ./rewards. */
  rewardBackends?: RewardRegistry;
}

export interface Activities {
  generate(input: GenerateInput): Promise<GenerateOutput>;
  score(input: ScoreInput): Promise<ScoreOutput>;
  play(input: PlayInput): Promise<PlayOutput>;
  putPlayContext(input: PutPlayContextInput): Promise<string>;
}

export function createActivities(deps: ActivityDeps = {}): Activities {
  const env = deps.env ?? process.env;
  const clients = new Map<string, OpenAI>();
  const generate = createGenerate({ env, clients, gates: new Map() });
  const score = createScore({ env, rewardBackends: deps.rewardBackends });
  return { generate, score, play: createPlay({ generate, score }), putPlayContext };
}

export type {
  GenerateInput,
  GenerateOutput,
  PlayContext,
  PlayInput,
  PlayOutput,
  PutPlayContextInput,
  ScoreInput,
  ScoreOutput,
  StoreSpec,
  TemplateRefs,
} from './types';
export type { RewardArgs, RewardBackend, RewardRegistry } from './rewards';
export { defaultRewardBackends, rewardBackend } from './rewards';
