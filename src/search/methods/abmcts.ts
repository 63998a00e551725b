/**
 * AB-MCTS-A with several models (Inoue et al. 2025, arXiv 2503.04412): Thompson sampling decides
 * per node between a new answer (GEN) and refining an existing one, and which agent writes it.
 * Rules: src/search/abmcts/strategy.ts and docs/methods.md.
 */
import type { Zod } from './define';
import { DEFAULT_BETA_PRIOR, DEFAULT_GAUSSIAN_PRIOR, type Prior } from '../abmcts/posterior';
import { createAbmctsStrategy } from '../abmcts/strategy';
import { defineMethod, methodLabelSchema } from './define';

function rewardRangeSchema(z: Zod) {
  return z
    .tuple([z.number(), z.number()])
    .refine(([lo, hi]) => hi > lo, 'rewardRange must be [lo, hi] with lo < hi')
    .describe('Raw rewards are mapped onto [0, 1] as clamp((raw - lo) / (hi - lo), 0, 1) (chrF: [0, 100])');
}

function gaussianPriorSchema(z: Zod) {
  return z
    .object({
      m: z.number().default(DEFAULT_GAUSSIAN_PRIOR.m),
      kappa: z.number().positive().default(DEFAULT_GAUSSIAN_PRIOR.kappa),
      nu: z.number().positive().default(DEFAULT_GAUSSIAN_PRIOR.nu),
      tauSquare: z.number().positive().default(DEFAULT_GAUSSIAN_PRIOR.tauSquare),
    })
    .strict();
}

function betaPriorSchema(z: Zod) {
  return z
    .object({ a: z.number().positive().default(DEFAULT_BETA_PRIOR.a), b: z.number().positive().default(DEFAULT_BETA_PRIOR.b) })
    .strict();
}

export const abmctsMethod = defineMethod({
  type: 'abmcts',
  summary: 'AB-MCTS-A: Thompson sampling per node between a new answer (GEN) and refining a child, and over agents',
  origin: 'Inoue et al. 2025, arXiv 2503.04412 (reference: Sakana AI TreeQuest)',
  schema: (z) =>
    z
      .object({
        type: z.literal('abmcts'),
        label: methodLabelSchema(z),
        dist: z
          .enum(['gaussian', 'beta'])
          .default('gaussian')
          .describe('Score model: Normal with a Normal-Inverse-χ² prior (TreeQuest default) or Beta'),
        gaussianPrior: gaussianPriorSchema(z)
          .default(DEFAULT_GAUSSIAN_PRIOR)
          .describe('NIX prior (m, kappa, nu, tauSquare); default 0, 1, 1, 0.1'),
        betaPrior: betaPriorSchema(z).default(DEFAULT_BETA_PRIOR).describe('Beta prior (a, b); default Jeffreys 0.5, 0.5'),
        rewardRange: rewardRangeSchema(z).default([0, 1]),
      })
      .strict(),
  create(spec, ctx) {
    const prior: Prior =
      spec.dist === 'beta' ? { dist: 'beta', prior: spec.betaPrior } : { dist: 'gaussian', prior: spec.gaussianPrior };
    return createAbmctsStrategy({
      agents: ctx.agents,
      budget: ctx.budget,
      seed: ctx.seed,
      prior,
      rewardRange: spec.rewardRange,
      method: ctx.label,
    });
  },
});
