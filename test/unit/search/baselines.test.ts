/**
 * Baselines: exact call sequences for small N and K with scripted rewards. The driver asks
 * next() after every single outcome (FIFO completion unless stated), like the workflow does.
 */
import { createRandomStrategy } from '../../../src/search/baselines/random';
import { createEnsembleStrategy } from '../../../src/search/baselines/ensemble';
import { createPrsStrategy } from '../../../src/search/baselines/prs';
import { createSequentialStrategy, sequentialRounds } from '../../../src/search/baselines/sequential';
import { createMoaStrategy } from '../../../src/search/baselines/moa';
import { chunkSizes } from '../../../src/search/baselines/common';
import { drive, scripted, show } from './drive';

const curve = (bests: number[]) => bests.map((bestReward, i) => ({ generations: i + 1, bestReward }));

describe('random sampling', () => {
  test('N fresh samples from the one agent, all in one batch; anytime = best so far', async () => {
    const log = await drive(createRandomStrategy({ agent: 'B', budget: 3 }), 3, { reward: scripted([1, 3, 2]) });
    expect(log.batches.map((b) => b.map(show))).toEqual([['r0 B fresh', 'r1 B fresh', 'r2 B fresh']]);
    expect(log.result.bestId).toBe('r1');
    expect(log.result.bestReward).toBe(3);
    expect(log.result.anytime).toEqual(curve([1, 3, 3]));
    expect(log.result.method).toBe('random');
    expect(log.result.responses.every((r) => r.normalizedReward === undefined)).toBe(true);
  });
});

