/** The seeded draws behind Thompson sampling: deterministic, right moments, right closed forms. */
import { createPrng } from '../../../src/search/prng';
import { beta, expectedImprovement, gamma, invGamma, normal, normalCdf, normalPdf } from '../../../src/search/sampling';

function moments(draw: () => number, n = 40_000): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    s += x;
    s2 += x * x;
  }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean };
}

describe('sampling', () => {
  test('deterministic given the seed', () => {
    const a = createPrng(9);
    const b = createPrng(9);
    const xs = [normal(a), gamma(a, 0.5), gamma(a, 3), beta(a, 2, 5), invGamma(a, 2, 1)];
    expect([normal(b), gamma(b, 0.5), gamma(b, 3), beta(b, 2, 5), invGamma(b, 2, 1)]).toEqual(xs);
  });

  test('normal: mean 0, variance 1', () => {
    const p = createPrng(1);
    const m = moments(() => normal(p));
    expect(m.mean).toBeCloseTo(0, 1);
    expect(m.variance).toBeCloseTo(1, 1);
  });

  test.each([0.3, 0.5, 1, 2.5, 10])('gamma(%p): mean = variance = shape, always > 0', (shape) => {
    const p = createPrng(2);
    let min = Infinity;
    const m = moments(() => {
      const x = gamma(p, shape);
      min = Math.min(min, x);
      return x;
    });
    expect(min).toBeGreaterThan(0);
    expect(Math.abs(m.mean - shape) / shape).toBeLessThan(0.03);
    expect(Math.abs(m.variance - shape) / shape).toBeLessThan(0.06);
  });

  test('beta(a, b): mean a / (a + b), variance ab / ((a + b)²(a + b + 1)), inside (0, 1)', () => {
    const p = createPrng(3);
    for (const [a, b] of [
      [0.5, 0.5],
      [2, 5],
      [10, 1],
    ] as const) {
      let inside = true;
      const m = moments(() => {
        const x = beta(p, a, b);
        inside &&= x >= 0 && x <= 1;
        return x;
      });
      expect(inside).toBe(true);
      expect(m.mean).toBeCloseTo(a / (a + b), 2);
      expect(m.variance).toBeCloseTo((a * b) / ((a + b) ** 2 * (a + b + 1)), 2);
    }
  });

  test('inverse gamma: mean scale / (shape - 1) (scipy invgamma(shape, scale))', () => {
    const p = createPrng(4);
    const m = moments(() => invGamma(p, 5, 2));
    expect(m.mean).toBeCloseTo(0.5, 1);
  });

  test('bad parameters are rejected', () => {
    const p = createPrng(0);
    expect(() => gamma(p, 0)).toThrow(/shape/);
    expect(() => gamma(p, NaN)).toThrow(/shape/);
    expect(() => invGamma(p, 1, 0)).toThrow(/scale/);
  });

  test('normal pdf, cdf and expected improvement: known values', () => {
    expect(normalPdf(0)).toBeCloseTo(0.398942, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 3);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
    // E[max(0, Y - t)], Y ~ N(m, s²): at m = t it is s·φ(0); far above, m - t; far below, ~0.
    expect(expectedImprovement(1, 2, 1)).toBeCloseTo(2 * 0.398942, 5);
    expect(expectedImprovement(5, 0.1, 1)).toBeCloseTo(4, 6);
    expect(expectedImprovement(0, 0.1, 1)).toBeLessThan(1e-12);
    // z = -1: s·(φ(1) − 1·(1 − Φ(1))) = 0.241971 − 0.158655 = 0.083316
    expect(expectedImprovement(0, 1, 1)).toBeCloseTo(0.083316, 4);
    expect(expectedImprovement(3, 0, 1)).toBe(2);
    expect(expectedImprovement(0, 0, 1)).toBe(0);
  });
});
