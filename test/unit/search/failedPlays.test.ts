/**
 * Failed plays (the sweep's `onPlayFailure: continue`, issue 11 item 5): a play whose failure
 * concerns only its own content is observed as a failed outcome. It counts against the budget,
 * is never read, refined, aggregated or chosen as the best, and each method goes on by its
 * documented rule (docs/algorithm.md, "Failed plays"). Hand-worked sequences, one per method.
 */
import { createToaStrategy } from '../../../src/search/toa/strategy';
import { createRandomStrategy } from '../../../src/search/baselines/random';
import { createEnsembleStrategy } from '../../../src/search/baselines/ensemble';
import { createPrsStrategy } from '../../../src/search/baselines/prs';
import { createSequentialStrategy, sequentialRounds } from '../../../src/search/baselines/sequential';
import { createMoaStrategy } from '../../../src/search/baselines/moa';
import { createAbmctsStrategy } from '../../../src/search/abmcts/strategy';
import { createToaPlusStrategy } from '../../../src/search/toaplus/strategy';
import { createLedger, issue, record } from '../../../src/search/ledger';
import { anytimeCurve, EveryPlayFailedError } from '../../../src/search/result';
import { replaySearch } from '../../../src/search/driver';
import type { ToaNode } from '../../../src/search/toa/tree';
import { drive, failing, scripted, scriptedOutcome, show } from './drive';

const σ = (x: number) => 1 / (1 + Math.exp(-x));
const curve = (points: Array<[number, number]>) => points.map(([generations, bestReward]) => ({ generations, bestReward }));

describe('the ledger guards the contract', () => {
  test('an action reading a failed play is a strategy bug; a failed outcome needs a type', () => {
    const ledger = createLedger(3);
    const r0 = issue(ledger, 'A', 'fresh', []);
    record(ledger, { actionId: r0.id, failed: { type: 'BadRequest', message: 'HTTP 400' } });
    expect(() => issue(ledger, 'A', 'refine', ['r0'])).toThrow(/strategy bug: input "r0" is a failed play/);
    expect(() => issue(ledger, 'A', 'aggregate', ['r0'])).toThrow(/failed play/);
    const r1 = issue(ledger, 'A', 'fresh', []);
    expect(() => record(ledger, { actionId: r1.id, failed: { type: '', message: 'x' } })).toThrow(/without a failure type/);
  });
});

describe('result', () => {
  test('failed plays are listed apart with their place in the order; best and curve over scored ones', async () => {
    // random, N = 4: r1 fails. Curve: 1 → best 1; r1 is a generation that changes nothing; r2 → 3.
    const log = await drive(createRandomStrategy({ agent: 'B', budget: 4 }), 4, {
      reward: scripted({ r0: 1, r2: 3, r3: 2 }),
      fail: failing(['r1']),
    });
    expect(log.result.responses.map((r) => [r.id, r.order])).toEqual([
      ['r0', 0],
      ['r2', 2],
      ['r3', 3],
    ]);
    expect(log.result.failedPlays).toEqual([
      {
        id: 'r1',
        agent: 'B',
        kind: 'fresh',
        inputs: [],
        order: 1,
        error: { type: 'BadRequest', message: 'r1 failed (scripted)' },
      },
    ]);
    expect([log.result.bestId, log.result.bestReward]).toEqual(['r2', 3]);
    expect(log.result.anytime).toEqual(
      curve([
        [1, 1],
        [2, 1],
        [3, 3],
        [4, 3],
      ]),
    );
  });

  test('the anytime curve starts at the first reward: there is no best before it', async () => {
    // ensemble K = 2, N = 4: r0 (A) and r1 (B) fail.
    const log = await drive(createEnsembleStrategy({ agents: ['A', 'B'], budget: 4 }), 4, {
      reward: scripted({ r2: 5, r3: 4 }),
      fail: failing(['r0', 'r1']),
      pick: (o) => o.length - 1, // completion order does not matter: the curve is in issue order
    });
    expect(log.result.anytime).toEqual(
      curve([
        [3, 5],
        [4, 5],
      ]),
    );
    expect(anytimeCurve([null, null])).toEqual([]);
  });

  test('every play failed: the result is an error naming the failure types (the most frequent first on the error)', async () => {
    const run = drive(createRandomStrategy({ agent: 'A', budget: 3 }), 3, {
      reward: scripted({}),
      fail: (a) => (a.id === 'r1' ? 'MalformedResponse' : 'BadRequest'),
    });
    await expect(run).rejects.toThrow(
      /^every play failed: BadRequest ×2, MalformedResponse ×1 \(first: r0 failed \(scripted\)\)$/,
    );
    await expect(run).rejects.toBeInstanceOf(EveryPlayFailedError);
    await expect(run).rejects.toMatchObject({ type: 'BadRequest' });
  });
});

