/**
 * TOA+ (this project, beyond the paper): TOA's fresh/refine actions plus MoA-style aggregation,
 * chosen by the expected improvement of the best reward under a learnt model of each kind of
 * call. Rules: src/search/toaplus/strategy.ts and docs/methods.md.
 */
import { createToaPlusStrategy } from '../toaplus/strategy';
import { defineMethod, methodLabelSchema, nameSchema } from './define';

export const toaPlusMethod = defineMethod({
  type: 'toa-plus',
  summary: 'TOA beyond the paper: fresh, refine and aggregate actions chosen by expected improvement of the best reward',
  origin: 'this project (deviations from Ye et al. 2024 listed in docs/methods.md)',
  schema: (z) =>
    z
      .object({
        type: z.literal('toa-plus'),
        label: methodLabelSchema(z),
        aggregate: z
          .boolean()
          .default(true)
          .describe("Aggregation actions: an agent synthesises each agent's best response so far"),
        aggregateInputs: z
          .number()
          .int()
          .min(2)
          .optional()
          .describe('Most inputs of an aggregation (default: the number of agents)'),
        refine: z.boolean().default(true).describe('Refinement actions (of the best response so far)'),
        explore: z
          .enum(['mean', 'thompson'])
          .default('mean')
          .describe("'mean': posterior mean and predictive spread; 'thompson': one posterior draw per model"),
        levels: z
          .enum(['kind', 'agent'])
          .default('kind')
          .describe("'kind': choose the kind of call (pooled over agents), then the agent; 'agent': over every (agent, kind)"),
        lead: nameSchema(z).optional().describe('Warm up with this agent only (default: every agent answers once first)'),
      })
      .strict(),
  create: (spec, ctx) =>
    createToaPlusStrategy({
      agents: ctx.agents,
      budget: ctx.budget,
      seed: ctx.seed,
      aggregate: spec.aggregate,
      aggregateInputs: spec.aggregateInputs,
      refine: spec.refine,
      explore: spec.explore,
      levels: spec.levels,
      lead: spec.lead,
      method: ctx.label,
    }),
  agentReferences: (spec) => (spec.lead !== undefined ? [{ path: ['lead'], agent: spec.lead }] : []),
});
