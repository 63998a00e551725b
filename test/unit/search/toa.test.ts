/**
 * TOA on small hand-worked trees. Notation in the comments:
 *   σ(x) = sigmoid(x) (tau = 1 throughout, so a response's normalised reward is σ(raw));
 *   node ids: m0.. model nodes in creation order, r0.. responses (= action ids);
 *   UCT(m) = mean(rewards) + alpha * sqrt(2 ln(p + 1) / visits), p = plays made so far;
 *   "layer L" = responses L response-levels below the root (root's model nodes make layer 1).
 * Useful values: σ(-2) = 0.1192, σ(-1) = 0.2689, σ(0) = 0.5, σ(1) = 0.7311, σ(2) = 0.8808.
 */
import { createToaStrategy, resolveWidth } from '../../../src/search/toa/strategy';
import { normalizeReward } from '../../../src/search/toa/backup';
import { uct } from '../../../src/search/toa/uct';
import type { ToaNode } from '../../../src/search/toa/tree';
import { drive, scripted, show } from './drive';

const σ = (x: number) => 1 / (1 + Math.exp(-x));

function node(s: ReturnType<typeof createToaStrategy>, id: string): ToaNode {
  const n = s.tree().nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id}`);
  return n;
}

describe('TOA: hand-worked sequences', () => {
  test('unvisited agents in configuration order, top-1 descent, lazy fresh children copy root stats', async () => {
    // K = 3 (A, B, C), width 3, alpha 0, rewards r0..r4 = 0, 2, -1, 1, 3.
    // p0: root's m0(A) m1(B) m2(C) all visits 1, no rewards -> +inf; tie -> m0. Layer 1 has
    //     0 < 3 responses -> m0 not fully expanded -> "A fresh" = r0 (σ0 = .5). r0 gets
    //     refine children m3(A) m4(B) m5(C).
    // p1: m0 = .5, m1 = +inf -> m1 -> "B fresh" = r1 (σ2 = .8808); refine children m6 m7 m8.
    // p2: m2 = +inf -> "C fresh" = r2 (σ(-1) = .2689); refine children m9 m10 m11.
    //     Layer 1 now holds 3 = width responses.
    // p3: root: m0 .5, m1 .8808, m2 .2689 -> m1, fully expanded (root level, layer full, has a
    //     child) -> top-1 response r1. r1 has visits 1 -> lazy fresh m12(A) m13(B) m14(C) with
    //     visits/rewards copied from m0 (2, [.5]), m1 (2, [.8808]), m2 (2, [.2689]).
    //     r1's children: m6 is +inf -> "A refine r1" = r3 (σ1 = .7311).
    // p4: root: m1 mean (.8808+.7311)/2 = .806 still best -> r1 (visits 2, no new children);
    //     m6 .7311, m7 +inf -> "B refine r1" = r4.
    const s = createToaStrategy({ agents: ['A', 'B', 'C'], budget: 5, alpha: 0, tau: 1, width: 3 });
    const log = await drive(s, 5, { reward: scripted([0, 2, -1, 1, 3]) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 B fresh', 'r2 C fresh', 'r3 A refine r1', 'r4 B refine r1']);
    expect(log.batches.every((b) => b.length === 1)).toBe(true);

    const lazy = s.tree().nodes[node(s, 'r1').children[3]!]!;
    expect(node(s, 'r1').children.map((i) => s.tree().nodes[i]!.id)).toEqual(['m6', 'm7', 'm8', 'm12', 'm13', 'm14']);
    expect(lazy.id).toBe('m12');
    expect([node(s, 'm12'), node(s, 'm13'), node(s, 'm14')].map((n) => [n.agent, n.kind, n.visits, n.rewards])).toEqual([
      ['A', 'fresh', 2, [σ(0)]],
      ['B', 'fresh', 2, [σ(2)]],
      ['C', 'fresh', 2, [σ(-1)]],
    ]);
    // A copy, not a shared list: m1 kept learning, m13 did not.
    expect(node(s, 'm1').rewards).toEqual([σ(2), σ(1), σ(3)]);
    expect(node(s, 'm1').visits).toBe(4);
    // Backup from the model node up: m7 -> r1 -> m1 -> root; r4's own stats untouched.
    expect(node(s, 'm7').rewards).toEqual([σ(3)]);
    expect(node(s, 'r1').rewards).toEqual([σ(1), σ(3)]);
    expect(node(s, 'r1').visits).toBe(3);
    expect(node(s, 'r4').visits).toBe(1);
    expect(node(s, 'r4').rewards).toEqual([]);
    expect(node(s, 'root').visits).toBe(6);
    expect(node(s, 'root').rewards).toEqual([0, 2, -1, 1, 3].map(σ));
    // r0 and r2 were never reached with visits == 1 by selection: no lazy children.
    expect(node(s, 'r0').children).toHaveLength(3);
  });

  test('UCT uses the global play count, not the parent visits', async () => {
    // K = 1 (A), width 2, alpha 1, rewards 0, -2, -2, ...
    // p0: m0 +inf, layer 1 empty -> "A fresh" = r0 (.5); r0 gets refine child m1.
    // p1: layer 1 has 1 < 2 -> m0 again -> "A fresh" = r1 (.1192); r1 gets m2.
    // p2: layer 1 full -> m0 fully expanded -> top-1 r0 (.5 > .1192). r0 visits 1 -> lazy m3
    //     (fresh, copy of m0: visits 3, [.5, .1192]). m1 +inf -> "A refine r0" = r2 (.1192).
    // p3 (3 plays made, r0 has visits 2):
    //     m1: .1192 + sqrt(2 ln 4 / 2) = .1192 + 1.1774 = 1.2966
    //     m3: .3096 + sqrt(2 ln 4 / 3) = .3096 + 0.9613 = 1.2710   -> m1: "A refine r0" = r3.
    //     With the parent's visits instead (ln 2): m1 .1192 + .8326 = .9518 < m3 .3096 + .6798
    //     = .9894, which would have chosen "A fresh". The global count is what the spec says.
    const s = createToaStrategy({ agents: ['A'], budget: 4, alpha: 1, tau: 1, width: 2 });
    const log = await drive(s, 4, { reward: scripted([0, -2, -2, -2]) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 A fresh', 'r2 A refine r0', 'r3 A refine r0']);
    expect(node(s, 'm3').kind).toBe('fresh');
    expect(uct(node(s, 'm3'), 3, 1)).toBeCloseTo(0.30961 + Math.sqrt((2 * Math.log(4)) / 3), 4);
  });

  test('width cap and the child-better-than-parent rule (a refine node resamples until it beats its parent)', async () => {
    // K = 1 (A), width 1, alpha 0, rewards 1, 1, 2, 0.
    // p0: m0 -> "A fresh" = r0 (σ1 = .7311); r0 gets refine child m1. Layer 1 is now full.
    // p1: m0 fully expanded -> r0 (visits 1) -> lazy m2 (fresh, copy of m0: 2, [.7311]).
    //     m1 +inf -> layer 2 empty -> "A refine r0" = r1 (σ1, NOT better than r0); r1 gets m3.
    // p2: r0's children m1 (2, [.7311]) and m2 (2, [.7311]) tie -> m1 (first). Layer 2 is full
    //     but no child of m1 beats r0 (.7311 is not > .7311) -> m1 is not fully expanded and
    //     samples again: "A refine r0" = r2 (σ2 = .8808); r2 gets m4.
    // p3: m1 mean .806 > m2 .7311 -> m1, now fully expanded (r2 beats r0) -> top-1 of {r1, r2}
    //     is r2 -> r2 visits 1 -> lazy m5 (copy of m0: 4, [.7311, .7311, .8808]); m4 +inf ->
    //     "A refine r2" = r3.
    const s = createToaStrategy({ agents: ['A'], budget: 4, alpha: 0, tau: 1, width: 1 });
    const log = await drive(s, 4, { reward: scripted([1, 1, 2, 0]) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 A refine r0', 'r2 A refine r0', 'r3 A refine r2']);
    expect(node(s, 'm5').visits).toBe(4);
    expect(node(s, 'm5').rewards).toEqual([σ(1), σ(1), σ(2)]);
    expect(s.tree().responsesPerLayer).toEqual([0, 1, 2, 1]);
    expect(node(s, 'm4').layer).toBe(3);
  });

  test('a lazy fresh child also resamples (fresh call) while no child beats the response above it', async () => {
    // K = 1, width 1, alpha 0, rewards 2, 0, -1, -1.
    // p0: "A fresh" = r0 (.8808). p1: r0 lazy m2 = copy m0 (2, [.8808]); m1 +inf -> "A refine r0"
    //     = r1 (.5). p2: m1 .5 < m2 .8808 -> m2: layer 2 full, no children -> not fully expanded
    //     -> "A fresh" (a fresh call; its response sits in layer 2) = r2 (σ(-1) = .2689).
    // p3: m1 .5, m2 mean(.8808, .2689) = .5749 -> m2: child r2 does not beat r0 -> samples
    //     again: "A fresh" = r3.
    const s = createToaStrategy({ agents: ['A'], budget: 4, alpha: 0, tau: 1, width: 1 });
    const log = await drive(s, 4, { reward: scripted([2, 0, -1, -1]) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 A refine r0', 'r2 A fresh', 'r3 A fresh']);
    expect(node(s, 'r2').layer).toBe(2);
    expect(s.tree().nodes[node(s, 'r3').parent]!.id).toBe('m2');
  });

  test('width < K: a root-level model node with no children is not fully expanded', async () => {
    // K = 2 (A, B), width 1, alpha 0, rewards 0, 1, 0.
    // p0: m0 +inf -> "A fresh" = r0 (.5); refine children m2(A) m3(B). Layer 1 is full.
    // p1: m0 .5, m1 +inf -> m1. Layer full, but m1 has no children: the authors' code would
    //     descend into it and fail; treated as not fully expanded -> "B fresh" = r1 (.7311).
    // p2: m1 .7311 > m0 .5 -> m1 fully expanded -> r1 -> lazy m6(A) m7(B); m4 (A refine r1) is
    //     +inf -> "A refine r1" = r2.
    const s = createToaStrategy({ agents: ['A', 'B'], budget: 3, alpha: 0, tau: 1, width: 1 });
    const log = await drive(s, 3, { reward: scripted([0, 1, 0]) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 B fresh', 'r2 A refine r1']);
  });

  test('result: responses with normalised rewards, best = argmax raw (first on ties), the tree as JSON', async () => {
    // K = 2, N = 2, width 'third' = floor(2/3) = 0: every layer is "full" from the start, so the
    // root's childless model nodes are expanded (width < K rule): "A fresh", then "B fresh".
    const s = createToaStrategy({ agents: ['A', 'B'], budget: 2, alpha: 0.01, tau: 0.1, width: 'third' });
    expect(s.width).toBe(0);
    const log = await drive(s, 2, { reward: scripted([0.2, 0.2]) });
    expect(log.actions.map(show)).toEqual(['r0 A fresh', 'r1 B fresh']);
    const r = log.result;
    expect(r.method).toBe('toa');
    expect(r.bestId).toBe('r0');
    expect(r.bestReward).toBe(0.2);
    expect(r.anytime).toBeUndefined();
    const n = normalizeReward(0.2, 0.1);
    expect(n).toBeCloseTo(σ(2), 12);
    expect(r.responses.map((x) => [x.id, x.agent, x.kind, x.order, x.reward, x.normalizedReward])).toEqual([
      ['r0', 'A', 'fresh', 0, 0.2, n],
      ['r1', 'B', 'fresh', 1, 0.2, n],
    ]);
    expect(r.tree).toEqual({
      nodes: [
        { id: 'root', type: 'root', visits: 3, rewards: [n, n], value: n, layer: 0 },
        { id: 'm0', type: 'model', parent: 'root', agent: 'A', kind: 'fresh', visits: 2, rewards: [n], value: n, layer: 1 },
        { id: 'm1', type: 'model', parent: 'root', agent: 'B', kind: 'fresh', visits: 2, rewards: [n], value: n, layer: 1 },
        {
          id: 'r0',
          type: 'response',
          parent: 'm0',
          responseId: 'r0',
          reward: 0.2,
          normalizedReward: n,
          visits: 1,
          rewards: [],
          value: 0,
          layer: 1,
        },
        { id: 'm2', type: 'model', parent: 'r0', agent: 'A', kind: 'refine', visits: 1, rewards: [], value: 0, layer: 2 },
        { id: 'm3', type: 'model', parent: 'r0', agent: 'B', kind: 'refine', visits: 1, rewards: [], value: 0, layer: 2 },
        {
          id: 'r1',
          type: 'response',
          parent: 'm1',
          responseId: 'r1',
          reward: 0.2,
          normalizedReward: n,
          visits: 1,
          rewards: [],
          value: 0,
          layer: 1,
        },
        { id: 'm4', type: 'model', parent: 'r1', agent: 'A', kind: 'refine', visits: 1, rewards: [], value: 0, layer: 2 },
        { id: 'm5', type: 'model', parent: 'r1', agent: 'B', kind: 'refine', visits: 1, rewards: [], value: 0, layer: 2 },
      ],
      edges: [
        ['root', 'm0'],
        ['root', 'm1'],
        ['m0', 'r0'],
        ['r0', 'm2'],
        ['r0', 'm3'],
        ['m1', 'r1'],
        ['r1', 'm4'],
        ['r1', 'm5'],
      ],
    });
    // Plain data: survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  test('a numeric width attaches an anytime curve (each prefix is a smaller-budget run)', async () => {
    const rewards = [0, 2, -1, 1, 3];
    const full = await drive(createToaStrategy({ agents: ['A', 'B'], budget: 5, alpha: 0.1, tau: 1, width: 2 }), 5, {
      reward: scripted(rewards),
    });
    expect(full.result.anytime).toEqual([0, 2, 2, 2, 3].map((b, i) => ({ generations: i + 1, bestReward: b })));
    const small = await drive(createToaStrategy({ agents: ['A', 'B'], budget: 3, alpha: 0.1, tau: 1, width: 2 }), 3, {
      reward: scripted(rewards),
    });
    expect(small.actions).toEqual(full.actions.slice(0, 3));
  });

  test('width rules', async () => {
    expect(resolveWidth('third', 160)).toBe(53);
    expect(resolveWidth('half', 161)).toBe(80);
    expect(resolveWidth(7, 160)).toBe(7);
    expect(() => resolveWidth(0, 10)).toThrow(/width/);
  });
});

describe('TOA: parallel plays (virtual loss)', () => {
  test('P = 1 is the faithful algorithm: identical to the default', async () => {
    const rewards = [0.3, -0.2, 0.9, 0.1, 0.5, 0.4, -1, 2, 0.7, 0.6, 0.2, 0.3];
    const a = await drive(createToaStrategy({ agents: ['A', 'B', 'C'], budget: 12, alpha: 0.05, tau: 1, width: 4 }), 12, {
      reward: scripted(rewards),
    });
    const b = await drive(
      createToaStrategy({ agents: ['A', 'B', 'C'], budget: 12, alpha: 0.05, tau: 1, width: 4, parallelPlays: 1 }),
      12,
      { reward: scripted(rewards) },
    );
    expect(b.actions).toEqual(a.actions);
    expect(b.result).toEqual(a.result);
    expect(a.maxInFlight).toBe(1);
  });

  test('P = 2: a pending play counts as a visit with reward 0, so the second play picks another action', async () => {
    // p0: m0 +inf -> "A fresh" (pending: m0 now has visits 1 + 1 virtual, mean 0 -> finite).
    // p1 (no outcome yet): m0 = 0 + 0.1 * sqrt(2 ln 2 / 2) = 0.083, m1 +inf -> "B fresh".
    // Both come back in the first next() call. After r0 (σ1) is observed, one slot is free:
    // p2: m0 .7311 + .1 sqrt(2 ln 3 / 2) = .836; m1 has visits 1 + 1 virtual, mean 0 -> .105
    //     -> "A fresh" again (layer 1 has 1 response + 1 pending < width 4).
    const s = createToaStrategy({ agents: ['A', 'B'], budget: 3, alpha: 0.1, tau: 1, width: 4, parallelPlays: 2 });
    const log = await drive(s, 3, { reward: scripted([1, 0, 0]) });
    expect(log.batches.map((b) => b.map(show))).toEqual([['r0 A fresh', 'r1 B fresh'], ['r2 A fresh']]);
    expect(log.maxInFlight).toBe(2);
    expect(s.tree().nodes.every((n) => n.pending === 0)).toBe(true);
    expect(s.tree().pendingPerLayer.every((n) => n === 0)).toBe(true);
  });

  test('rejects bad options', async () => {
    expect(() => createToaStrategy({ agents: ['A'], budget: 3, alpha: 0, tau: 1, width: 1, parallelPlays: 0 })).toThrow(
      /parallelPlays/,
    );
    expect(() => createToaStrategy({ agents: ['A'], budget: 3, alpha: 0, tau: 0, width: 1 })).toThrow(/tau/);
    expect(() => createToaStrategy({ agents: [], budget: 3, alpha: 0, tau: 1, width: 1 })).toThrow(/agent/);
  });
});
