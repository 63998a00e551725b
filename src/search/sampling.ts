/**
 * Random draws for Thompson sampling, on top of the seeded Prng (never Math.random), so a search
 * that samples posteriors stays a pure function of its seed and observations.
 *
 *   normal:    Box–Muller (one uniform pair per draw; the second value is discarded so that the
 *              number of uniforms a draw consumes never depends on earlier draws)
 *   gamma:     Marsaglia & Tsang (2000), "A simple method for generating gamma variables";
 *              shape < 1 by the boost Gamma(a) = Gamma(a + 1) · U^(1/a)
 *   beta:      X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b)
 *   invGamma:  scale / Gamma(shape, 1)  (scipy's invgamma(shape, scale=scale))
 */
import type { Prng } from './types';

/** Uniform in (0, 1): never 0, so logs and powers stay finite. */
function openUniform(prng: Prng): number {
  let u = prng.next();
  while (u === 0) u = prng.next();
  return u;
}

/** Standard normal draw. */
export function normal(prng: Prng): number {
  const u1 = openUniform(prng);
  const u2 = prng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Gamma(shape, 1) draw, shape > 0. */
export function gamma(prng: Prng, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new Error(`gamma shape must be a finite number > 0, got ${shape}`);
  if (shape < 1) return gamma(prng, shape + 1) * Math.pow(openUniform(prng), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(prng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = openUniform(prng);
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) draw, a, b > 0. */
export function beta(prng: Prng, a: number, b: number): number {
  const x = gamma(prng, a);
  const y = gamma(prng, b);
  return x / (x + y);
}

/** Inverse-gamma draw with the given shape and scale (mean scale / (shape - 1) for shape > 1). */
export function invGamma(prng: Prng, shape: number, scale: number): number {
  if (!(scale > 0)) throw new Error(`inverse-gamma scale must be > 0, got ${scale}`);
  return scale / gamma(prng, shape);
}

/** Standard normal density and distribution function (Φ by the Abramowitz–Stegun 7.1.26 erf). */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * Expected improvement of Y ~ N(mean, sd²) over a threshold: E[max(0, Y - threshold)]
 * = sd·φ(z) + (mean - threshold)·Φ(z), z = (mean - threshold) / sd. With sd = 0 it is
 * max(0, mean - threshold).
 */
export function expectedImprovement(mean: number, sd: number, threshold: number): number {
  const gap = mean - threshold;
  if (!(sd > 0)) return Math.max(0, gap);
  const z = gap / sd;
  return Math.max(0, sd * normalPdf(z) + gap * normalCdf(z));
}
