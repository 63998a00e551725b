/** Sequential refinement: rounds of agents in a shuffled order, each refining the previous answer. */
import { createSequentialStrategy } from '../baselines/sequential';
import { defineMethod, methodLabelSchema } from './define';

export const sequentialMethod = defineMethod({
  type: 'sequential',
  summary: 'Rounds of refinement across agents, each round in its own seeded shuffled agent order',
  origin: 'baseline of Ye et al. 2024',
  schema: (z) => z.object({ type: z.literal('sequential'), label: methodLabelSchema(z) }).strict(),
  create: (_spec, ctx) => createSequentialStrategy({ agents: ctx.agents, budget: ctx.budget, seed: ctx.seed, method: ctx.label }),
});
