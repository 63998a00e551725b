import { createPrng, deriveSeed, shuffle } from '../../../src/search/prng';

describe('prng', () => {
  test('mulberry32: known first outputs for seed 1, reproducible', () => {
    const a = createPrng(1);
    expect([a.next(), a.next(), a.next()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
    const b = createPrng(1);
    const c = createPrng(2);
    expect(b.next()).toBe(0.6270739405881613);
    expect(c.next()).not.toBe(0.6270739405881613);
  });

  test('outputs in [0, 1)', () => {
    const p = createPrng(123);
    for (let i = 0; i < 10_000; i++) {
      const x = p.next();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });

  test('shuffle: a permutation, input untouched, deterministic', () => {
    const items = ['A', 'B', 'C', 'D', 'E'];
    const s1 = shuffle(items, createPrng(7));
    expect(items).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect([...s1].sort()).toEqual(items);
    expect(shuffle(items, createPrng(7))).toEqual(s1);
    expect(shuffle([], createPrng(7))).toEqual([]);
  });

  test('deriveSeed: pure uint32, sensitive to every part and to part boundaries', () => {
    expect(deriveSeed(0, 'p1', 'r0')).toBe(3322059939);
    expect(deriveSeed(0, 'p1', 'r0')).toBe(deriveSeed(0, 'p1', 'r0'));
    expect(deriveSeed(0, 'ab', 'c')).toBe(677819576);
    expect(deriveSeed(0, 'a', 'bc')).toBe(2562327462);
    expect(deriveSeed(1, 'p1', 'r0')).not.toBe(deriveSeed(0, 'p1', 'r0'));
    expect(deriveSeed(0, 'p1', 'r1')).not.toBe(deriveSeed(0, 'p1', 'r0'));
    const s = deriveSeed(5, 'x', 3);
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});
