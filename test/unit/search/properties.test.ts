/**
 * Property-based tests over random K, N, reward streams, completion orders and (for TOA)
 * parallel plays. The driver (drive.ts) already checks: next() never exceeds the remaining
 * budget, ids are unique, and every input was observed before it is used.
 */
import fc from 'fast-check';
import type { MethodSpec } from '../../../src/config/schema';
import { methodSchema } from '../../../src/config/methodSchema';
import { createStrategy } from '../../../src/search';
import { replaySearch } from '../../../src/search/driver';
import { createToaStrategy } from '../../../src/search/toa/strategy';
import type { ToaTree } from '../../../src/search/toa/tree';
import { createPrng } from '../../../src/search/prng';
import type { Action } from '../../../src/search/types';
import { drive, scriptedOutcome } from './drive';

const AGENTS = ['a0', 'a1', 'a2', 'a3', 'a4'];

const methodArb: fc.Arbitrary<MethodSpec> = fc.oneof(
  fc.record({
    type: fc.constant('toa' as const),
    alpha: fc.constantFrom(0, 0.01, 0.1, 1),
    tau: fc.constantFrom(0.1, 1),
    width: fc.oneof(fc.constantFrom('third' as const, 'half' as const), fc.integer({ min: 1, max: 10 })),
    parallelPlays: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ type: fc.constant('random' as const), agent: fc.constant('a0') }),
  fc.record({ type: fc.constant('prs' as const), agent: fc.constant('a0') }),
  fc.record({ type: fc.constant('ensemble' as const) }),
  fc.record({ type: fc.constant('sequential' as const) }),
  fc.record({ type: fc.constant('moa' as const), layers: fc.integer({ min: 1, max: 4 }) }),
);

const caseArb = fc.record({
  method: methodArb,
  k: fc.integer({ min: 1, max: 5 }),
  n: fc.integer({ min: 1, max: 40 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  // A small reward alphabet makes ties (and the first-on-ties rules) common.
  rewards: fc.array(fc.oneof(fc.constantFrom(-1, 0, 0.5, 1), fc.double({ min: -3, max: 3, noNaN: true }).map((x) => x + 0 /* -0 → 0: rewards are compared with Object.is */)), {
    minLength: 40,
    maxLength: 40,
  }),
  orderSeed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  fifo: fc.boolean(),
});

/** Which plays fail, by action index: none, about one in ten or half of them; r0 never (so there is a result). */
const failuresArb = fc
  .tuple(fc.constantFrom(0, 1, 5), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 40, maxLength: 40 }))
  .map(([tenths, draws]) => draws.map((d, i) => i > 0 && d < tenths));

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

async function run(c: Case) {
  const agents = AGENTS.slice(0, c.k);
  const order = createPrng(c.orderSeed);
  const s = createStrategy(c.method, { agents, budget: c.n, seed: c.seed });
  const reward = (a: Action) => c.rewards[Number(a.id.slice(1))]!;
  const log = await drive(s, c.n, { reward, pick: c.fifo ? () => 0 : (o) => Math.floor(order.next() * o.length) });
  return { s, log, agents, reward };
}

test('every method: exactly N generations, known agents, best = argmax raw (first in order on ties)', async () => {
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      const { log, agents, reward } = await run(c);
      expect(log.actions).toHaveLength(c.n);
      expect(log.actions.map((a) => a.id)).toEqual(Array.from({ length: c.n }, (_, i) => `r${i}`));
      expect(log.actions.every((a) => agents.includes(a.agent))).toBe(true);
      const r = log.result;
      expect(r.responses.map((x) => x.id)).toEqual(log.observed);
      expect(r.responses.map((x) => x.reward)).toEqual(log.observed.map((id) => reward(log.actions[Number(id.slice(1))]!)));
      const max = Math.max(...r.responses.map((x) => x.reward));
      expect(r.bestReward).toBe(max);
      expect(r.bestId).toBe(r.responses.find((x) => x.reward === max)!.id);
      for (const a of log.actions) {
        if (a.kind === 'fresh') expect(a.inputs).toEqual([]);
        if (a.kind === 'refine') expect(a.inputs).toHaveLength(1);
        if (a.kind === 'aggregate') expect(a.inputs).toHaveLength(c.k);
      }
      if (c.method.type === 'toa') expect(log.maxInFlight).toBeLessThanOrEqual(c.method.parallelPlays);
      if (c.method.type === 'random' || c.method.type === 'ensemble') {
        // Anytime: best so far in issue order.
        let best = -Infinity;
        expect(r.anytime).toEqual(
          log.actions.map((a, i) => ({ generations: i + 1, bestReward: (best = Math.max(best, reward(a))) })),
        );
      }
    }),
    { numRuns: 400 },
  );
});

