/** Parallel ensemble (multi-agent best-of-N): each agent samples N/K times. */
import { createEnsembleStrategy } from '../baselines/ensemble';
import { defineMethod, methodLabelSchema } from './define';

export const ensembleMethod = defineMethod({
  type: 'ensemble',
  summary: 'All agents sampled round-robin, N in total (multi-agent best-of-N)',
  origin: 'baseline of Ye et al. 2024',
  schema: (z) => z.object({ type: z.literal('ensemble'), label: methodLabelSchema(z) }).strict(),
  create: (_spec, ctx) => createEnsembleStrategy({ agents: ctx.agents, budget: ctx.budget, method: ctx.label }),
});