describe('TOA', () => {
  function node(s: ReturnType<typeof createToaStrategy>, id: string): ToaNode {
    const n = s.tree().nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  test('a failed play backs up the floor 0 from its model node; no response node; width counts real responses', async () => {
    // The worked example of docs/algorithm.md (K = 3, width 3, alpha 0, tau 1), with p1 failing.
    // p0: m0 (A) +inf -> "A fresh" r0 (σ0 = .5); r0 gets refine children m3 m4 m5.
    // p1: m0 .5, m1 +inf -> "B fresh" r1: FAILS. No response node; m1 and the root get visit + 1
    //     and reward 0: m1 = (2, [0]), failedPlays [r1].
    // p2: m0 .5, m1 0, m2 +inf -> "C fresh" r2 (σ(-1) = .2689); refine children m6 m7 m8.
    // p3: m0 .5 best. Layer 1 holds 2 responses (r0, r2; the failed play does not count) < 3:
    //     m0 is not fully expanded -> "A fresh" again = r3 (σ1 = .7311); children m9 m10 m11.
    // p4: m0 (.5 + .7311)/2 = .6155 best; layer 1 full -> fully expanded -> top-1 r3 (.7311 > .5);
    //     r3 visits 1 -> lazy fresh m12 m13 m14 copying m0 (3, [.5, .7311]), m1 (2, [0]),
    //     m2 (2, [.2689]); m9 +inf first -> "A refine r3" = r4.
    // (Without the failure, p3 was "A refine r1": docs/algorithm.md, "A worked example".)
    const s = createToaStrategy({ agents: ['A', 'B', 'C'], budget: 5, alpha: 0, tau: 1, width: 3 });
    const log = await drive(s, 5, { reward: scripted({ r0: 0, r2: -1, r3: 1, r4: 3 }), fail: failing(['r1']) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 B fresh', 'r2 C fresh', 'r3 A fresh', 'r4 A refine r3']);
    const m1 = node(s, 'm1');
    expect([m1.visits, m1.rewards, m1.failedPlays, m1.children]).toEqual([2, [0], ['r1'], []]);
    const root = node(s, 'root');
    expect(root.visits).toBe(6);
    expect(root.rewards).toEqual([0.5, 0, σ(-1), σ(1), σ(3)].map((x) => expect.closeTo(x, 12)));
    expect(
      s
        .tree()
        .nodes.filter((n) => n.type === 'response')
        .map((n) => n.id),
    ).toEqual(['r0', 'r2', 'r3', 'r4']);
    expect(s.tree().responsesPerLayer).toEqual([0, 3, 1]);
    // The lazy fresh B node under r3 copies m1's statistics (the 0 included), not its failed plays.
    expect([node(s, 'm13').agent, node(s, 'm13').visits, node(s, 'm13').rewards, node(s, 'm13').failedPlays]).toEqual([
      'B',
      2,
      [0],
      undefined,
    ]);
    for (const n of s.tree().nodes) expect(n.visits).toBe(1 + n.rewards.length);
    const json = log.result.tree!;
    expect(json.nodes.find((n) => n.id === 'm1')!.failedPlays).toEqual(['r1']);
    expect(json.nodes.filter((n) => n.failedPlays)).toHaveLength(1);
    expect(log.result.failedPlays!.map((f) => f.id)).toEqual(['r1']);
    expect([log.result.bestId, log.result.bestReward]).toEqual(['r4', 3]);
  });

  test('with plays in flight, a failed play removes its virtual loss before backing up 0', async () => {
    const s = createToaStrategy({ agents: ['A', 'B'], budget: 6, alpha: 0.1, tau: 1, width: 2, parallelPlays: 3 });
    const log = await drive(s, 6, {
      reward: (a) => Number(a.id.slice(1)) / 10,
      fail: failing(['r0', 'r3']),
      pick: (o) => o.length - 1,
    });
    expect(log.actions).toHaveLength(6);
    for (const n of s.tree().nodes) {
      expect(n.pending).toBe(0);
      expect(n.visits).toBe(1 + n.rewards.length);
    }
    expect(s.tree().pendingPerLayer.every((x) => x === 0)).toBe(true);
    expect(
      s
        .tree()
        .nodes.flatMap((n) => n.failedPlays ?? [])
        .sort(),
    ).toEqual(['r0', 'r3']);
  });
});

describe('baselines', () => {
  test('PRS: the best of the first layer among its scored responses is refined', async () => {
    // N = 5: first layer r0 r1 (floor(5/2) = 2); r0 (the higher reward, had it been scored) fails.
    const log = await drive(createPrsStrategy({ agent: 'A', budget: 5 }), 5, {
      reward: scripted({ r1: 0.2, r2: 1, r3: 1, r4: 1 }),
      fail: failing(['r0']),
    });
    expect(log.batches.map((b) => b.map(show))).toEqual([
      ['r0 A fresh', 'r1 A fresh'],
      ['r2 A refine r1', 'r3 A refine r1', 'r4 A refine r1'],
    ]);
  });

  test('PRS: a first layer that failed entirely leaves nothing to refine: the second phase answers fresh', async () => {
    const log = await drive(createPrsStrategy({ agent: 'A', budget: 4 }), 4, {
      reward: scripted({ r2: 1, r3: 2 }),
      fail: failing(['r0', 'r1']),
    });
    expect(log.batches.map((b) => b.map(show))).toEqual([
      ['r0 A fresh', 'r1 A fresh'],
      ['r2 A fresh', 'r3 A fresh'],
    ]);
    expect(log.result.bestId).toBe('r3');
  });

  test('sequential: after a failed step the next agent of the round answers fresh', async () => {
    // K = 3, N = 6: two rounds, issued side by side; FIFO completion. r0 (round 0, step 0) fails.
    const agents = ['A', 'B', 'C'];
    const [o0, o1] = sequentialRounds(agents, 6, 11) as [string[], string[]];
    const log = await drive(createSequentialStrategy({ agents, budget: 6, seed: 11 }), 6, {
      reward: scripted({ r1: 0.1, r2: 0.2, r3: 0.3, r4: 0.4, r5: 0.5 }),
      fail: failing(['r0']),
    });
    expect(log.actions.map(show)).toEqual([
      `r0 ${o0[0]} fresh`,
      `r1 ${o1[0]} fresh`,
      `r2 ${o0[1]} fresh`, // its input r0 failed
      `r3 ${o1[1]} refine r1`,
      `r4 ${o0[2]} refine r2`,
      `r5 ${o1[2]} refine r3`,
    ]);
  });

  test('MoA: an aggregate layer reads the scored responses of the layer before; none scored -> fresh', async () => {
    // K = 3, 3 layers, N = 9. Layer 1: r0 r1 r2 fresh, r1 fails -> layer 2 aggregates r0 r2.
    const one = await drive(createMoaStrategy({ agents: ['A', 'B', 'C'], budget: 9, layers: 3 }), 9, {
      reward: () => 0.5,
      fail: failing(['r1']),
    });
    expect(one.batches.map((b) => b.map(show))).toEqual([
      ['r0 A fresh', 'r1 B fresh', 'r2 C fresh'],
      ['r3 A aggregate r0 r2', 'r4 B aggregate r0 r2', 'r5 C aggregate r0 r2'],
      ['r6 A aggregate r3 r4 r5', 'r7 B aggregate r3 r4 r5', 'r8 C aggregate r3 r4 r5'],
    ]);
    // Layer 1 failed entirely: layer 2 answers fresh, layer 3 aggregates it.
    const none = await drive(createMoaStrategy({ agents: ['A', 'B', 'C'], budget: 9, layers: 3 }), 9, {
      reward: () => 0.5,
      fail: failing(['r0', 'r1', 'r2']),
    });
    expect(none.batches.map((b) => b.map(show))).toEqual([
      ['r0 A fresh', 'r1 B fresh', 'r2 C fresh'],
      ['r3 A fresh', 'r4 B fresh', 'r5 C fresh'],
      ['r6 A aggregate r3 r4 r5', 'r7 B aggregate r3 r4 r5', 'r8 C aggregate r3 r4 r5'],
    ]);
  });
});

describe('AB-MCTS', () => {
  test('a failed play scores 0 in every arm its score would reach, and adds no node', async () => {
    // One agent A; a prior so tight that the Thompson draws decide like the posterior means
    // (κ·m + Σ)/(κ + n), m = .5, κ = 1 (as in abmcts.test.ts).
    // p0: root without children -> "A fresh" r0 (.9). root.GEN {.9}.
    // p1: root GEN {.9} = .7 vs CONT {} = .5 -> GEN -> "A fresh" r1: FAILS -> root.GEN {.9, 0}; no node.
    // p2: GEN (.5 + .9)/3 = .467 vs CONT .5 -> CONT -> r0 (its only child), a leaf -> "A refine r0" r2:
    //     FAILS -> r0.GEN {0}, r0's arm {.9, 0}, root.CONT {0}.
    // p3: GEN .467 vs CONT {0} = .25 -> GEN -> "A fresh" r3 (.6).
    const prior = { dist: 'gaussian' as const, prior: { m: 0.5, kappa: 1, nu: 1e6, tauSquare: 1e-6 } };
    const s = createAbmctsStrategy({ agents: ['A'], budget: 4, seed: 2, prior, rewardRange: [0, 1] });
    const log = await drive(s, 4, { reward: scripted({ r0: 0.9, r3: 0.6 }), fail: failing(['r1', 'r2']) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 A fresh', 'r2 A refine r0', 'r3 A fresh']);
    const byId = Object.fromEntries(s.nodes().map((n) => [n.id, n]));
    expect(Object.keys(byId)).toEqual(['root', 'r0', 'r3']);
    expect(byId.root!.gen).toEqual({ n: 3, sum: expect.closeTo(1.5, 12), sumSq: expect.closeTo(0.81 + 0.36, 12) });
    expect(byId.root!.cont).toEqual({ n: 1, sum: 0, sumSq: 0 });
    expect(byId.r0!.gen).toEqual({ n: 1, sum: 0, sumSq: 0 });
    expect(byId.r0!.self.n).toBe(2);
    expect(s.agentScores().A).toEqual([0.9, 0, 0, 0.6]);
    expect(log.result.failedPlays!.map((f) => f.id)).toEqual(['r1', 'r2']);
  });
});

describe('TOA+', () => {
  test('a failed refinement counts as the lowest reward seen (a negative gain): the next step aggregates instead', async () => {
    // A, B (as the first case of toaPlus.test.ts): r0 A fresh .5, r1 B fresh .4, then "A refine r0"
    // = r2 FAILS: it counts as the lowest reward so far, .4, i.e. a gain of .4 − .5 = −.1.
    // Step 4: B = .5 (r0). Refine: pooled gains [−.1], τ² .0025 (fresh variance, < 2 gains):
    //   κ' 2, m' −.1, ν' 3, τ²' .00167, sd .05, mean .4 -> EI = .05·φ(−2) − .1·Φ(−2) = .0004.
    //   Aggregate (no gains: mean .5, sd .0707): EI = .0707·φ(0) = .0282. Fresh: .0062.
    //   -> aggregate; both agents' aggregate arms empty -> A: "A aggregate r0 r1" (each agent's best).
    const s = createToaPlusStrategy({ agents: ['A', 'B'], budget: 4, seed: 0 });
    const log = await drive(s, 4, { reward: scripted({ r0: 0.5, r1: 0.4, r3: 0.6 }), fail: failing(['r2']) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 B fresh', 'r2 A refine r0', 'r3 A aggregate r0 r1']);
    expect(s.arms().A!.refine.values).toEqual([expect.closeTo(-0.1, 12)]);
  });

  test('plays that fail before any reward get the first reward observed; until then the step is fresh, fewest fresh plays first', async () => {
    // A, B: r0 (A) and r1 (B) fail in the warm-up; nothing is scored, so step 3 is fresh from the
    // warm-up agent with the fewest fresh plays (A and B have one each: A). r2 = .4 is the first
    // reward: A's fresh arm gets it, then r0 and r1 get it too (the lowest reward, the only one).
    const s = createToaPlusStrategy({ agents: ['A', 'B'], budget: 3, seed: 0 });
    const log = await drive(s, 3, { reward: scripted({ r2: 0.4 }), fail: failing(['r0', 'r1']) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 B fresh', 'r2 A fresh']);
    expect(s.arms().A!.fresh.values).toEqual([0.4, 0.4]);
    expect(s.arms().B!.fresh.values).toEqual([0.4]);
  });
});

test('replay: the trace and the outcomes, failed ones included, rebuild the same result', async () => {
  const make = () =>
    createToaStrategy({ agents: ['A', 'B', 'C'], budget: 8, alpha: 0.05, tau: 1, width: 'third', parallelPlays: 2 });
  const opts = { reward: (a: { id: string }) => (Number(a.id.slice(1)) * 7) % 5, fail: failing(['r1', 'r4']) };
  const log = await drive(make(), 8, opts);
  expect(await replaySearch(make(), log.trace, (a) => scriptedOutcome(a, opts))).toEqual(log.result);
});
