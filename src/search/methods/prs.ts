/** PRS (single agent): floor(N/2) fresh samples, then refinements of the best one. */
import { createPrsStrategy } from '../baselines/prs';
import { defineMethod, methodLabelSchema, nameSchema } from './define';

export const prsMethod = defineMethod({
  type: 'prs',
  summary: 'Parallel-then-refine with one agent: floor(N/2) fresh samples, then refinements of the best',
  origin: 'baseline of Ye et al. 2024',
  schema: (z) =>
    z
      .object({
        type: z.literal('prs'),
        label: methodLabelSchema(z),
        agent: nameSchema(z).describe('The single agent that samples and refines'),
      })
      .strict(),
  create: (spec, ctx) => createPrsStrategy({ agent: spec.agent, budget: ctx.budget, method: ctx.label }),
  agentReferences: (spec) => [{ path: ['agent'], agent: spec.agent }],
});
