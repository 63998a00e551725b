/**
 * AB-MCTS-A (src/search/abmcts). Hand-worked cases use a Gaussian prior so tight (ν = 10⁶,
 * τ² = 10⁻⁶: every draw is within ~0.003 of its arm's posterior mean (κ·m + Σ scores) / (κ + n))
 * that the Thompson draws decide like the posterior means, whatever the seed. Notation:
 *   mean{...} = (0.5 + Σ) / (1 + n), the posterior mean with prior m = 0.5, κ = 1;
 *   an arm with no observations draws ≈ 0.5.
 */
import fc from 'fast-check';
import { methodSchema } from '../../../src/config/methodSchema';
import { createStrategy } from '../../../src/search';
import { NEXT, replaySearch, runSearch } from '../../../src/search/driver';
import { betaPosterior, gaussianPosterior, statsOf } from '../../../src/search/abmcts/posterior';
import { createAbmctsStrategy, scoreOf, type AbmctsStrategy } from '../../../src/search/abmcts/strategy';
import { createPrng } from '../../../src/search/prng';
import type { Action } from '../../../src/search/types';
import { drive, scripted, show } from './drive';

const TIGHT = { dist: 'gaussian' as const, prior: { m: 0.5, kappa: 1, nu: 1e6, tauSquare: 1e-6 } };

describe('AB-MCTS posteriors', () => {
  test('Normal-Inverse-χ² update (Murphy 3.4.3.3), hand-worked', () => {
    const prior = { m: 0, kappa: 1, nu: 1, tauSquare: 0.1 };
    expect(gaussianPosterior(prior, statsOf([]))).toEqual(prior);
    // n 1, x̄ 0.5, S 0: κ 2, ν 2, m 0.25, τ² = (0.1 + 0 + 1·1·0.25 / 2) / 2 = 0.1125
    const one = gaussianPosterior(prior, statsOf([0.5]));
    expect(one.kappa).toBe(2);
    expect(one.nu).toBe(2);
    expect(one.m).toBeCloseTo(0.25, 12);
    expect(one.tauSquare).toBeCloseTo(0.1125, 12);
    // n 2, x̄ 0.4, S 0.08: κ 3, ν 3, m 0.8/3, τ² = (0.1 + 0.08 + 2·0.16/3) / 3
    const two = gaussianPosterior(prior, statsOf([0.2, 0.6]));
    expect(two.m).toBeCloseTo(0.8 / 3, 12);
    expect(two.tauSquare).toBeCloseTo((0.18 + 0.32 / 3) / 3, 12);
  });

  test('Beta update: a += s, b += 1 − s', () => {
    expect(betaPosterior({ a: 0.5, b: 0.5 }, statsOf([1, 0.25]))).toEqual({ a: 1.75, b: 1.25 });
  });

  test('scores outside [0, 1] are a bug', () => {
    expect(() => statsOf([1.5])).toThrow(/outside \[0, 1\]/);
  });

  test('reward rule: linear onto [0, 1] from rewardRange, clamped', () => {
    expect(scoreOf(50, [0, 100])).toBe(0.5);
    expect(scoreOf(-3, [0, 100])).toBe(0);
    expect(scoreOf(130, [0, 100])).toBe(1);
    expect(scoreOf(0.25, [0, 1])).toBe(0.25);
  });
});