/** Observation position of each response id. */
function positions(observed: string[]): Map<string, number> {
  return new Map(observed.map((id, i) => [id, i]));
}

/** Plain assertion: cheaper than expect() inside loops over hundreds of nodes per run. */
function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function checkTree(tree: ToaTree, observed: string[], n: number, failed: readonly string[] = []): void {
  const pos = positions(observed);
  const nodes = tree.nodes;
  const responses = nodes.filter((x) => x.type === 'response');
  check(responses.length === n - failed.length, 'one response node per scored generation');
  const failedInTree = nodes.flatMap((x) => x.failedPlays ?? []);
  check(same([...failedInTree].sort().map((id) => pos.get(id)!), [...failed].sort().map((id) => pos.get(id)!)), 'every failed play on its model node');
  check(nodes.every((x) => x.failedPlays === undefined || x.type === 'model'), 'failed plays only on model nodes');
  // What was backed up below each node: its responses' normalised rewards and its failed plays'
  // 0 (children are always created after their parent, so one reverse pass over creation order
  // collects subtrees bottom-up).
  // A failed play's 0 is backed up from its own model node, a response's reward from its parent.
  const below: Array<Array<{ id: string; value: number }>> = nodes.map((x) => (x.failedPlays ?? []).map((id) => ({ id, value: 0 })));
  for (let i = nodes.length - 1; i > 0; i--) {
    const node = nodes[i]!;
    const mine = node.type === 'response' ? [{ id: node.id, value: node.normalizedReward! }] : [];
    below[node.parent]!.push(...mine, ...below[i]!);
  }
  const rootModels = nodes[0]!.children;
  nodes.forEach((node, i) => {
    check(node.pending === 0, `${node.id}: virtual loss left behind`);
    // visits start at 1 and every appended reward came with one visit, copies included.
    check(node.visits === 1 + node.rewards.length, `${node.id}: visits ${node.visits} vs ${node.rewards.length} rewards`);
    const own = below[i]!.slice()
      .sort((a, b) => pos.get(a.id)! - pos.get(b.id)!)
      .map((x) => x.value);
    const cut = node.rewards.length - own.length;
    check(cut >= 0, `${node.id}: fewer rewards than responses below`);
    // The tail of every node's reward list is exactly its subtree's responses, in observation order.
    check(same(node.rewards.slice(cut), own), `${node.id}: rewards tail != subtree responses and failed plays`);
    const prior = node.rewards.slice(0, cut);
    const lazyFresh = node.type === 'model' && node.kind === 'fresh' && nodes[node.parent]!.type === 'response';
    if (lazyFresh) {
      // The head is a copy of the root's model node of the same agent, as it was back then.
      const rootTwin = nodes[rootModels[tree.agents.indexOf(node.agent!)]!]!;
      check(same(rootTwin.rewards.slice(0, prior.length), prior), `${node.id}: prior is not a copy of the root twin`);
    } else {
      check(prior.length === 0, `${node.id}: unexpected prior`);
    }
    if (node.type === 'response') {
      const k = tree.agents.length;
      check(node.children.length === k || node.children.length === 2 * k, `${node.id}: K or 2K children`);
      check(node.layer === nodes[node.parent]!.layer, `${node.id}: layer of its model node`);
    }
    if (node.type === 'model') check(node.layer === nodes[node.parent]!.layer + 1, `${node.id}: layer`);
  });
  const perLayer: number[] = [0];
  for (const r of responses) perLayer[r.layer] = (perLayer[r.layer] ?? 0) + 1;
  expect(tree.responsesPerLayer).toEqual(Array.from(perLayer, (x) => x ?? 0));
}

