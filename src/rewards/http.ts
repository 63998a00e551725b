/**
 * `http` reward backend: POST <url> with JSON
 *   {"prompt": string, "response": string, "model"?: string, "promptId"?: string, "reference"?: string}
 * (the last three omitted when absent), answered by {"reward": <finite number>}.
 * Optional `Authorization: Bearer $<apiKeyEnv>`. Failures are classified by src/http.
 */
import { z } from 'zod';
import { readApiKey } from '../http/apiKeys';
import { malformedResponse, safeUrl, type CallSite } from '../http/failures';
import { postJson } from '../http/postJson';
import { apiKeyEnvSchema, describeValue } from './common';
import { defineReward } from './define';

export const httpReward = defineReward({
  type: 'http',
  summary:
    'Your service: POST `{prompt, response, model?, promptId?, reference?}` to `url`, answer `{"reward": number}`; `apiKeyEnv` is sent as a bearer token',
  schema: () =>
    z
      .object({
        type: z.literal('http'),
        url: z.string().url().describe('POST {prompt, response, model?, promptId?, reference?} here; the answer is {"reward": number}'),
        apiKeyEnv: apiKeyEnvSchema.describe('Environment variable with a bearer token'),
        timeoutSeconds: z.number().positive().default(120).describe('Per-attempt request timeout'),
      })
      .strict(),
  endpoints: (spec) => [{ url: spec.url, apiKeyEnv: spec.apiKeyEnv }],
  create: (deps) => async (spec, args) => {
    const apiKey = readApiKey(deps.env, spec.apiKeyEnv, `reward http ${safeUrl(spec.url)}`);
    const site: CallSite = { what: 'reward http', url: spec.url, method: 'POST', secrets: [apiKey] };
    const body: Record<string, string> = { prompt: args.prompt, response: args.response };
    if (args.model !== undefined) body.model = args.model;
    if (args.promptId !== undefined) body.promptId = args.promptId;
    if (args.reference !== undefined) body.reference = args.reference;
    const answer = await postJson(site, body, { timeoutMs: spec.timeoutSeconds * 1000, signal: args.signal, apiKey });
    if (!answer || typeof answer !== 'object' || Array.isArray(answer)) {
      throw malformedResponse(site, `expected a JSON object {"reward": number}, got ${describeValue(answer)}`);
    }
    if (!('reward' in answer)) throw malformedResponse(site, 'field "reward" is missing');
    const reward = (answer as { reward: unknown }).reward;
    if (typeof reward !== 'number') throw malformedResponse(site, `field "reward" is ${describeValue(reward)}, expected a number`);
    if (!Number.isFinite(reward)) throw malformedResponse(site, `field "reward" is ${reward}, expected a finite number`);
    return reward;
  },
});
