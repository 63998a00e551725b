/**
 * `weighted` reward: sum over components of weight × component reward.
 *
 * Components are scored through the same registry (so nested `weighted` specs work) and run
 * concurrently; a weight of 0 skips the component (no call). Components keep their own scales
 * (chrf 0..100, math-answer 0/1, llm-judge 0..1, vllm-reward raw): choose the weights accordingly.
 */
import { z } from 'zod';
import type { RewardSpec } from './index';
import { defineReward, type RewardBackendDefinition } from './define';

export interface WeightedRewardSpec {
  type: 'weighted';
  components: Array<{ weight: number; reward: RewardSpec }>;
}

export const weightedReward: RewardBackendDefinition<z.ZodType<WeightedRewardSpec, unknown>> = defineReward({
  type: 'weighted',
  summary:
    'Weighted sum of other rewards: `components` is a list (≥ 1) of `{weight, reward}`, `weight` a number, `reward` any reward (nested `weighted` included); each keeps its own scale',
  schema: (reward) =>
    z
      .object({
        type: z.literal('weighted'),
        components: z.array(z.object({ weight: z.number(), reward }).strict()).min(1),
      })
      .strict() as unknown as z.ZodType<WeightedRewardSpec, unknown>,
  components: (spec) => spec.components.map((c) => c.reward),
  create: (deps) => async (spec, args) => {
    const values = await Promise.all(spec.components.map((c) => (c.weight === 0 ? Promise.resolve(0) : deps.score(c.reward, args))));
    return values.reduce((sum, v, i) => sum + spec.components[i]!.weight * v, 0);
  },
});
