/**
 * The activities of an agent's task queue (`toa.agent.<name>.<hash>`): one `play` = one
 * generation by that agent + its reward. Built per worker process with its dependencies: the
 * worker's allow-list, the environment the API keys are read from, and the reward scorer
 * (tests pass their own).
 */
import { OpenAIClients } from '../http/openaiChat';
import { createRewardScorer } from '../rewards';
import type { AllowList } from './allowList';
import { createGenerate } from './generate';
import type { Gate } from './gate';
import { createPlay } from './play';
import { createScore, type RewardScorer } from './score';

export interface AgentQueueDeps {
  /** The endpoints, key variables and store folders this worker's configuration allows (./allowList.ts). */
  allow: AllowList;
  /** Where API keys are read (agent.apiKeyEnv, reward apiKeyEnv). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Scores a response (default: the reward backends of src/rewards, reading keys from `env`). */
  scoreReward?: RewardScorer;
}

export function createAgentQueueActivities(deps: AgentQueueDeps) {
  const env = deps.env ?? process.env;
  const clients = new OpenAIClients();
  const generate = createGenerate({ env, clients, gates: new Map<string, Gate>() });
  const score = createScore({ scoreReward: deps.scoreReward ?? createRewardScorer({ env, clients }) });
  return { play: createPlay({ generate, score, allow: deps.allow }) };
}

export type AgentQueueActivities = ReturnType<typeof createAgentQueueActivities>;