describe('AB-MCTS-A: hand-worked sequences', () => {
  test('GEN vs CONT at the root, then deeper under the best child; back-up of GEN, CONT and child arms', async () => {
    // One agent A (no model draw). Rewards r0..r6 = .9 .2 .1 .8 .3 0 .5 (range [0, 1]: score = reward).
    // p0: root has no children -> GEN -> "A fresh" r0 (.9).
    // p1: root GEN{.9} = .7 vs CONT{} = .5 -> GEN -> r1 fresh (.2).
    // p2: GEN{.9,.2} = .533 vs CONT .5 -> GEN -> r2 fresh (.1).
    // p3: GEN{.9,.2,.1} = .425 vs CONT .5 -> CONT; children r0{.9} .7, r1{.2} .35, r2{.1} .3 -> r0,
    //     which has no children -> expand r0: "A refine r0" r3 (.8). Back-up: r0.GEN{.8},
    //     r0's arm {.9,.8}, root.CONT{.8}.
    // p4: root GEN .425 vs CONT{.8} .65 -> CONT -> r0 (.733); r0: GEN{.8} .65 vs CONT{} .5 -> GEN:
    //     r4 refines r0 (.3). r0.GEN{.8,.3} .533, root.CONT{.8,.3} .533, r0 arm {.9,.8,.3} .625.
    // p5: root CONT .533 > GEN .425 -> r0; r0 GEN .533 > CONT .5 -> r5 refines r0 (0).
    //     root.CONT{.8,.3,0} = .4 now.
    // p6: root GEN .425 > CONT .4 -> GEN -> r6 fresh.
    const s = createAbmctsStrategy({ agents: ['A'], budget: 7, seed: 1, prior: TIGHT, rewardRange: [0, 1] });
    const log = await drive(s, 7, { reward: scripted([0.9, 0.2, 0.1, 0.8, 0.3, 0, 0.5]) });
    expect(log.actions.map(show)).toEqual([
      'r0 A fresh',
      'r1 A fresh',
      'r2 A fresh',
      'r3 A refine r0',
      'r4 A refine r0',
      'r5 A refine r0',
      'r6 A fresh',
    ]);
    expect(log.batches.every((b) => b.length === 1)).toBe(true);
    const byId = Object.fromEntries(s.nodes().map((n) => [n.id, n]));
    expect(byId.root!.gen.n).toBe(4); // r0 r1 r2 r6
    expect(byId.root!.cont.n).toBe(3); // r3 r4 r5 (grandchildren)
    expect(byId.root!.cont.sum).toBeCloseTo(1.1, 12);
    expect(byId.r0!.self.n).toBe(4); // itself + 3 children
    expect(byId.r0!.gen.n).toBe(3);
    expect(byId.r0!.cont.n).toBe(0);
    expect(log.result.bestId).toBe('r0');
    expect(log.result.responses.find((r) => r.id === 'r3')!.normalizedReward).toBe(0.8);
  });

  test('CONT below a child reaches a grandchild: the refine goes to the deepest chosen node', async () => {
    // A only. r0 .9 (fresh), r1 .1 (fresh: GEN{.9} .7 > .5), r2: GEN{.9,.1} .5 vs CONT{} .5 ->
    // a tie goes to GEN (TreeQuest: CONT must be strictly higher) ... with draws within ±.003 the
    // tie is a coin flip, so this case avoids it: r1 = .2 gives GEN .533 -> r2 fresh (.0).
    // p3: GEN{.9,.2,0} .4 < CONT .5 -> r0 (.7 vs .35, .25) -> refine r0: r3 (1.0).
    // p4: root GEN .4 vs CONT{1} .75 -> r0 {.9,1} .8; r0: GEN{1} .75 vs CONT{} .5 -> GEN: r4 refines r0 (.95).
    // p5: root CONT{1,.95} .817 -> r0; r0: GEN{1,.95} .817 vs CONT{} .5 -> GEN: r5 refines r0 (0).
    // p6: root CONT{1,.95,0} .6125 -> r0; r0: GEN{1,.95,0} .6125 vs CONT .5 -> GEN: r6 refines r0 (0).
    // p7: root CONT{1,.95,0,0} .49 vs GEN .4 -> r0; r0: GEN{..} .49 vs CONT{} .5 -> CONT: children
    //     r3{1} .75, r4{.95} .725, r5 .25, r6 .25 -> r3, a leaf -> "A refine r3" r7.
    const s = createAbmctsStrategy({ agents: ['A'], budget: 8, seed: 3, prior: TIGHT, rewardRange: [0, 1] });
    const log = await drive(s, 8, { reward: scripted([0.9, 0.2, 0, 1, 0.95, 0, 0, 0.5]) });
    expect(log.actions.map(show)).toEqual([
      'r0 A fresh',
      'r1 A fresh',
      'r2 A fresh',
      'r3 A refine r0',
      'r4 A refine r0',
      'r5 A refine r0',
      'r6 A refine r0',
      'r7 A refine r3',
    ]);
    // r7's score reached r3's arm, r0's CONT (a grandchild of r0) and the root's CONT.
    const byId = Object.fromEntries(s.nodes().map((n) => [n.id, n]));
    expect(byId.r3!.self.n).toBe(2);
    expect(byId.r0!.cont.n).toBe(1);
    expect(byId.root!.cont.n).toBe(5);
  });

  test('several agents: the model bandit uses every score an agent has produced anywhere', async () => {
    // A always scores .9, B .1. Whatever the first draw picks (both arms are at the prior), the
    // other agent's prior .5 beats B's {.1} = .3, and A's {.9} = .7 beats B's prior .5: from the
    // third generation on only A writes (A's mean stays > .5 > B's).
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const s = createAbmctsStrategy({ agents: ['A', 'B'], budget: 10, seed, prior: TIGHT, rewardRange: [0, 1] });
      const log = await drive(s, 10, { reward: (a) => (a.agent === 'A' ? 0.9 : 0.1) });
      expect(log.actions.slice(0, 2).map((a) => a.agent)).toContain('A');
      expect(log.actions.slice(2).every((a) => a.agent === 'A')).toBe(true);
      expect(s.agentScores().A!.length + s.agentScores().B!.length).toBe(10);
    }
  });

  test('the reward range maps chrF-like rewards: same decisions as the same scores on [0, 1]', async () => {
    const a = createAbmctsStrategy({ agents: ['A', 'B'], budget: 12, seed: 5, prior: TIGHT, rewardRange: [0, 100] });
    const b = createAbmctsStrategy({ agents: ['A', 'B'], budget: 12, seed: 5, prior: TIGHT, rewardRange: [0, 1] });
    const rewards = [40, 70, 10, 90, 55, 30, 80, 20, 60, 95, 5, 50];
    const la = await drive(a, 12, { reward: scripted(rewards) });
    const lb = await drive(b, 12, { reward: scripted(rewards.map((r) => r / 100)) });
    expect(la.actions).toEqual(lb.actions);
  });

  test('bad options are rejected with a clear message', () => {
    const base = { agents: ['A'], budget: 3, seed: 0, prior: TIGHT, rewardRange: [0, 1] as [number, number] };
    expect(() => createAbmctsStrategy({ ...base, rewardRange: [1, 1] })).toThrow(/rewardRange/);
    expect(() => createAbmctsStrategy({ ...base, agents: [] })).toThrow(/at least one agent/);
    expect(() =>
      createAbmctsStrategy({ ...base, prior: { dist: 'gaussian', prior: { m: 0, kappa: 0, nu: 1, tauSquare: 0.1 } } }),
    ).toThrow(/kappa/);
    expect(() => createAbmctsStrategy({ ...base, prior: { dist: 'beta', prior: { a: 0, b: 1 } } })).toThrow(/beta prior/);
    expect(() => methodSchema.parse({ type: 'abmcts', rewardRange: [5, 1] })).toThrow(/lo < hi/);
  });

  test('defaults: the paper / TreeQuest priors', () => {
    const spec = methodSchema.parse({ type: 'abmcts' });
    expect(spec).toEqual({
      type: 'abmcts',
      dist: 'gaussian',
      gaussianPrior: { m: 0, kappa: 1, nu: 1, tauSquare: 0.1 },
      betaPrior: { a: 0.5, b: 0.5 },
      rewardRange: [0, 1],
    });
  });
});

