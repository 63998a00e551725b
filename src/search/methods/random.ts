/** Random sampling (single-agent best-of-N): N fresh samples from one agent. */
import { createRandomStrategy } from '../baselines/random';
import { defineMethod, methodLabelSchema, nameSchema } from './define';

export const randomMethod = defineMethod({
  type: 'random',
  summary: 'The one named agent sampled N times (best-of-N)',
  origin: 'baseline of Ye et al. 2024',
  schema: (z) =>
    z
      .object({
        type: z.literal('random'),
        label: methodLabelSchema(z),
        agent: nameSchema(z).describe('The single agent sampled'),
      })
      .strict(),
  create: (spec, ctx) => createRandomStrategy({ agent: spec.agent, budget: ctx.budget, method: ctx.label }),
  agentReferences: (spec) => [{ path: ['agent'], agent: spec.agent }],
});