test('TOA: tree statistics are consistent (visits, rewards, copied priors, layers, failed plays), for any P', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 4 }),
      fc.oneof(fc.constantFrom('third' as const, 'half' as const), fc.integer({ min: 1, max: 8 })),
      fc.constantFrom(0, 0.05, 1),
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 40, maxLength: 40 }),
      fc.integer({ min: 0, max: 1000 }),
      // Plays that fail (onPlayFailure: continue); r0 never does, so there is always a result.
      failuresArb,
      async (k, n, p, width, alpha, rewards, orderSeed, fails) => {
        const s = createToaStrategy({ agents: AGENTS.slice(0, k), budget: n, alpha, tau: 0.5, width, parallelPlays: p });
        const order = createPrng(orderSeed);
        const log = await drive(s, n, {
          reward: (a) => rewards[Number(a.id.slice(1))]!,
          fail: (a) => (fails[Number(a.id.slice(1))] ? 'BadRequest' : undefined),
          pick: (o) => Math.floor(order.next() * o.length),
        });
        checkTree(s.tree(), log.observed, n, log.failed);
        const json = log.result.tree!;
        expect(json.nodes).toHaveLength(s.tree().nodes.length);
        expect(json.edges).toHaveLength(json.nodes.length - 1);
        const ids = new Set(json.nodes.map((x) => x.id));
        expect(ids.size).toBe(json.nodes.length);
        expect(json.edges.every(([a, b]) => ids.has(a) && ids.has(b))).toBe(true);
        // Refine actions refine the response their model node hangs under.
        const byId = new Map(s.tree().nodes.map((x) => [x.id, x]));
        const failedOn = new Map(s.tree().nodes.flatMap((x, i) => (x.failedPlays ?? []).map((id) => [id, i] as const)));
        for (const a of log.actions) {
          const model = s.tree().nodes[failedOn.get(a.id) ?? byId.get(a.id)!.parent]!;
          expect(model.agent).toBe(a.agent);
          expect(model.kind).toBe(a.kind);
          expect(a.inputs).toEqual(a.kind === 'refine' ? [s.tree().nodes[model.parent]!.id] : []);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('TOA: P = 1 with a fixed width is prefix-consistent (a budget-b run is the first b plays)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 2, max: 30 }),
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 30, maxLength: 30 }),
      async (k, n, width, rewards) => {
        const b = 1 + (n >> 1);
        const reward = (a: Action) => rewards[Number(a.id.slice(1))]!;
        const mk = (budget: number) => createToaStrategy({ agents: AGENTS.slice(0, k), budget, alpha: 0.05, tau: 1, width });
        const big = await drive(mk(n), n, { reward });
        const small = await drive(mk(b), b, { reward });
        expect(small.actions).toEqual(big.actions.slice(0, b));
        expect(small.result.anytime).toEqual(big.result.anytime!.slice(0, b));
      },
    ),
    { numRuns: 200 },
  );
});

test('ensemble: any budget-b run is the first b generations of a budget-N run', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), async (k, n, b0) => {
      const b = Math.min(b0, n);
      const agents = AGENTS.slice(0, k);
      const big = await drive(createStrategy({ type: 'ensemble' }, { agents, budget: n, seed: 0 }), n, { reward: (a) => Number(a.id.slice(1)) % 7 });
      const small = await drive(createStrategy({ type: 'ensemble' }, { agents, budget: b, seed: 0 }), b, { reward: (a) => Number(a.id.slice(1)) % 7 });
      expect(small.actions).toEqual(big.actions.slice(0, b));
      // Per-agent counts differ by at most one, the extra ones going to the first agents.
      const counts = agents.map((ag) => big.actions.filter((a) => a.agent === ag).length);
      expect(counts).toEqual(agents.map((_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0)));
    }),
    { numRuns: 200 },
  );
});

