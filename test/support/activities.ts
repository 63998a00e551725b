/**
 * The halves of the `play` activity (generation, scoring) as the tests call them directly, built
 * the way src/activities/agentQueue.ts builds them, with the environment the test gives.
 */
import { createGenerate } from '../../src/activities/generate';
import { createScore, type RewardScorer } from '../../src/activities/score';
import { OpenAIClients } from '../../src/http/openaiChat';
import { createRewardScorer, type RewardArgs, type RewardSpec } from '../../src/rewards';

export function generateWith(env: NodeJS.ProcessEnv) {
  return createGenerate({ env, clients: new OpenAIClients(), gates: new Map() });
}

export function scoreWith(env: NodeJS.ProcessEnv, scoreReward?: RewardScorer) {
  return createScore({ scoreReward: scoreReward ?? createRewardScorer({ env }) });
}

/** One reward, through the registry as a worker scores it (`env` holds the API keys). */
export function scoreReward(a: RewardArgs & { spec: RewardSpec; env?: NodeJS.ProcessEnv }): Promise<number> {
  const { spec, env, ...args } = a;
  return createRewardScorer({ env: env ?? {} })(spec, args);
}
