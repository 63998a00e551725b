/** TOA (Ye et al., arXiv 2412.17061): tree search over models and responses. Rules: docs/algorithm.md. */
import type { Zod } from './define';
import { createToaStrategy } from '../toa/strategy';
import { defineMethod, methodLabelSchema } from './define';

function widthRuleSchema(z: Zod) {
  return z
    .union([z.number().int().positive(), z.enum(['third', 'half'])])
    .describe('Per-layer width cap: a number, or "third" = floor(N/3) (default), "half" = floor(N/2) (math)');
}

export const toaMethod = defineMethod({
  type: 'toa',
  summary: 'Tree search over agents (TOA): UCT picks which agent answers fresh or which response it refines',
  origin: 'Ye et al. 2024, arXiv 2412.17061',
  schema: (z) =>
    z
      .object({
        type: z.literal('toa'),
        label: methodLabelSchema(z),
        alpha: z.number().min(0).default(0.01).describe('UCT exploration weight: mean + alpha·sqrt(2·ln(play+1)/visits)'),
        tau: z.number().positive().default(0.1).describe('Reward temperature: rewards are normalised as sigmoid(raw / tau)'),
        width: widthRuleSchema(z).default('third'),
        parallelPlays: z
          .number()
          .int()
          .positive()
          .default(1)
          .describe('Plays in flight at once with virtual loss (1 = faithful sequential search)'),
      })
      .strict(),
  create: (spec, ctx) =>
    createToaStrategy({
      agents: ctx.agents,
      budget: ctx.budget,
      alpha: spec.alpha,
      tau: spec.tau,
      width: spec.width,
      parallelPlays: spec.parallelPlays,
      method: ctx.label,
    }),
});
