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
 * Errors: see httpErrors.ts (429/5xx/timeouts/connection -> retryable, others non-retryable).
 */
import {
  httpStatusFailure,
  malformedFailure,
  networkFailure,
  nonRetryable,
  oneLine,
  readApiKey,
  RewardErrorType,
} from './httpErrors';
import { startDeadline } from '../activities/deadline';
import type { RewardArgs } from './types';

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

export async function vllmReward(args: RewardArgs): Promise<number> {
  const spec = args.spec;
  if (spec.type !== 'vllm-reward')
    throw nonRetryable(RewardErrorType.InvalidRewardSpec, `vllm-reward backend called with a "${spec.type}" spec`);
  const api: Api = spec.api ?? 'pooling';
  const root = spec.baseURL.replace(/\/+$/, '').replace(/\/v1$/, '');
  const url = `${root}/${api}`;
  const timeoutMs = (spec.timeoutSeconds ?? 120) * 1000;
  const apiKey = readApiKey('vllm-reward', spec.apiKeyEnv, args.env);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;

  const deadline = startDeadline(timeoutMs, args.signal);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(vllmRequest(api, spec.model, args.prompt, args.response)),
      signal: deadline.signal,
    });
    text = await res.text();
  } catch (err) {
    if (args.signal?.aborted) throw args.signal.reason ?? err; // cancellation, not a reward failure
    throw networkFailure('vllm-reward', url, err, timeoutMs, deadline.expired || undefined);
  } finally {
    deadline.clear();
  }
  if (!res.ok) throw httpStatusFailure('vllm-reward', url, res.status, text, res.headers.get('retry-after'), apiKey);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw malformedFailure('vllm-reward', url, `not JSON: ${oneLine(text, 120)}`, apiKey);
  }
  const reward = extractVllmReward(api, body);
  if (typeof reward === 'string') throw malformedFailure('vllm-reward', url, reward, apiKey);
  return reward;
}
