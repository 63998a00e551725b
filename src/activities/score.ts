/**
 * The `score` activity: loads the prompt, the response and the optional reference from the
 * store and asks the reward backend registered for `input.reward.type` (./rewards). The reward
 * is scored against the ORIGINAL prompt (not the instruction-wrapped one). A backend that
 * returns anything but a finite number fails the call as non-retryable MalformedResponse.
 */
import { ApplicationFailure } from '@temporalio/common';
import { withCallContext } from './context';
import { defaultRewardBackends, dispatchReward, rewardBackend, type RewardRegistry } from './rewards';
import { getText, storeFor } from './texts';
import type { ScoreInput, ScoreOutput } from './types';

export interface ScoreDeps {
  env: NodeJS.ProcessEnv;
  /** Backends by reward type; defaults to the registry in ./rewards. */
  rewardBackends?: RewardRegistry;
}

export function createScore(deps: ScoreDeps): (input: ScoreInput) => Promise<ScoreOutput> {
  const registry = deps.rewardBackends ?? defaultRewardBackends;
  return async function score(input: ScoreInput): Promise<ScoreOutput> {
    rewardBackend(input.reward, registry); // fail fast on an unknown type, before reading anything
    const store = storeFor(input.store);
    const [prompt, response, reference] = await Promise.all([
      getText(store, input.promptRef, 'the prompt'),
      getText(store, input.responseRef, 'the response'),
      input.referenceRef ? getText(store, input.referenceRef, 'the reference') : Promise.resolve(undefined),
    ]);
    const reward = await withCallContext(`reward ${input.reward.type}`, (ctx) =>
      dispatchReward(
        {
          spec: input.reward,
          prompt,
          response,
          reference,
          promptId: input.promptId,
          model: input.model,
          env: deps.env,
          signal: ctx.signal,
        },
        registry,
      ),
    );
    if (typeof reward !== 'number' || !Number.isFinite(reward)) {
      throw ApplicationFailure.create({
        message: `reward ${input.reward.type}: backend returned ${String(reward)}, expected a finite number`,
        type: 'MalformedResponse',
        nonRetryable: true,
      });
    }
    return { reward };
  };
}
