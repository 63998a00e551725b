import type { MethodSpec } from '../../../src/config/schema';
import { createStrategy, methodUsesNormalizedReward } from '../../../src/search';
import { drive, show } from './drive';

const toa: MethodSpec = { type: 'toa', alpha: 0.01, tau: 0.1, width: 'third', parallelPlays: 1 };
const methods: MethodSpec[] = [
  toa,
  { type: 'random', agent: 'B' },
  { type: 'prs', agent: 'A' },
  { type: 'ensemble' },
  { type: 'sequential' },
  { type: 'moa', layers: 2 },
];

describe('createStrategy', () => {
  test.each(methods.map((m) => [m.type, m] as const))('%s runs to exactly N generations', (_t, m) => {
    const log = drive(createStrategy(m, ['A', 'B', 'C'], 8, 3), 8, { reward: (a) => Number(a.id.slice(1)) % 5 });
    expect(log.actions).toHaveLength(8);
    expect(log.result.responses).toHaveLength(8);
    expect(log.result.method).toBe(m.type);
    expect(log.result.budget).toBe(8);
  });

  test('the label names the result', () => {
    const log = drive(createStrategy({ type: 'ensemble', label: 'ens-x' }, ['A'], 2, 0), 2, { reward: () => 0 });
    expect(log.result.method).toBe('ens-x');
  });

  test('validates its arguments with clear messages', () => {
    expect(() => createStrategy({ type: 'random', agent: 'Z' }, ['A', 'B'], 4, 0)).toThrow(
      'random: unknown agent "Z" (configured: A, B)',
    );
    expect(() => createStrategy({ type: 'prs', agent: 'Z' }, ['A'], 4, 0)).toThrow(/unknown agent "Z"/);
    expect(() => createStrategy(toa, ['A'], 0, 0)).toThrow('budget must be an integer >= 1, got 0');
    expect(() => createStrategy(toa, ['A'], 2.5, 0)).toThrow(/budget/);
    expect(() => createStrategy(toa, [], 4, 0)).toThrow(/at least one agent/);
    expect(() => createStrategy(toa, ['A', 'A'], 4, 0)).toThrow('duplicate agent "A"');
    expect(() => createStrategy(toa, ['A'], 4, 0.5)).toThrow(/seed/);
    expect(() => createStrategy({ type: 'nope' } as unknown as MethodSpec, ['A'], 4, 0)).toThrow(/unknown method type "nope"/);
  });

  test('methodUsesNormalizedReward: TOA only', () => {
    expect(methods.map(methodUsesNormalizedReward)).toEqual([true, false, false, false, false, false]);
  });

  test('observe rejects unknown, duplicate and non-finite outcomes', () => {
    const s = createStrategy({ type: 'random', agent: 'A' }, ['A'], 2, 0);
    const [a] = s.next();
    expect(() => s.observe({ actionId: 'r9', reward: 0, promptTokens: 0, completionTokens: 0 })).toThrow(/unknown action "r9"/);
    expect(() => s.observe({ actionId: a!.id, reward: NaN, promptTokens: 0, completionTokens: 0 })).toThrow(/non-finite/);
    s.observe({ actionId: a!.id, reward: 1, promptTokens: 0, completionTokens: 0 });
    expect(() => s.observe({ actionId: a!.id, reward: 1, promptTokens: 0, completionTokens: 0 })).toThrow(/twice/);
    expect(s.done()).toBe(false);
  });

  test('result() before any outcome is an error', () => {
    expect(() => createStrategy(toa, ['A'], 2, 0).result()).toThrow(/no responses/);
  });
});

describe('determinism', () => {
  const reward = (a: { id: string }) => Math.sin(Number(a.id.slice(1)) * 12.9898) * 0.3;

  test.each(methods.map((m) => [m.type, m] as const))('%s: same seed and outcomes give the same actions and result', (_t, m) => {
    const run = () => drive(createStrategy(m, ['A', 'B', 'C'], 13, 11), 13, { reward });
    const a = run();
    const b = run();
    expect(b.actions).toEqual(a.actions);
    expect(b.batches).toEqual(a.batches);
    expect(b.result).toEqual(a.result);
  });

  test('sequential: the seed drives the agent orders', () => {
    const orders = [0, 1, 2, 3, 4, 5].map((seed) =>
      drive(createStrategy({ type: 'sequential' }, ['A', 'B', 'C'], 6, seed), 6, { reward })
        .actions.map(show)
        .join('|'),
    );
    expect(new Set(orders).size).toBeGreaterThan(1);
  });
});
