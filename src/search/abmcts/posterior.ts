/**
 * The score distributions of AB-MCTS-A (Inoue et al. 2025, arXiv 2503.04412, Sec. 3 and App.;
 * defaults as in Sakana AI's TreeQuest, `treequest/algos/ab_mcts_a/prob_state.py`): a conjugate
 * model of the scores (in [0, 1]) seen through one arm, and one Thompson draw from it.
 *
 *   gaussian: Normal with unknown mean and variance, Normal-Inverse-χ² prior NIX(m, κ, ν, τ²)
 *             (Murphy, "Probabilistic Machine Learning: Advanced Topics", 3.4.3.3). After n
 *             observations with mean x̄ and sum of squared deviations S:
 *               κ' = κ + n,  ν' = ν + n,  m' = (κ·m + n·x̄) / κ',
 *               τ²' = (ν·τ² + S + n·κ·(m − x̄)² / κ') / ν'.
 *             A draw: σ² ~ Inv-Gamma(ν'/2, scale ν'·τ²'/2), then μ ~ N(m', σ²/κ'); μ is the
 *             sampled value. Default prior m 0, κ 1, ν 1, τ² 0.1.
 *   beta:     Beta(a, b) over a score in [0, 1]: a += s, b += 1 − s per observation; a draw is
 *             one Beta sample. Default prior Jeffreys, a = b = 0.5.
 *
 * Plain data (sufficient statistics only), so the whole search state serialises.
 */
import type { Prng } from '../types';
import { beta, invGamma, normal } from '../sampling';

export interface GaussianPrior {
  m: number;
  kappa: number;
  nu: number;
  tauSquare: number;
}

export interface BetaPrior {
  a: number;
  b: number;
}

export type Prior = { dist: 'gaussian'; prior: GaussianPrior } | { dist: 'beta'; prior: BetaPrior };

export const DEFAULT_GAUSSIAN_PRIOR: GaussianPrior = { m: 0, kappa: 1, nu: 1, tauSquare: 0.1 };
export const DEFAULT_BETA_PRIOR: BetaPrior = { a: 0.5, b: 0.5 };

/** Observations of one arm: count, sum and sum of squares (enough for both models). */
export interface ScoreStats {
  n: number;
  sum: number;
  sumSq: number;
}

export function emptyStats(): ScoreStats {
  return { n: 0, sum: 0, sumSq: 0 };
}

export function statsOf(scores: readonly number[]): ScoreStats {
  const s = emptyStats();
  for (const x of scores) addScore(s, x);
  return s;
}

export function addScore(stats: ScoreStats, score: number): void {
  if (!(score >= 0 && score <= 1)) throw new Error(`AB-MCTS bug: score ${score} outside [0, 1]`);
  stats.n += 1;
  stats.sum += score;
  stats.sumSq += score * score;
}

/** The NIX posterior parameters after the observations (the prior itself when n = 0). */
export function gaussianPosterior(prior: GaussianPrior, stats: ScoreStats): GaussianPrior {
  const { n } = stats;
  if (n === 0) return { ...prior };
  const mean = stats.sum / n;
  const ss = Math.max(0, stats.sumSq - n * mean * mean);
  const kappa = prior.kappa + n;
  const nu = prior.nu + n;
  const m = (prior.kappa * prior.m + n * mean) / kappa;
  const tauSquare = (prior.nu * prior.tauSquare + ss + (n * prior.kappa * (prior.m - mean) ** 2) / kappa) / nu;
  return { m, kappa, nu, tauSquare };
}

export function betaPosterior(prior: BetaPrior, stats: ScoreStats): BetaPrior {
  return { a: prior.a + stats.sum, b: prior.b + stats.n - stats.sum };
}

/** One Thompson draw of the arm's value. */
export function drawValue(prior: Prior, stats: ScoreStats, prng: Prng): number {
  if (prior.dist === 'beta') {
    const p = betaPosterior(prior.prior, stats);
    return beta(prng, p.a, p.b);
  }
  const p = gaussianPosterior(prior.prior, stats);
  const sigmaSquare = invGamma(prng, p.nu / 2, (p.nu * p.tauSquare) / 2);
  return p.m + Math.sqrt(sigmaSquare / p.kappa) * normal(prng);
}
