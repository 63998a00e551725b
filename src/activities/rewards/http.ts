/**
 * `http` reward backend: POST <url> with JSON
 *   {"prompt": string, "response": string, "model"?: string, "promptId"?: string, "reference"?: string}
 * (the last three omitted when absent), answered by {"reward": <finite number>}.
 * Optional `Authorization: Bearer $<apiKeyEnv>`. Errors are classified as in ../errors.
 */
import { malformedResponse, type CallSite } from '../errors';
import { postJson, readApiKey } from '../http';
import type { RewardArgs, RewardSpecOf } from './types';

export async function httpReward(args: RewardArgs<RewardSpecOf<'http'>>): Promise<number> {
  const { spec } = args;
  const apiKey = readApiKey(args.env ?? {}, spec.apiKeyEnv, `reward http ${spec.url}`);
  const site: CallSite = { what: 'reward http', url: spec.url, method: 'POST', secrets: [apiKey] };
  const body: Record<string, string> = { prompt: args.prompt, response: args.response };
  if (args.model !== undefined) body.model = args.model;
  if (args.promptId !== undefined) body.promptId = args.promptId;
  if (args.reference !== undefined) body.reference = args.reference;
  const answer = await postJson(site, body, { timeoutMs: (spec.timeoutSeconds ?? 120) * 1000, signal: args.signal, apiKey });
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) {
    throw malformedResponse(site, `expected a JSON object {"reward": number}, got ${describe(answer)}`);
  }
  if (!('reward' in answer)) throw malformedResponse(site, 'field "reward" is missing');
  const reward = (answer as { reward: unknown }).reward;
  if (typeof reward !== 'number') throw malformedResponse(site, `field "reward" is ${describe(reward)}, expected a number`);
  if (!Number.isFinite(reward)) throw malformedResponse(site, `field "reward" is ${reward}, expected a finite number`);
  return reward;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
