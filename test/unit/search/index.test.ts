import { z } from 'zod';
import { methodSchema } from '../../../src/config/methodSchema';
import { createStrategy, METHODS, type MethodSpec } from '../../../src/search';
import { drive, show } from './drive';

const toa: MethodSpec = { type: 'toa', alpha: 0.01, tau: 0.1, width: 'third', parallelPlays: 1 };
const methods: MethodSpec[] = [
  toa,
  { type: 'random', agent: 'B' },
  { type: 'prs', agent: 'A' },
  { type: 'ensemble' },
  { type: 'sequential' },
  { type: 'moa', layers: 2 },
  methodSchema.parse({ type: 'abmcts' }),
  methodSchema.parse({ type: 'toa-plus' }),
];
const ctx = (agents: string[], budget: number, seed: number) => ({ agents, budget, seed });

describe('the method registry', () => {
  test('every method has a distinct type, a strict schema with defaults, a summary and an origin', () => {
    expect(new Set(METHODS.map((m) => m.type)).size).toBe(METHODS.length);
    for (const m of METHODS) {
      expect(m.summary.length).toBeGreaterThan(10);
      expect(m.origin.length).toBeGreaterThan(3);
      const withAgent = { type: m.type, agent: 'A' };
      // Methods that must name an agent take `agent`; the others parse with their type alone.
      const schema = m.schema(z) as { safeParse(v: unknown): { success: boolean } };
      expect(schema.safeParse({ type: m.type }).success || ('agentReferences' in m && schema.safeParse(withAgent).success)).toBe(true);
      // strict: an unknown option is an error, not silently ignored
      expect(schema.safeParse({ ...withAgent, bogus: 1 }).success).toBe(false);
    }
  });

  test('the sweep file union accepts every method and fills its defaults', () => {
    expect(methodSchema.parse({ type: 'toa' })).toEqual(toa);
    expect(methodSchema.parse({ type: 'moa' })).toEqual({ type: 'moa', layers: 4 });
    expect(methodSchema.safeParse({ type: 'nope' }).success).toBe(false);
  });
});

describe('createStrategy', () => {
  test.each(methods.map((m) => [m.type, m] as const))('%s runs to exactly N generations', async (_t, m) => {
    const log = await drive(createStrategy(m, ctx(['A', 'B', 'C'], 8, 3)), 8, { reward: (a) => Number(a.id.slice(1)) % 5 });
    expect(log.actions).toHaveLength(8);
    expect(log.result.responses).toHaveLength(8);
    expect(log.result.method).toBe(m.type);
    expect(log.result.budget).toBe(8);
  });

  test('the label names the result', async () => {
    const log = await drive(createStrategy({ type: 'ensemble', label: 'ens-x' }, ctx(['A'], 2, 0)), 2, { reward: () => 0 });
    expect(log.result.method).toBe('ens-x');
  });

  test('validates its arguments with clear messages', () => {
    expect(() => createStrategy({ type: 'random', agent: 'Z' }, ctx(['A', 'B'], 4, 0))).toThrow(
      'random: unknown agent "Z" (configured: A, B)',
    );
    expect(() => createStrategy({ type: 'prs', agent: 'Z' }, ctx(['A'], 4, 0))).toThrow(/unknown agent "Z"/);
    expect(() => createStrategy(toa, ctx(['A'], 0, 0))).toThrow('budget must be an integer >= 1, got 0');
    expect(() => createStrategy(toa, ctx(['A'], 2.5, 0))).toThrow(/budget/);
    expect(() => createStrategy(toa, ctx([], 4, 0))).toThrow(/at least one agent/);
    expect(() => createStrategy(toa, ctx(['A', 'A'], 4, 0))).toThrow('duplicate agent "A"');
    expect(() => createStrategy(toa, ctx(['A'], 4, 0.5))).toThrow(/seed/);
    expect(() => createStrategy({ type: 'nope' } as unknown as MethodSpec, ctx(['A'], 4, 0))).toThrow(/unknown method type "nope"/);
  });

  test('observe rejects unknown, duplicate and non-finite outcomes', () => {
    const s = createStrategy({ type: 'random', agent: 'A' }, ctx(['A'], 2, 0));
    const [a] = s.next();
    expect(() => s.observe({ actionId: 'r9', reward: 0, promptTokens: 0, completionTokens: 0 })).toThrow(/unknown action "r9"/);
    expect(() => s.observe({ actionId: a!.id, reward: NaN, promptTokens: 0, completionTokens: 0 })).toThrow(/non-finite/);
    s.observe({ actionId: a!.id, reward: 1, promptTokens: 0, completionTokens: 0 });
    expect(() => s.observe({ actionId: a!.id, reward: 1, promptTokens: 0, completionTokens: 0 })).toThrow(/twice/);
    expect(s.done()).toBe(false);
  });

  test('result() before any outcome is an error', () => {
    expect(() => createStrategy(toa, ctx(['A'], 2, 0)).result()).toThrow(/no responses/);
  });
});

describe('determinism', () => {
  const reward = (a: { id: string }) => Math.sin(Number(a.id.slice(1)) * 12.9898) * 0.3;

  test.each(methods.map((m) => [m.type, m] as const))('%s: same seed and outcomes give the same actions and result', async (_t, m) => {
    const run = () => drive(createStrategy(m, ctx(['A', 'B', 'C'], 13, 11)), 13, { reward });
    const a = await run();
    const b = await run();
    expect(b.actions).toEqual(a.actions);
    expect(b.batches).toEqual(a.batches);
    expect(b.result).toEqual(a.result);
  });

  test('sequential: the seed drives the agent orders', async () => {
    const orders: string[] = [];
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const log = await drive(createStrategy({ type: 'sequential' }, ctx(['A', 'B', 'C'], 6, seed)), 6, { reward });
      orders.push(log.actions.map(show).join('|'));
    }
    expect(new Set(orders).size).toBeGreaterThan(1);
  });
});
