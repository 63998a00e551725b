/**
 * The sweep file: the single source of truth for its types, validation and documentation.
 * `toa config schema` prints the JSON Schema generated from these definitions.
 *
 * Nothing here may hold a secret: agents name the environment variable that holds their API
 * key (`apiKeyEnv`), and only workers read it.
 */
import { z } from 'zod';

import { methodDefinition, nameSchema, type MethodSpec } from '../search/methods';
import { methodSchema } from './methodSchema';

const name = nameSchema(z);
import { rewardSchema, type RewardSpec } from '../rewards';

export { methodSchema, type MethodSpec };

export const samplingSchema = z
  .object({
    temperature: z.number().min(0).max(2).default(0.7).describe('Sampling temperature'),
    topP: z.number().gt(0).max(1).default(1).describe('Nucleus sampling probability mass'),
    maxTokens: z.number().int().positive().default(2048).describe('Maximum completion tokens per generation'),
    stop: z.array(z.string()).optional().describe('Stop sequences'),
  })
  .strict()
  .describe('Sampling parameters of every call to this agent');

export const agentSchema = z
  .object({
    name: name.describe('Agent name, used in results, task queue names and the UI'),
    baseURL: z.string().url().describe('OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1'),
    model: z.string().min(1).describe('Model name sent in the request'),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional()
      .describe('Name of the environment variable holding the API key (read by workers only)'),
    systemPrompt: z.string().optional().describe('System message prepended to fresh and refine calls'),
    sampling: samplingSchema.prefault({}),
    parameters: z.number().positive().default(1e9).describe('Parameter count, for FLOPs estimates (2 × params × tokens)'),
    maxConcurrency: z.number().int().positive().default(4).describe('Requests in flight to the endpoint per worker process'),
    requestsPerSecond: z.number().positive().optional().describe('Global limit across all workers (task queue rate limit)'),
    timeoutSeconds: z.number().positive().default(600).describe('Per-attempt request timeout'),
    pricing: z
      .object({ promptPerMTok: z.number().min(0), completionPerMTok: z.number().min(0) })
      .strict()
      .optional()
      .describe('USD per million tokens, for cost estimates'),
  })
  .strict();

export { rewardSchema, type RewardSpec };

export const datasetSchema = z
  .object({
    path: z.string().min(1).describe('JSONL file, relative to the sweep file'),
    idField: z.string().default('id').describe('Field holding the prompt id (string or number, unique)'),
    promptField: z.string().default('instruction').describe('Field holding the prompt text'),
    referenceField: z.string().optional().describe('Gold answer / reference translation, for reference-based rewards'),
    offset: z.number().int().min(0).default(0).describe('Skip this many non-blank lines'),
    limit: z.number().int().positive().optional().describe('Keep this many lines after offset (counted before sharding)'),
    shard: z
      .object({ index: z.number().int().min(0), count: z.number().int().positive() })
      .strict()
      .refine((s) => s.index < s.count, 'shard.index must be below shard.count')
      .optional()
      .describe('Keep line i of the offset/limit slice when i % count == index'),
  })
  .strict();

export const templatesSchema = z
  .object({
    refine: z.string().optional().describe('File with the refine template ({{prompt}}, {{response}})'),
    aggregate: z.string().optional().describe('File with the MoA aggregation system template ({{responses}})'),
    instruction: z.string().optional().describe('File wrapping each dataset prompt ({{prompt}})'),
  })
  .strict();

export const sweepSchema = z
  .object({
    name: name.describe('Human name; the sweep id is derived from the file content unless --id is given'),
    dataset: datasetSchema,
    agents: z.array(agentSchema).min(1).describe('The models that are sampled'),
    reward: rewardSchema,
    methods: z.array(methodSchema).min(1).describe('Search methods, each run at every budget and seed'),
    budgets: z.array(z.number().int().positive()).min(1).describe('Generations per prompt (N)'),
    seeds: z.array(z.number().int().min(0)).default([0]).describe('PRNG seeds; each is a separate run'),
    output: z.string().default('runs').describe('Output folder (records, response store), relative to the sweep file'),
    templates: templatesSchema.optional(),
    maxRunningPrompts: z.number().int().positive().default(16).describe('Sliding window of running prompt workflows'),
    maxPlaysInFlightPerPrompt: z
      .number()
      .int()
      .positive()
      .default(8)
      .describe(
        'Plays of one prompt running at once; the rest wait, so a pause stops spending within this many plays per running prompt',
      ),
    pauseAfterFailuresInARow: z
      .number()
      .int()
      .min(0)
      .default(20)
      .describe(
        'Circuit breaker: the sweep pauses itself, with the reason, after this many prompts in a row failed with the same failure type (0: never)',
      ),
    onPlayFailure: z
      .enum(['continue', 'fail-prompt'])
      .default('continue')
      .describe(
        'A play that fails for its own content (BadRequest such as a refine prompt too long for the model, MalformedResponse, JudgeUnparseable): `continue` records it as failed (counted, never a parent or the best) and goes on; `fail-prompt` fails the prompt',
      ),
    retry: z
      .object({
        maxAttempts: z.number().int().positive().default(12).describe('Attempts per call, the first included'),
        initialIntervalSeconds: z.number().positive().default(1).describe('First backoff interval'),
        maxIntervalSeconds: z.number().positive().default(60).describe('Backoff cap'),
      })
      .strict()
      .prefault({})
      .describe(
        'Retries of model and reward calls (429, 5xx, timeouts); after the last attempt the prompt fails and `toa sweep retry` can re-run it',
      ),
  })
  .strict()
  .superRefine((s, ctx) => {
    const agents = new Set<string>();
    s.agents.forEach((a, i) => {
      if (agents.has(a.name))
        ctx.addIssue({ code: 'custom', path: ['agents', i, 'name'], message: `duplicate agent name "${a.name}"` });
      agents.add(a.name);
    });
    s.methods.forEach((m, i) => {
      for (const ref of methodDefinition(m.type).agentReferences?.(m) ?? []) {
        if (!agents.has(ref.agent))
          ctx.addIssue({ code: 'custom', path: ['methods', i, ...ref.path], message: `unknown agent "${ref.agent}"` });
      }
    });
    // A second run of the same budget or seed would share the first one's workflow IDs and records.
    for (const [field, what] of [
      ['budgets', 'budget'],
      ['seeds', 'seed'],
    ] as const) {
      const first = new Map<number, number>();
      s[field].forEach((v, i) => {
        const at = first.get(v);
        if (at === undefined) first.set(v, i);
        else
          ctx.addIssue({
            code: 'custom',
            path: [field, i],
            message: `duplicate ${what} ${v} (also ${field}[${at}]): each ${what} runs once per prompt`,
          });
      });
    }
    const labels = new Set<string>();
    s.methods.forEach((m, i) => {
      const label = m.label ?? m.type;
      if (labels.has(label))
        ctx.addIssue({
          code: 'custom',
          path: ['methods', i, 'label'],
          message: `two methods share the label "${label}": give each a distinct label`,
        });
      labels.add(label);
    });
  });

export type Sampling = z.infer<typeof samplingSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type DatasetSpec = z.infer<typeof datasetSchema>;
export type TemplatesSpec = z.infer<typeof templatesSchema>;
export type SweepConfig = z.infer<typeof sweepSchema>;
export type OnPlayFailure = SweepConfig['onPlayFailure'];
