/**
 * TOA+ (src/search/toaplus). Hand-worked with explore 'mean' (no draws): each model's score is
 * the expected improvement EI(mean, sd, B) = sd·φ(z) + (mean − B)·Φ(z), z = (mean − B)/sd, of
 * the posterior mean and predictive sd = sqrt(τ²'·(1 + 1/κ')) of a Normal-Inverse-χ² posterior
 * (prior κ = 1, ν = 2, pooled over agents). Population variances throughout.
 */
import fc from 'fast-check';
import { methodSchema } from '../../../src/config/methodSchema';
import { createStrategy } from '../../../src/search';
import { replaySearch, runSearch } from '../../../src/search/driver';
import { meanNormal, observeArm, emptyArm } from '../../../src/search/toaplus/model';
import { createToaPlusStrategy, type ToaPlusStrategy } from '../../../src/search/toaplus/strategy';
import { createPrng } from '../../../src/search/prng';
import type { Action } from '../../../src/search/types';
import { drive, scripted, show } from './drive';

describe('TOA+: model', () => {
  test('posterior mean and predictive spread, hand-worked', () => {
    // Prior m .45, κ 1, ν 2, τ² .0025; arm [.5, .4]: κ' 3, ν' 4, m' = (.45 + .9)/3 = .45,
    // τ²' = (2·.0025 + S .005 + 0)/4 = .0025, sd = sqrt(.0025·4/3) = .057735.
    const arm = emptyArm();
    observeArm(arm, 0.5);
    observeArm(arm, 0.4);
    const d = meanNormal({ m: 0.45, kappa: 1, nu: 2, tauSquare: 0.0025 }, arm);
    expect(d.mean).toBeCloseTo(0.45, 12);
    expect(d.sd).toBeCloseTo(0.057735, 6);
  });
});

