/**
 * `llm-judge` reward: an OpenAI-compatible chat model grades the response on 1..scale.
 *
 * - Request: chat completion, temperature 0, system = rubric (DEFAULT_RUBRIC unless spec.rubric),
 *   user = question + response + the reply format ("... end with a line `Score: N`").
 *   Uses the `openai` package (already a project dependency, handles the OpenAI wire format and
 *   error shapes) with `maxRetries: 0` (retrying is Temporal's job) and the spec's timeout.
 * - Parsing (`parseJudgeScore`): `<think>` blocks are ignored; then, first that applies:
 *   JSON `{"score": 8}` (or "rating"), MT-Bench `[[8]]`, the LAST "score/rating ... N" (also
 *   "Score: 8/10", "score of 8 out of 10"), the last "N/scale" or "N out of scale", the last
 *   bold `**8**`, a reply that is just a number. Decimals are accepted ("8.5"). A fraction with
 *   another denominator is rescaled ("4/5" on a 10 scale = 8). Values outside 1..scale are
 *   treated as unparseable.
 * - Return value: NORMALISED to [0, 1] as (score - 1) / (scale - 1) (scale 1 -> always 1).
 * - Unparseable reply: temperature 0 makes a Temporal retry of the same request almost surely
 *   return the same text, so a Temporal retry would only burn the retry budget. Instead the judge
 *   is asked ONCE more inside the same attempt, with its own reply in the conversation and a
 *   short "reply with only `Score: N`" instruction (a different input, so a useful retry). If that
 *   is still unparseable the attempt fails with a NON-retryable 'JudgeUnparseable' failure that
 *   quotes the start of the reply, so the problem (wrong model, rubric, scale) is visible.
 * - HTTP errors: classified by src/http like every other call (408/425/429/5xx, timeouts,
 *   connection errors -> retryable, Retry-After honoured; other 4xx, empty `choices` -> not).
 */
import { z } from 'zod';
import { failure } from '../common/failures';
import { readApiKey } from '../http/apiKeys';
import { malformedResponse, oneLine, redact, safeUrl, type CallSite } from '../http/failures';
import { chatCompletionsUrl, postChatCompletion } from '../http/openaiChat';
import { apiKeyEnvSchema, timeoutSecondsSchema } from './common';
import { defineReward } from './define';

export const DEFAULT_RUBRIC = [
  'You are an impartial expert judge. Evaluate the quality of an AI assistant\'s response to the user question below.',
  'Consider, in this order of importance:',
  '1. Correctness: are the facts, reasoning, calculations and code right? Penalise errors and hallucinations heavily.',
  '2. Helpfulness: does it fully accomplish what the user asked, with useful detail and without needless padding?',
  '3. Relevance: does it stay on the question and follow the user\'s instructions (format, language, length)?',
  'Do not let the length of the response or its position influence you; be as objective as possible.',
].join('\n');

function judgeInstruction(scale: number): string {
  return (
    `Rate the response on a scale of 1 to ${scale}, where 1 is useless or wrong and ${scale} is excellent. ` +
    `Give at most two sentences of justification, then end your reply with a line of the form "Score: N", ` +
    `where N is an integer from 1 to ${scale}.`
  );
}

export function buildJudgeMessages(
  prompt: string,
  response: string,
  scale: number,
  rubric = DEFAULT_RUBRIC,
): Array<{ role: 'system' | 'user'; content: string }> {
  return [
    { role: 'system', content: rubric },
    {
      role: 'user',
      content:
        `[User question]\n${prompt}\n[End of user question]\n\n` +
        `[Assistant response]\n${response}\n[End of assistant response]\n\n${judgeInstruction(scale)}`,
    },
  ];
}

const NUM = String.raw`(-?\d+(?:\.\d+)?)`;
const DENOM = String.raw`(?:\s*(?:\/|out\s+of)\s*(\d+(?:\.\d+)?))?`;

function lastMatch(text: string, re: RegExp): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m;
  return last;
}

function scaled(value: number, denom: string | undefined, scale: number): number {
  if (denom === undefined) return value;
  const d = Number(denom);
  return d > 0 && d !== scale ? (value / d) * scale : value;
}

