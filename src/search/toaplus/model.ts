/**
 * The payoff model of TOA+ (see ./strategy.ts): what a call of each kind is expected to give, as
 * a Normal with unknown mean and variance learnt per agent with a Normal-Inverse-χ² posterior
 * whose prior is pooled over all agents (empirical Bayes: an agent never seen behaves like the
 * average agent, with the spread of what was seen), and one Thompson draw of it.
 *
 * Raw reward scale throughout (no normalisation to choose): the prior's spread comes from the
 * observed rewards, so the model is the same on rewards in [0, 1] and on chrF in [0, 100].
 */
import type { Prng } from '../types';
import { invGamma, normal } from '../sampling';

/** Observations of one arm (values: fresh rewards, or reward gains over the inputs' best). */
export interface Arm {
  n: number;
  sum: number;
  sumSq: number;
  /** Every value, in observation order (the empirical tail). */
  values: number[];
}

export function emptyArm(): Arm {
  return { n: 0, sum: 0, sumSq: 0, values: [] };
}

export function observeArm(arm: Arm, value: number): void {
  arm.n += 1;
  arm.sum += value;
  arm.sumSq += value * value;
  arm.values.push(value);
}

export function mergeArms(arms: readonly Arm[]): Arm {
  const out = emptyArm();
  for (const a of arms) {
    out.n += a.n;
    out.sum += a.sum;
    out.sumSq += a.sumSq;
    out.values.push(...a.values);
  }
  return out;
}

export function armMean(arm: Arm): number {
  return arm.n === 0 ? 0 : arm.sum / arm.n;
}

/** Population variance of the arm's values (0 with fewer than 2). */
export function armVariance(arm: Arm): number {
  if (arm.n < 2) return 0;
  const m = arm.sum / arm.n;
  return Math.max(0, arm.sumSq / arm.n - m * m);
}

export interface PriorNix {
  m: number;
  kappa: number;
  nu: number;
  tauSquare: number;
}

/** A draw (mean, sd) of the Normal an arm's next value comes from. */
export interface Draw {
  mean: number;
  sd: number;
}

export function posterior(prior: PriorNix, arm: Arm): PriorNix {
  let { m, kappa, nu, tauSquare } = prior;
  if (arm.n > 0) {
    const mean = arm.sum / arm.n;
    const ss = Math.max(0, arm.sumSq - arm.n * mean * mean);
    const k = kappa + arm.n;
    const v = nu + arm.n;
    tauSquare = (nu * tauSquare + ss + (arm.n * kappa * (m - mean) ** 2) / k) / v;
    m = (kappa * m + arm.n * mean) / k;
    kappa = k;
    nu = v;
  }
  return { m, kappa, nu, tauSquare };
}

/** Posterior mean and predictive spread (no draw). */
export function meanNormal(prior: PriorNix, arm: Arm): Draw {
  const p = posterior(prior, arm);
  return { mean: p.m, sd: Math.sqrt(p.tauSquare * (1 + 1 / p.kappa)) };
}

export function drawNormal(prior: PriorNix, arm: Arm, prng: Prng): Draw {
  const { m, kappa, nu, tauSquare } = posterior(prior, arm);
  const variance = invGamma(prng, nu / 2, (nu * tauSquare) / 2);
  return { mean: m + Math.sqrt(variance / kappa) * normal(prng), sd: Math.sqrt(variance) };
}
