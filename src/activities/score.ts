/**
 * Scoring one response (the second half of the `play` activity): loads the prompt, the response
 * and the optional reference from the store and asks the reward backend of the spec (src/rewards).
 * The reward is scored against the ORIGINAL prompt (not the instruction-wrapped one). A backend
 * that returns anything but a finite number fails the call as non-retryable MalformedResponse.
 */
import { failure } from '../common/failures';
import type { RewardArgs, RewardSpec } from '../rewards';
import { withCallContext } from './context';
import { getText, storeFor } from './texts';
import type { ScoreInput, ScoreOutput } from './types';

export type RewardScorer = (spec: RewardSpec, args: RewardArgs) => Promise<number>;

export function createScore(deps: { scoreReward: RewardScorer }): (input: ScoreInput) => Promise<ScoreOutput> {
  return async function score(input: ScoreInput): Promise<ScoreOutput> {
    const store = storeFor(input.store);
    const [prompt, response, reference] = await Promise.all([
      getText(store, input.promptRef, 'the prompt'),
      getText(store, input.responseRef, 'the response'),
      input.referenceRef ? getText(store, input.referenceRef, 'the reference') : Promise.resolve(undefined),
    ]);
    const reward = await withCallContext(`reward ${input.reward.type}`, (ctx) =>
      deps.scoreReward(input.reward, { prompt, response, reference, promptId: input.promptId, model: input.model, signal: ctx.signal }),
    );
    if (typeof reward !== 'number' || !Number.isFinite(reward)) {
      throw failure('MalformedResponse', `reward ${input.reward.type}: backend returned ${String(reward)}, expected a finite number`);
    }
    return { reward };
  };
}