/** The judge's score on 1..scale (not normalised), or undefined when the reply has none. */
export function parseJudgeScore(reply: string, scale: number): number | undefined {
  const text = reply.replace(/<think>[\s\S]*?<\/think>/gi, '').replace(/<think>[\s\S]*$/i, '');
  const inRange = (v: number | undefined) =>
    v !== undefined && Number.isFinite(v) && v >= 1 - 1e-9 && v <= scale + 1e-9 ? v : undefined;

  // 1. JSON object with a score/rating field
  for (const m of text.matchAll(/\{[^{}]*\}/g)) {
    try {
      const obj = JSON.parse(m[0]) as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        if (/^(score|rating|grade)$/i.test(k)) {
          const v = typeof obj[k] === 'number' ? obj[k] : typeof obj[k] === 'string' ? Number(obj[k]) : NaN;
          if (inRange(v as number) !== undefined) return v as number;
        }
      }
    } catch {
      /* not JSON */
    }
  }
  // 2. MT-Bench style [[8]]
  let m = lastMatch(text, new RegExp(String.raw`\[\[\s*${NUM}${DENOM}\s*\]\]`, 'g'));
  if (m) return inRange(scaled(Number(m[1]), m[2], scale));
  // 3. the last "score ... N" (also "Score: 8/10", "**Score:** 8", "score of 8 out of 10")
  m = lastMatch(text, new RegExp(String.raw`\b(?:score|rating|grade)\b[^0-9\n-]{0,25}?${NUM}${DENOM}`, 'gi'));
  if (m) return inRange(scaled(Number(m[1]), m[2], scale));
  // 4. the last "N/scale" or "N out of scale"
  m = lastMatch(text, new RegExp(String.raw`${NUM}\s*(?:\/|out\s+of)\s*(\d+(?:\.\d+)?)`, 'g'));
  if (m) return inRange(scaled(Number(m[1]), m[2], scale));
  // 5. the last bold number **8**
  m = lastMatch(text, new RegExp(String.raw`\*\*\s*${NUM}\s*\*\*`, 'g'));
  if (m) return inRange(Number(m[1]));
  // 6. the whole reply is a number
  const bare = /^[\s*_`"'(]*(-?\d+(?:\.\d+)?)[\s*_`"').]*$/.exec(text);
  if (bare) return inRange(Number(bare[1]));
  return undefined;
}

/** Score on 1..scale -> [0, 1]. */
export function normaliseJudgeScore(score: number, scale: number): number {
  if (scale <= 1) return 1;
  return Math.min(1, Math.max(0, (score - 1) / (scale - 1)));
}

type JudgeMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export const llmJudgeReward = defineReward({
  type: 'llm-judge',
  summary:
    'An OpenAI-compatible chat model grades 1..`scale`; the reward is (score − 1) / (`scale` − 1). `rubric` replaces the judge\'s system prompt',
  schema: () =>
    z
      .object({
        type: z.literal('llm-judge'),
        baseURL: z.string().url().describe('OpenAI-compatible base URL of the judge'),
        model: z.string().min(1).describe('Judge model name'),
        apiKeyEnv: apiKeyEnvSchema.describe('Environment variable with the API key'),
        rubric: z.string().optional().describe('System prompt of the judge (default: a built-in helpfulness rubric)'),
        scale: z.number().int().positive().default(10).describe('Scores run 1..scale; the reward is (score - 1) / (scale - 1)'),
        timeoutSeconds: timeoutSecondsSchema,
      })
      .strict(),
  endpoints: (spec) => [{ url: chatCompletionsUrl(spec.baseURL), apiKeyEnv: spec.apiKeyEnv }],
  create: (deps) => async (spec, args) => {
    const { scale } = spec;
    const timeoutMs = spec.timeoutSeconds * 1000;
    const url = chatCompletionsUrl(spec.baseURL);
    const apiKey = readApiKey(deps.env, spec.apiKeyEnv, 'llm-judge');
    const site: CallSite = { what: 'llm-judge', url, method: 'POST', secrets: [apiKey] };
    const client = deps.clients.get(spec.baseURL.replace(/\/+$/, ''), apiKey);
    const messages: JudgeMessage[] = buildJudgeMessages(args.prompt, args.response, scale, spec.rubric ?? DEFAULT_RUBRIC);

    const ask = async (): Promise<string> => {
      const raw = await postChatCompletion(client, site, { model: spec.model, messages, temperature: 0 }, { timeoutMs, signal: args.signal });
      let completion: { choices?: Array<{ message?: { content?: unknown } }> };
      try {
        completion = JSON.parse(raw) as typeof completion;
      } catch {
        throw malformedResponse(site, `body is not valid JSON: ${JSON.stringify(oneLine(raw, 120))}`);
      }
      const message = completion?.choices?.[0]?.message;
      if (!message || typeof message !== 'object') throw malformedResponse(site, `no choices[0].message in ${oneLine(raw, 150)}`);
      return typeof message.content === 'string' ? message.content : '';
    };

    const first = await ask();
    let score = parseJudgeScore(first, scale);
    let last = first;
    if (score === undefined) {
      messages.push(
        { role: 'assistant', content: first },
        { role: 'user', content: `Reply with only "Score: N", where N is an integer from 1 to ${scale}.` },
      );
      last = await ask();
      score = parseJudgeScore(last, scale);
    }
    if (score === undefined) {
      throw failure(
        'JudgeUnparseable',
        `llm-judge: model "${spec.model}" at ${safeUrl(url)} gave no score on 1..${scale} (also after a follow-up asking for one); ` +
          `reply: "${redact(oneLine(last || first, 160), [apiKey])}"`,
      );
    }
    return normaliseJudgeScore(score, scale);
  },
});
