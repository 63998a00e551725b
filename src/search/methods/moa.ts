/** Mixture-of-Agents (Wang et al. 2024): layers of agents, each aggregating the previous layer. */
import { createMoaStrategy } from '../baselines/moa';
import { defineMethod, methodLabelSchema } from './define';

export const moaMethod = defineMethod({
  type: 'moa',
  summary: 'Mixture of agents: layers of aggregation (`layers` per group: 4 for alignment, 3 for translation and math)',
  origin: 'Wang et al. 2024, arXiv 2406.04692; baseline of Ye et al. 2024',
  schema: (z) =>
    z
      .object({
        type: z.literal('moa'),
        label: methodLabelSchema(z),
        layers: z.number().int().min(1).default(4).describe('Layers per group (4 alignment, 3 translation and math)'),
      })
      .strict(),
  create: (spec, ctx) => createMoaStrategy({ agents: ctx.agents, budget: ctx.budget, layers: spec.layers, method: ctx.label }),
});
