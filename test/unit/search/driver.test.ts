/**
 * The driver's cap on plays in flight (runSearch `maxInFlight`): strategies that issue all N plays
 * at once (random, ensemble) run at most the cap at a time, a hold stops the rest from starting,
 * and the trace still replays to the same result.
 */
import { createStrategy, type MethodSpec } from '../../../src/search';
import { replaySearch, runSearch } from '../../../src/search/driver';
import type { Action, Outcome } from '../../../src/search/types';
import { drive } from './drive';

const ctx = (budget: number) => ({ agents: ['A', 'B', 'C'], budget, seed: 5 });
const reward = (a: Action) => (Number(a.id.slice(1)) * 7) % 10;
const outcomeOf = (a: Action): Outcome => ({ actionId: a.id, reward: reward(a), promptTokens: 10, completionTokens: 20 });

describe('runSearch maxInFlight', () => {
  const methods: MethodSpec[] = [
    { type: 'ensemble' },
    { type: 'random', agent: 'B' },
    { type: 'moa', layers: 3 },
    { type: 'toa', alpha: 0.01, tau: 0.1, width: 'third', parallelPlays: 4 },
  ];
  test.each(methods.map((m) => [m.type, m] as const))('%s: never more than the cap in flight; the trace replays to the same result', async (_t, m) => {
    const uncapped = await drive(createStrategy(m, ctx(12)), 12, { reward });
    const capped = await drive(createStrategy(m, ctx(12)), 12, { reward, maxInFlight: 2 });
    expect(capped.maxInFlight).toBeLessThanOrEqual(2);
    expect(capped.actions).toHaveLength(12);
    // The strategy decides the same plays (issue order unchanged; only their start is deferred).
    expect(capped.actions.map((a) => a.id)).toEqual(uncapped.actions.slice(0, capped.actions.length).map((a) => a.id));
    const replayed = await replaySearch(createStrategy(m, ctx(12)), capped.trace, outcomeOf);
    expect(replayed).toEqual(capped.result);
  });

  test('ensemble of 16 without a cap starts all 16 at once (what the cap is for)', async () => {
    const log = await drive(createStrategy({ type: 'ensemble' }, ctx(16)), 16, { reward });
    expect(log.maxInFlight).toBe(16);
  });

  test('while held, plays waiting beyond the cap do not start; those in flight complete', async () => {
    let held = false;
    let release!: () => void;
    const started: string[] = [];
    const resolvers = new Map<string, () => void>();
    const run = runSearch(
      createStrategy({ type: 'ensemble' }, ctx(8)),
      (a) =>
        new Promise<Outcome>((resolve) => {
          started.push(a.id);
          resolvers.set(a.id, () => resolve(outcomeOf(a)));
        }),
      {
        maxInFlight: 3,
        held: () => held,
        waitWhileHeld: () => new Promise<void>((r) => (release = r)),
      },
    );
    const tick = () => new Promise<void>((r) => setImmediate(r));
    await tick();
    expect(started).toEqual(['r0', 'r1', 'r2']);
    held = true; // pause
    for (const id of ['r0', 'r1', 'r2']) resolvers.get(id)!();
    await tick();
    expect(started).toHaveLength(3); // nothing new while paused, though 5 plays were issued
    held = false; // resume
    release();
    for (let i = 0; i < 10 && started.length < 8; i++) {
      await tick();
      for (const id of started) resolvers.get(id)!();
    }
    const { result } = await run;
    expect(started).toHaveLength(8);
    expect(result.responses).toHaveLength(8);
  });
});
