/**
 * `vllm-reward` reward: a reward / classification / cross-encoder model served by vLLM
 * (`vllm serve <model>` with the pooling runner). Returns the model's raw scalar (no rescaling).
 *
 * Request and response shapes (vLLM's `vllm/entrypoints/.../protocol.py`: PoolingChatRequest /
 * PoolingResponseData{index, object:"pooling", data: list[list[float]] | list[float] | str},
 * ClassificationChatRequest / ClassificationData{index, label, probs, num_classes},
 * ScoreRequest{text_1, text_2} / ScoreResponseData{index, object:"score", score}; and the
 * docs' examples/pooling and openai_cross_encoder_score examples):
 *
 *   api "pooling"  POST {root}/pooling  {model, messages:[{user: prompt}, {assistant: response}]}
 *                  -> {data:[{data: number | number[] | number[][]}]}
 *                  number      -> that number;
 *                  number[]    -> element 0 (sequence-level heads: one label -> its value;
 *                                 multi-objective heads such as ArmoRM -> the first output);
 *                  number[][]  -> per-token outputs (ALL pooling): the last token's element 0.
 *                  Models whose reward is another element (e.g. a process reward model's
 *                  "positive" probability) need a custom `http` reward.
 *   api "classify" POST {root}/classify {model, messages:[...same...]}  (chat form, so the
 *                  server applies the model's chat template, as reward classifiers such as
 *                  Skywork-Reward expect; needs a vLLM version with chat classification)
 *                  -> {data:[{probs:[...]}]}: 1 class -> probs[0]; 2 classes -> probs[1]
 *                  (the positive class); more -> non-retryable error (ambiguous).
 *   api "score"    POST {root}/score    {model, text_1: prompt, text_2: response}
 *                  -> {data:[{score: number}]}: that score.
 *
 * `baseURL` is the server root; a trailing `/v1` is removed because /pooling and /classify are
 * served at the root (vLLM also serves /v1/score, but /score works everywhere).
 * Errors: classified by src/http (429/5xx/timeouts/connection -> retryable, others non-retryable).
 */
import { z } from 'zod';
import { readApiKey } from '../http/apiKeys';
import { malformedResponse, oneLine, type CallSite } from '../http/failures';
import { postJson } from '../http/postJson';
import { apiKeyEnvSchema, timeoutSecondsSchema } from './common';
import { defineReward } from './define';

type Api = 'pooling' | 'classify' | 'score';

export function vllmRequest(api: Api, model: string, prompt: string, response: string): Record<string, unknown> {
  const messages = [
    { role: 'user', content: prompt },
    { role: 'assistant', content: response },
  ];
  if (api === 'score') return { model, text_1: prompt, text_2: response };
  return { model, messages };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The scalar reward in a vLLM response body, or a string describing why there is none. */
export function extractVllmReward(api: Api, body: unknown): number | string {
  const item = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(item) || item.length === 0 || typeof item[0] !== 'object' || item[0] === null)
    return `expected {"data": [{...}]}, got ${oneLine(JSON.stringify(body) ?? String(body), 120)}`;
  const first = item[0] as Record<string, unknown>;
  if (api === 'score') return isNum(first.score) ? first.score : `data[0].score is not a finite number`;
  if (api === 'classify') {
    const probs = first.probs;
    if (!Array.isArray(probs) || probs.length === 0 || !probs.every(isNum)) return `data[0].probs is not a non-empty number array`;
    if (probs.length === 1) return probs[0];
    if (probs.length === 2) return probs[1];
    return `data[0].probs has ${probs.length} classes; only 1 (score) or 2 (negative, positive) are supported`;
  }
  const d = first.data;
  if (isNum(d)) return d;
  if (Array.isArray(d) && d.length > 0) {
    if (isNum(d[0])) return d[0];
    const lastRow = d[d.length - 1];
    if (Array.isArray(lastRow) && lastRow.length > 0 && isNum(lastRow[0])) return lastRow[0];
  }
  if (typeof d === 'string') return `data[0].data is a string (base64 encoding?); expected float output`;
  return `data[0].data is not a number, number[] or number[][]`;
}

/** `{root}/{api}`: the server root without a trailing `/v1` (/pooling and /classify are served at the root). */
export function vllmUrl(baseURL: string, api: Api): string {
  return `${baseURL.replace(/\/+$/, '').replace(/\/v1$/, '')}/${api}`;
}

export const vllmReward = defineReward({
  type: 'vllm-reward',
  summary:
    'A reward model served by vLLM: `api` selects `/pooling` (reward models such as ArmoRM), `/classify` (classifiers) or `/score` (cross-encoders). `baseURL` is the server root',
  schema: () =>
    z
      .object({
        type: z.literal('vllm-reward'),
        baseURL: z.string().url().describe('vLLM server root, e.g. http://127.0.0.1:8001'),
        model: z.string().min(1).describe('Reward model name as served'),
        api: z
          .enum(['pooling', 'classify', 'score'])
          .default('pooling')
          .describe('vLLM endpoint: /pooling (reward models), /classify (classifiers), /score (cross-encoders)'),
        apiKeyEnv: apiKeyEnvSchema.describe('Environment variable with the API key'),
        timeoutSeconds: timeoutSecondsSchema,
      })
      .strict(),
  endpoints: (spec) => [{ url: vllmUrl(spec.baseURL, spec.api), apiKeyEnv: spec.apiKeyEnv }],
  create: (deps) => async (spec, args) => {
    const url = vllmUrl(spec.baseURL, spec.api);
    const apiKey = readApiKey(deps.env, spec.apiKeyEnv, 'vllm-reward');
    const site: CallSite = { what: 'vllm-reward', url, method: 'POST', secrets: [apiKey] };
    const body = await postJson(site, vllmRequest(spec.api, spec.model, args.prompt, args.response), {
      timeoutMs: spec.timeoutSeconds * 1000,
      signal: args.signal,
      apiKey,
    });
    const reward = extractVllmReward(spec.api, body);
    if (typeof reward === 'string') throw malformedResponse(site, reward);
    return reward;
  },
});