describe('parallel ensemble', () => {
  test('round-robin over agents in configuration order; N = 7, K = 3: A gets the extra sample', async () => {
    const log = await drive(createEnsembleStrategy({ agents: ['A', 'B', 'C'], budget: 7 }), 7, {
      reward: scripted([5, 1, 2, 3, 9, 0, 4]),
      pick: (o) => o.length - 1, // complete in reverse order: the curve must still follow issue order
    });
    expect(log.batches).toHaveLength(1);
    expect(log.actions.map(show)).toEqual([
      'r0 A fresh',
      'r1 B fresh',
      'r2 C fresh',
      'r3 A fresh',
      'r4 B fresh',
      'r5 C fresh',
      'r6 A fresh',
    ]);
    expect(log.observed).toEqual(['r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
    expect(log.result.anytime).toEqual(curve([5, 5, 5, 5, 9, 9, 9]));
    expect(log.result.bestId).toBe('r4');
    // responses are listed in observation order
    expect(log.result.responses.map((r) => [r.id, r.order])).toEqual(log.observed.map((id, i) => [id, i]));
  });

  test('a prefix of b generations is exactly the budget-b run', async () => {
    const big = await drive(createEnsembleStrategy({ agents: ['A', 'B', 'C'], budget: 7 }), 7, {
      reward: scripted([5, 1, 2, 3, 9, 0, 4]),
    });
    const small = await drive(createEnsembleStrategy({ agents: ['A', 'B', 'C'], budget: 4 }), 4, { reward: scripted([5, 1, 2, 3]) });
    expect(small.actions).toEqual(big.actions.slice(0, 4));
    expect(small.result.anytime).toEqual(big.result.anytime!.slice(0, 4));
  });
});

describe('PRS', () => {
  test('N = 5: floor(5/2) = 2 fresh together, then 3 refinements of the best, together', async () => {
    const log = await drive(createPrsStrategy({ agent: 'A', budget: 5 }), 5, { reward: scripted([1, 4, 2, 6, 3]) });
    expect(log.batches.map((b) => b.map(show))).toEqual([
      ['r0 A fresh', 'r1 A fresh'],
      ['r2 A refine r1', 'r3 A refine r1', 'r4 A refine r1'],
    ]);
    expect(log.result.responses.map((r) => r.id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']); // the pool of both layers
    expect(log.result.bestId).toBe('r3');
    expect(log.result.anytime).toBeUndefined();
  });

  test('waits for the whole first layer; ties go to the first in issue order', async () => {
    // Complete r1 before r0: nothing is proposed until both are in; r0 and r1 tie -> r0.
    const log = await drive(createPrsStrategy({ agent: 'A', budget: 4 }), 4, {
      reward: scripted([2, 2, 1, 1]),
      pick: (o) => o.length - 1,
    });
    expect(log.batches.map((b) => b.map(show))).toEqual([
      ['r0 A fresh', 'r1 A fresh'],
      ['r2 A refine r0', 'r3 A refine r0'],
    ]);
  });

  test('N = 1 is a single fresh sample; N = 2 is one fresh and one refinement', async () => {
    expect((await drive(createPrsStrategy({ agent: 'A', budget: 1 }), 1, { reward: scripted([0]) })).actions.map(show)).toEqual([
      'r0 A fresh',
    ]);
    expect((await drive(createPrsStrategy({ agent: 'A', budget: 2 }), 2, { reward: scripted([0, 0]) })).actions.map(show)).toEqual([
      'r0 A fresh',
      'r1 A refine r0',
    ]);
  });
});

describe('sequential refinement', () => {
  test('N = 7, K = 3: rounds of 3, 3, 1 (seeded shuffles), rounds run side by side', async () => {
    // Seed 42 gives the orders [C, A, B], [A, B, C], then [C] (the last round truncated to 1).
    expect(sequentialRounds(['A', 'B', 'C'], 7, 42)).toEqual([['C', 'A', 'B'], ['A', 'B', 'C'], ['C']]);
    // First next(): every round's first step (fresh). Then, FIFO: r0 in -> round 1 step 2
    // refines r0 (r3); r1 in -> round 2 step 2 refines r1 (r4); r2 in -> round 3 is complete;
    // r3 in -> r5 refines r3; r4 in -> r6 refines r4.
    const log = await drive(createSequentialStrategy({ agents: ['A', 'B', 'C'], budget: 7, seed: 42 }), 7, {
      reward: scripted([1, 2, 3, 4, 5, 6, 0]),
    });
    expect(log.batches.map((b) => b.map(show))).toEqual([
      ['r0 C fresh', 'r1 A fresh', 'r2 C fresh'],
      ['r3 A refine r0'],
      ['r4 B refine r1'],
      ['r5 B refine r3'],
      ['r6 C refine r4'],
    ]);
    expect(log.result.bestId).toBe('r5');
  });

  test('K = 1: N rounds of one fresh answer each (as the spec reads: best-of-N)', async () => {
    const log = await drive(createSequentialStrategy({ agents: ['A'], budget: 3, seed: 0 }), 3, { reward: scripted([0, 0, 0]) });
    expect(log.batches.map((b) => b.map(show))).toEqual([['r0 A fresh', 'r1 A fresh', 'r2 A fresh']]);
  });
});

describe('mixture-of-agents', () => {
  test('K = 2, L = 3, N = 9: layers of 2, 2, 2 | 2, 1; groups run side by side', async () => {
    // Layers: group 1 = layers 1-3 (r0 r1 | r4 r5 | r7 r8), group 2 = layers 1-2 (r2 r3 | r6),
    // the last layer truncated to the remaining 1 generation (agent A, configuration order).
    const log = await drive(createMoaStrategy({ agents: ['A', 'B'], budget: 9, layers: 3 }), 9, {
      reward: scripted([1, 2, 3, 4, 5, 6, 7, 8, 0]),
    });
    expect(log.batches.map((b) => b.map(show))).toEqual([
      ['r0 A fresh', 'r1 B fresh', 'r2 A fresh', 'r3 B fresh'],
      ['r4 A aggregate r0 r1', 'r5 B aggregate r0 r1'],
      ['r6 A aggregate r2 r3'],
      ['r7 A aggregate r4 r5', 'r8 B aggregate r4 r5'],
    ]);
    expect(log.result.responses).toHaveLength(9); // every layer's outputs are candidates
    expect(log.result.bestId).toBe('r7');
  });

  test('L = 1 is a parallel ensemble in layers', async () => {
    const log = await drive(createMoaStrategy({ agents: ['A', 'B', 'C'], budget: 4, layers: 1 }), 4, {
      reward: scripted([0, 0, 0, 0]),
    });
    expect(log.batches.map((b) => b.map(show))).toEqual([['r0 A fresh', 'r1 B fresh', 'r2 C fresh', 'r3 A fresh']]);
  });

  test('rejects layers < 1', async () => {
    expect(() => createMoaStrategy({ agents: ['A'], budget: 4, layers: 0 })).toThrow(/layers/);
  });
});

test('chunkSizes: the one uneven-budget rule', async () => {
  expect(chunkSizes(7, 3)).toEqual([3, 3, 1]);
  expect(chunkSizes(6, 3)).toEqual([3, 3]);
  expect(chunkSizes(2, 5)).toEqual([2]);
});