describe('TOA+: hand-worked sequences', () => {
  test('warm-up, a refinement that pays, optimism for the agent not yet tried, then the better refiner', async () => {
    // A, B; rewards r0..r5 = .5 .4 .7 .75 .72 .3.
    // r0 A fresh, r1 B fresh (warm-up). Step 3: B = .5 (r0). Fresh pool [.5 .4]: m .45, var .0025.
    //   fresh (pooled): mean .45, sd .0577 -> EI = .0577·φ(-.866) − .05·Φ(-.866) = .0062
    //   refine (no gain yet: m 0, τ² .0025, sd .0707): mean .5 -> EI = .0707·φ(0) = .0282
    //   aggregate (inputs r0 r1, base .5): the same .0282 -> tie -> refine (first).
    //   Agents: both refine arms empty -> tie -> A: "A refine r0" = r2 (.7, gain +.2).
    // Step 4: B = .7 (r2). Refine prior m .2 (pooled gains), τ² .0025 (fewer than 2 gains).
    //   refine pooled [.2]: κ' 2, m' .2, ν' 3, τ²' = 2·.0025/3, sd .05 -> EI ≈ .2 (z = 4);
    //   aggregate: base .7 (inputs r2, r1), gain m 0 -> EI .0282; fresh ≈ 0 -> refine.
    //   A's arm [.2]: mean .2, sd .05 -> EI = .05·φ(4) + .2·Φ(4) = .199994;
    //   B's arm []: mean .2, sd .0707 -> EI = .0707·φ(2.83) + .2·Φ(2.83) = .20005 -> B:
    //   "B refine r2" = r3 (.75, gain +.05).
    // Step 5: B = .75 (r3). Gains pool [.2 .05], m .125: A [.2] -> m' .1625, B [.05] -> m' .0875
    //   -> A: "A refine r3" = r4 (.72, gain -.03).
    // Step 6: still r3. Pool [.2 .05 -.03] m .0733: A [.2 -.03] -> m' = (.0733 + .17)/3 = .081,
    //   B [.05] -> m' = (.0733 + .05)/2 = .062 -> A: "A refine r3" = r5.
    const s = createToaPlusStrategy({ agents: ['A', 'B'], budget: 6, seed: 0 });
    const log = await drive(s, 6, { reward: scripted([0.5, 0.4, 0.7, 0.75, 0.72, 0.3]) });
    expect(log.actions.map(show)).toEqual([
      'r0 A fresh',
      'r1 B fresh',
      'r2 A refine r0',
      'r3 B refine r2',
      'r4 A refine r3',
      'r5 A refine r3',
    ]);
    expect(log.batches.every((b) => b.length === 1)).toBe(true);
    expect(s.arms().A!.refine.values).toEqual([0.7 - 0.5, 0.72 - 0.75, 0.3 - 0.75].map((x) => expect.closeTo(x, 12)));
    expect(s.arms().B!.refine.values).toEqual([expect.closeTo(0.05, 12)]);
  });

  test("a refinement that fails turns the search wide; aggregation reads each agent's best", async () => {
    // A, B, C; rewards: fresh r0 .5 (A), r1 .3 (B), r2 .4 (C): pool mean .4, var .00667.
    // Step 4: B = .5: fresh EI(.4, sd .0943·…) small; refine and aggregate (no gains: mean .5)
    //   tie -> refine, A: r3 "A refine r0" = .1 (gain -.4).
    // Step 5: refine pool [-.4]: mean -.4 -> EI ≈ 0. Aggregate (no gains yet, inputs r0 r2 r1 by
    //   reward) mean .5 -> EI > fresh -> "A aggregate r0 r2 r1" = r4 (.2, gain -.3).
    // Step 6: both gains negative: fresh wins. Fresh arms: A [.5] m' .45, B [.3] .35, C [.4] .4,
    //   same sd -> A: r5 "A fresh".
    const s = createToaPlusStrategy({ agents: ['A', 'B', 'C'], budget: 6, seed: 0 });
    const log = await drive(s, 6, { reward: scripted([0.5, 0.3, 0.4, 0.1, 0.2, 0.45]) });
    expect(log.actions.map(show)).toEqual([
      'r0 A fresh',
      'r1 B fresh',
      'r2 C fresh',
      'r3 A refine r0',
      'r4 A aggregate r0 r2 r1',
      'r5 A fresh',
    ]);
  });

  test('lead: the warm-up asks only the lead agent', async () => {
    const s = createToaPlusStrategy({ agents: ['A', 'B', 'C'], budget: 4, seed: 0, lead: 'B' });
    const log = await drive(s, 4, { reward: scripted([0.5, 0.6, 0.4, 0.3]) });
    // r0 B fresh (.5). Step 2: one response, so no aggregation (it needs two agents' answers).
    // Spreads come from the floor τ² = (1e-3·(1 + 0))² = 1e-6. Fresh pooled [.5]: κ' 2, τ²' 2e-6/3,
    // sd 1e-3, mean .5 -> EI = 1e-3·φ(0) = .000399. Refine (no gain yet): m 0 over B = .5, κ 1,
    // sd sqrt(2e-6) = .00141 -> EI .000564 -> refine; both agents' refine arms are empty -> A.
    expect(log.actions.map(show).slice(0, 2)).toEqual(['r0 B fresh', 'r1 A refine r0']);
    expect(() => createToaPlusStrategy({ agents: ['A'], budget: 2, seed: 0, lead: 'Z' })).toThrow(/lead "Z"/);
  });

  test('options off: no refine, no aggregate gives a multi-agent best-of-N', async () => {
    const s = createToaPlusStrategy({ agents: ['A', 'B'], budget: 8, seed: 0, refine: false, aggregate: false });
    const log = await drive(s, 8, { reward: (a) => (a.agent === 'A' ? 0.8 : 0.2) + Number(a.id.slice(1)) * 1e-3 });
    expect(log.actions.every((a) => a.kind === 'fresh')).toBe(true);
    // After the warm-up, A (mean .8) beats B (.2): all A.
    expect(log.actions.slice(2).every((a) => a.agent === 'A')).toBe(true);
  });

  test('defaults', () => {
    expect(methodSchema.parse({ type: 'toa-plus' })).toEqual({
      type: 'toa-plus',
      aggregate: true,
      refine: true,
      explore: 'mean',
      levels: 'kind',
    });
    expect(() =>
      createStrategy(methodSchema.parse({ type: 'toa-plus', lead: 'X' }), { agents: ['A'], budget: 2, seed: 0 }),
    ).toThrow(/unknown agent "X"/);
  });
});

