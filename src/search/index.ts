/**
 * The search core's entry point: a Strategy for a method configuration. Pure and
 * deterministic (no I/O, no clock, no Math.random): safe inside the Temporal workflow sandbox.
 */
import type { MethodSpec } from '../config/schema';
import type { Strategy } from './types';
import { createEnsembleStrategy } from './baselines/ensemble';
import { createMoaStrategy } from './baselines/moa';
import { createPrsStrategy } from './baselines/prs';
import { createRandomStrategy } from './baselines/random';
import { createSequentialStrategy } from './baselines/sequential';
import { createToaStrategy } from './toa/strategy';

export * from './types';
export { createPrng, deriveSeed, shuffle } from './prng';
export { createToaStrategy, resolveWidth } from './toa/strategy';
export type { ToaOptions, ToaStrategy, WidthRule } from './toa/strategy';
export { normalizeReward } from './toa/backup';
export { createRandomStrategy } from './baselines/random';
export { createPrsStrategy } from './baselines/prs';
export { createEnsembleStrategy } from './baselines/ensemble';
export { createSequentialStrategy, sequentialRounds } from './baselines/sequential';
export { createMoaStrategy } from './baselines/moa';
export { anytimeCurve, best } from './result';

/** True where responses carry sigmoid(reward / tau) (TOA). */
export function methodUsesNormalizedReward(method: MethodSpec): boolean {
  return method.type === 'toa';
}

function validate(agents: string[], budget: number, seed: number): void {
  if (!Array.isArray(agents) || agents.length === 0) throw new Error('at least one agent is required');
  const seen = new Set<string>();
  for (const a of agents) {
    if (typeof a !== 'string' || a.length === 0)
      throw new Error(`agent names must be non-empty strings, got ${JSON.stringify(a)}`);
    if (seen.has(a)) throw new Error(`duplicate agent "${a}"`);
    seen.add(a);
  }
  if (!Number.isInteger(budget) || budget < 1) throw new Error(`budget must be an integer >= 1, got ${budget}`);
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
}

function knownAgent(agent: string, agents: string[], method: string): string {
  if (!agents.includes(agent)) throw new Error(`${method}: unknown agent "${agent}" (configured: ${agents.join(', ')})`);
  return agent;
}

/**
 * A fresh strategy for one prompt: `agents` in configuration order (the order breaks ties and
 * fixes round-robin and truncation), `budget` generations, `seed` for the only random choice
 * (sequential refinement's agent orders).
 */
export function createStrategy(method: MethodSpec, agents: string[], budget: number, seed: number): Strategy {
  validate(agents, budget, seed);
  const label = method.label ?? method.type;
  switch (method.type) {
    case 'toa':
      return createToaStrategy({
        agents,
        budget,
        alpha: method.alpha,
        tau: method.tau,
        width: method.width,
        parallelPlays: method.parallelPlays,
        method: label,
      });
    case 'random':
      return createRandomStrategy({ agent: knownAgent(method.agent, agents, label), budget, method: label });
    case 'prs':
      return createPrsStrategy({ agent: knownAgent(method.agent, agents, label), budget, method: label });
    case 'ensemble':
      return createEnsembleStrategy({ agents, budget, method: label });
    case 'sequential':
      return createSequentialStrategy({ agents, budget, seed, method: label });
    case 'moa':
      return createMoaStrategy({ agents, budget, layers: method.layers, method: label });
    default: {
      const unknown: never = method;
      throw new Error(`unknown method type ${JSON.stringify((unknown as { type?: unknown }).type)}`);
    }
  }
}
export { tracing, replayTrace, NEXT } from './replay';
export type { TraceStep } from './replay';