test('failed plays, every method: exactly N plays, none is read or best, orders and replay hold; all failed = a clear error', async () => {
  const methods = fc.oneof(
    methodArb,
    fc.constant(methodSchema.parse({ type: 'abmcts' })),
    fc.constant(methodSchema.parse({ type: 'abmcts', dist: 'beta' })),
    fc.constant(methodSchema.parse({ type: 'toa-plus' })),
    fc.constant(methodSchema.parse({ type: 'toa-plus', explore: 'thompson', levels: 'agent' })),
  );
  const fails = fc
    .tuple(fc.constantFrom(1, 5, 10), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 40, maxLength: 40 }))
    .map(([tenths, draws]) => draws.map((d) => d < tenths));
  await fc.assert(
    fc.asyncProperty(caseArb, methods, fails, async (c0, method, failed) => {
      const c = { ...c0, method };
      const agents = AGENTS.slice(0, c.k);
      const order = createPrng(c.orderSeed);
      const reward = (a: Action) => c.rewards[Number(a.id.slice(1))]!;
      const fail = (a: Action) => (failed[Number(a.id.slice(1))] ? (Number(a.id.slice(1)) % 2 ? 'BadRequest' : 'MalformedResponse') : undefined);
      const make = () => createStrategy(c.method, { agents, budget: c.n, seed: c.seed });
      const opts = { reward, fail, pick: c.fifo ? () => 0 : (o: readonly Action[]) => Math.floor(order.next() * o.length) };
      if (failed.slice(0, c.n).every(Boolean)) {
        await expect(drive(make(), c.n, opts)).rejects.toThrow(/^every play failed: (MalformedResponse|BadRequest) ×\d+/);
        return;
      }
      const log = await drive(make(), c.n, opts);
      const r = log.result;
      expect(log.actions.map((a) => a.id)).toEqual(Array.from({ length: c.n }, (_, i) => `r${i}`));
      const failedIds = new Set(log.failed);
      expect([...failedIds].sort()).toEqual(log.actions.filter((a) => fail(a)).map((a) => a.id).sort());
      // No action reads a failed play (drive checks it as actions are issued, too).
      for (const a of log.actions) expect(a.inputs.filter((i) => failedIds.has(i))).toEqual([]);
      expect(r.responses.map((x) => x.id)).toEqual(log.observed.filter((id) => !failedIds.has(id)));
      expect((r.failedPlays ?? []).map((x) => x.id)).toEqual(log.failed);
      const orders = [...r.responses, ...(r.failedPlays ?? [])].map((x) => [x.id, x.order]);
      expect(orders.sort((x, y) => (x[1] as number) - (y[1] as number))).toEqual(log.observed.map((id, i) => [id, i]));
      for (const f of r.failedPlays ?? []) expect(f.error.type).toBe(fail(log.actions[Number(f.id.slice(1))]!));
      const max = Math.max(...r.responses.map((x) => x.reward));
      expect(failedIds.has(r.bestId)).toBe(false);
      expect(r.bestReward).toBe(max);
      expect(r.bestId).toBe(r.responses.find((x) => x.reward === max)!.id);
      for (const a of log.actions) if (a.kind === 'aggregate') expect(a.inputs.length).toBeGreaterThanOrEqual(1);
      if (r.anytime) {
        // A failed play is a generation that leaves the best as it was; no point before the first reward.
        let best = -Infinity;
        const want = log.actions.flatMap((a, i) => {
          if (!fail(a)) best = Math.max(best, reward(a));
          return best > -Infinity ? [{ generations: i + 1, bestReward: best }] : [];
        });
        expect(r.anytime).toEqual(want);
      }
      // The record writer's replay rebuilds the same result from the trace and the outcomes.
      expect(await replaySearch(make(), log.trace, (a) => scriptedOutcome(a, { reward, fail }))).toEqual(r);
    }),
    { numRuns: 400 },
  );
});
