/**
 * The reward backend registry: one entry per `reward.type` of the sweep file. The score
 * activity dispatches through `rewardBackend`; a type without an entry fails the call as a
 * non-retryable ConfigError ("reward backend X is not available").
 *
 * Adding a backend: implement it in src/rewards and add it to makeRewardBackends there.
 */
import type { RewardSpec } from '../../config/schema';
import { configError } from '../errors';
import { httpReward } from './http';
import { makeRewardBackends, type RewardFn } from '../../rewards';
import type { RewardArgs, RewardBackend, RewardRegistry } from './types';

export type { RewardArgs, RewardBackend, RewardRegistry, RewardSpecOf, RewardType } from './types';
export { httpReward } from './http';

/** Every backend: the generic http contract here, the rest (math, chrF, judge, vLLM, weighted) in src/rewards. */
export const defaultRewardBackends: RewardRegistry = makeRewardBackends({ http: httpReward as RewardFn }) as RewardRegistry;

/** The backend for `spec.type` in `registry`; ConfigError when there is none. */
export function rewardBackend(spec: RewardSpec, registry: RewardRegistry = defaultRewardBackends): RewardBackend {
  const type = (spec as { type?: unknown } | undefined)?.type;
  const backend = typeof type === 'string' ? (registry as Record<string, RewardBackend | undefined>)[type] : undefined;
  if (!backend) {
    const available = Object.keys(registry).sort().join(', ') || 'none';
    throw configError(`reward backend ${JSON.stringify(type)} is not available (available: ${available})`);
  }
  return backend;
}

/** Scores with the registry's backend for `args.spec`, passing a `dispatch` for composite rewards. */
export function dispatchReward(args: RewardArgs, registry: RewardRegistry = defaultRewardBackends): Promise<number> {
  const dispatch = (spec: RewardSpec): Promise<number> => dispatchReward({ ...args, spec }, registry);
  return rewardBackend(args.spec, registry)({ ...args, dispatch });
}
