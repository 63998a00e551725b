/**
 * The simulated landscapes of the methods benchmark: agent pools on the fake OpenAI server
 * (src/testing/fakeOpenAI.ts, rule in its header) scored by the fake reward (true quality q plus
 * uniform noise ± REWARD_NOISE). Each has a known optimum (the highest true quality any sequence
 * of calls can reach) and a known best kind of search, so the curves say which method finds it.
 *
 * Agents are listed strongest-fresh first: the single-agent baselines (random, PRS) use the
 * first, as the paper gives them its best single model.
 */
import type { FakeModelSpec } from '../src/testing/fakeOpenAI';

export interface Landscape {
  name: string;
  /** What holds on this landscape, and so which search should win. */
  description: string;
  pool: Record<string, FakeModelSpec>;
  /** Highest true quality reachable, and how. */
  optimum: { trueQuality: number; how: string };
}

export const REWARD_NOISE = 0.05;

export const LANDSCAPES: Landscape[] = [
  {
    name: 'refine-helps',
    description:
      'The original pool of this benchmark: the best fresh answers come from sim-strong, but only chains of refinements by sim-refiner (carry 0.9, gain 0.04) get past 0.75.',
    pool: {
      // Best fresh answers, poor refiner (fresh ceiling 0.75; refine fixed point 0.60).
      'sim-strong': { quality: 0.6, noise: 0.15, carry: 0.5, gain: 0.0 },
      // Mediocre fresh, strong refiner (fixed point 0.45 + 0.04/0.1 = 0.85; noise lets chains reach 1.0).
      'sim-refiner': { quality: 0.45, noise: 0.1, carry: 0.9, gain: 0.04 },
      // High variance.
      'sim-noisy': { quality: 0.35, noise: 0.25, carry: 0.7, gain: 0.02 },
      // Weak.
      'sim-weak': { quality: 0.2, noise: 0.1, carry: 0.5, gain: 0.0 },
    },
    optimum: { trueQuality: 1.0, how: 'refinement chains through sim-refiner; fresh answers stop at 0.75' },
  },
  {
    name: 'refine-hurts',
    description:
      'Every refinement and aggregation loses quality (carry 0.5, gain -0.1): the best answer is a lucky fresh sample, so wide search wins and every call spent refining is wasted.',
    pool: {
      'sim-strong': { quality: 0.6, noise: 0.15, carry: 0.5, gain: -0.1 },
      'sim-mid': { quality: 0.5, noise: 0.2, carry: 0.5, gain: -0.1 },
      'sim-noisy': { quality: 0.35, noise: 0.3, carry: 0.5, gain: -0.1 },
      'sim-weak': { quality: 0.2, noise: 0.1, carry: 0.5, gain: -0.1 },
    },
    optimum: {
      trueQuality: 0.75,
      how: 'fresh samples of sim-strong (0.6 + 0.15); a refinement of q gives at most 0.5q + 0.5·quality - 0.1 + noise < q',
    },
  },
  {
    name: 'aggregate-helps',
    description:
      'Four middling agents; refining one answer regresses to the mean (carry 0.8, gain 0), but aggregating answers of different agents adds 0.06 per extra author (synergy): MoA territory.',
    pool: {
      'sim-a': { quality: 0.5, noise: 0.15, carry: 0.8, gain: 0.0, synergy: 0.06 },
      'sim-b': { quality: 0.45, noise: 0.2, carry: 0.8, gain: 0.0, synergy: 0.06 },
      'sim-c': { quality: 0.4, noise: 0.25, carry: 0.8, gain: 0.0, synergy: 0.06 },
      'sim-d': { quality: 0.5, noise: 0.1, carry: 0.8, gain: 0.0, synergy: 0.06 },
    },
    optimum: {
      trueQuality: 1.0,
      how: 'repeated aggregation of answers by 3-4 different agents (+0.12 to +0.18 per step); fresh answers stop at 0.65, refinement fixed points at 0.5',
    },
  },
  {
    name: 'one-strong',
    description:
      'One strong agent (fresh 0.7 ± 0.1, a good refiner of its own answers) and three weak ones that also spoil what they refine: the best search finds the strong agent fast and spends everything on it.',
    pool: {
      'sim-strong': { quality: 0.7, noise: 0.1, carry: 0.6, gain: 0.08 },
      'sim-weak1': { quality: 0.3, noise: 0.1, carry: 0.5, gain: 0.0 },
      'sim-weak2': { quality: 0.25, noise: 0.15, carry: 0.5, gain: 0.0 },
      'sim-weak3': { quality: 0.2, noise: 0.2, carry: 0.5, gain: 0.0 },
    },
    optimum: { trueQuality: 1.0, how: 'refinement chains of sim-strong (fixed point 0.9, + noise 0.1)' },
  },
];

export function landscape(name: string): Landscape {
  const l = LANDSCAPES.find((x) => x.name === name);
  if (!l) throw new Error(`unknown landscape ${name} (known: ${LANDSCAPES.map((x) => x.name).join(', ')})`);
  return l;
}