describe('AB-MCTS-A: properties', () => {
  const caseArb = fc.record({
    k: fc.integer({ min: 1, max: 4 }),
    n: fc.integer({ min: 1, max: 30 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    dist: fc.constantFrom('gaussian' as const, 'beta' as const),
    rewards: fc.array(fc.double({ min: -0.5, max: 1.5, noNaN: true }), { minLength: 30, maxLength: 30 }),
  });
  const build = (c: { k: number; n: number; seed: number; dist: 'gaussian' | 'beta' }) =>
    createStrategy(methodSchema.parse({ type: 'abmcts', dist: c.dist }), {
      agents: ['a0', 'a1', 'a2', 'a3'].slice(0, c.k),
      budget: c.n,
      seed: c.seed,
    }) as AbmctsStrategy;

  test('N generations one at a time; refines read a response; tree statistics add up', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const s = build(c);
        const reward = (a: Action) => c.rewards[Number(a.id.slice(1))]!;
        const log = await drive(s, c.n, { reward });
        expect(log.actions).toHaveLength(c.n);
        expect(log.maxInFlight).toBe(1);
        for (const a of log.actions) expect([a.kind, a.inputs.length]).toEqual(a.kind === 'fresh' ? ['fresh', 0] : ['refine', 1]);
        const nodes = s.nodes();
        const descendants = (i: number): number => nodes[i]!.children.reduce((t, c2) => t + 1 + descendants(c2), 0);
        nodes.forEach((node, i) => {
          expect(node.gen.n).toBe(node.children.length);
          if (i > 0) expect(node.self.n).toBe(1 + descendants(i));
          expect(node.cont.n).toBe(node.children.reduce((t, c2) => t + descendants(c2), 0));
        });
        expect(nodes).toHaveLength(c.n + 1);
      }),
      { numRuns: 150 },
    );
  });

  test('deterministic given the seed, and a replay of the trace rebuilds the result', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const reward = (a: Action) => c.rewards[Number(a.id.slice(1))]!;
        const outcome = async (a: Action) => ({ actionId: a.id, reward: reward(a), promptTokens: 1, completionTokens: 2 });
        const run1 = await runSearch(build(c), outcome);
        const run2 = await runSearch(build(c), outcome);
        expect(run2.result).toEqual(run1.result);
        expect(run1.trace.filter((t) => t === NEXT).length).toBeGreaterThanOrEqual(c.n);
        const replayed = await replaySearch(build(c), run1.trace, (a) => ({
          actionId: a.id,
          reward: reward(a),
          promptTokens: 1,
          completionTokens: 2,
        }));
        expect(replayed).toEqual(run1.result);
      }),
      { numRuns: 100 },
    );
  });

  test('the seed matters: different seeds give different searches on the same rewards', async () => {
    const rng = createPrng(11);
    const rewards = Array.from({ length: 40 }, () => rng.next());
    const sequences = new Set<string>();
    for (let seed = 0; seed < 8; seed++) {
      const log = await drive(build({ k: 3, n: 40, seed, dist: 'gaussian' }), 40, { reward: scripted(rewards) });
      sequences.add(log.actions.map(show).join(','));
    }
    expect(sequences.size).toBeGreaterThan(1);
  });
});