describe('TOA+: properties', () => {
  const caseArb = fc.record({
    k: fc.integer({ min: 1, max: 4 }),
    n: fc.integer({ min: 1, max: 30 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    explore: fc.constantFrom('mean' as const, 'thompson' as const),
    levels: fc.constantFrom('kind' as const, 'agent' as const),
    aggregateInputs: fc.option(fc.integer({ min: 2, max: 4 }), { nil: undefined }),
    // -0 → 0: the checks below compare rewards with Object.is, and Math.max(-0, 0) is 0.
    rewards: fc.array(
      fc.oneof(
        fc.constantFrom(0, 0.5, 1),
        fc.double({ min: -3, max: 3, noNaN: true }).map((x) => x + 0),
      ),
      {
        minLength: 30,
        maxLength: 30,
      },
    ),
  });
  const agentsOf = (k: number) => ['a0', 'a1', 'a2', 'a3'].slice(0, k);
  type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;
  const build = (c: Case) =>
    createStrategy(
      methodSchema.parse({ type: 'toa-plus', explore: c.explore, levels: c.levels, aggregateInputs: c.aggregateInputs }),
      { agents: agentsOf(c.k), budget: c.n, seed: c.seed },
    ) as ToaPlusStrategy;

  test("N generations one at a time; warm-up; refine reads the best so far; aggregate reads each agent's best", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const reward = (a: Action) => c.rewards[Number(a.id.slice(1))]!;
        const log = await drive(build(c), c.n, { reward });
        expect(log.actions).toHaveLength(c.n);
        expect(log.maxInFlight).toBe(1);
        const agents = agentsOf(c.k);
        expect(log.actions.slice(0, Math.min(c.k, c.n)).map((a) => `${a.agent} ${a.kind}`)).toEqual(
          agents.slice(0, c.n).map((a) => `${a} fresh`),
        );
        log.actions.forEach((a, i) => {
          const before = log.actions.slice(0, i);
          const r = (id: string) => reward(log.actions[Number(id.slice(1))]!);
          const bestBefore = before.reduce<Action | undefined>(
            (b, x) => (b === undefined || reward(x) > reward(b) ? x : b),
            undefined,
          );
          if (a.kind === 'refine') expect(a.inputs).toEqual([bestBefore!.id]);
          if (a.kind === 'aggregate') {
            const authors = a.inputs.map((id) => log.actions[Number(id.slice(1))]!.agent);
            expect(new Set(authors).size).toBe(a.inputs.length);
            expect(a.inputs.length).toBeGreaterThanOrEqual(2);
            expect(a.inputs.length).toBeLessThanOrEqual(c.aggregateInputs ?? Math.max(2, c.k));
            expect(a.inputs[0]).toBe(bestBefore!.id);
            for (const id of a.inputs) {
              const author = log.actions[Number(id.slice(1))]!.agent;
              const mine = before.filter((x) => x.agent === author).map((x) => r(x.id));
              expect(r(id)).toBe(Math.max(...mine));
            }
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  test('deterministic, and a replay of the trace rebuilds the result', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const outcome = (a: Action) => ({
          actionId: a.id,
          reward: c.rewards[Number(a.id.slice(1))]!,
          promptTokens: 1,
          completionTokens: 2,
        });
        const run1 = await runSearch(build(c), async (a) => outcome(a));
        const run2 = await runSearch(build(c), async (a) => outcome(a));
        expect(run2.result).toEqual(run1.result);
        expect(await replaySearch(build(c), run1.trace, outcome)).toEqual(run1.result);
      }),
      { numRuns: 100 },
    );
  });

  test("'mean' ignores the seed; 'thompson' uses it", async () => {
    const rng = createPrng(5);
    const rewards = Array.from({ length: 30 }, () => rng.next());
    const seqs = (explore: 'mean' | 'thompson') =>
      Promise.all(
        [0, 1, 2, 3, 4, 5].map(async (seed) =>
          (
            await drive(createToaPlusStrategy({ agents: ['A', 'B', 'C'], budget: 30, seed, explore }), 30, {
              reward: scripted(rewards),
            })
          ).actions
            .map(show)
            .join(','),
        ),
      );
    expect(new Set(await seqs('mean')).size).toBe(1);
    expect(new Set(await seqs('thompson')).size).toBeGreaterThan(1);
  });
});
