/**
 * `weighted` reward: sum over components of weight x component reward.
 *
 * Components are looked up by `reward.type` in the registry given to `makeWeighted`, at call time,
 * so a registry can be completed after `makeWeighted` is called (e.g. adding `http`), and nested
 * `weighted` specs work. Components run concurrently; a weight of 0 skips the component (no call).
 * Components keep their own scales (chrf 0..100, math-answer 0/1, llm-judge 0..1, vllm-reward
 * raw): choose the weights accordingly.
 */
import { nonRetryable, RewardErrorType } from './httpErrors';
import type { RewardArgs, RewardFn, RewardRegistry } from './types';

export function makeWeighted(registry: RewardRegistry): RewardFn {
  return async (args: RewardArgs): Promise<number> => {
    const spec = args.spec;
    if (spec.type !== 'weighted')
      throw nonRetryable(RewardErrorType.InvalidRewardSpec, `weighted backend called with a "${spec.type}" spec`);
    if (!Array.isArray(spec.components) || spec.components.length === 0)
      throw nonRetryable(RewardErrorType.InvalidRewardSpec, 'weighted reward has no components');
    const parts = spec.components.map((c, i) => {
      if (!Number.isFinite(c.weight))
        throw nonRetryable(RewardErrorType.InvalidRewardSpec, `weighted component ${i}: weight is not a finite number`);
      const fn = registry[c.reward.type];
      if (!fn)
        throw nonRetryable(
          RewardErrorType.InvalidRewardSpec,
          `weighted component ${i}: no reward backend for type "${c.reward.type}" in this worker's registry`,
        );
      return { weight: c.weight, fn, spec: c.reward };
    });
    const values = await Promise.all(
      parts.map((p) => (p.weight === 0 ? Promise.resolve(0) : p.fn({ ...args, spec: p.spec }))),
    );
    return values.reduce((sum, v, i) => sum + parts[i].weight * v, 0);
  };
}
