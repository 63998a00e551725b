/**
 * The `generate` activity: one chat completion from one agent's OpenAI-compatible endpoint.
 *
 * Loads the prompt, the input responses and any template overrides from the store, builds the
 * messages (src/prompts), calls POST <baseURL>/chat/completions through the `openai` package
 * with its own retries off (Temporal retries, see errors.ts), validates the answer, stores the
 * text and returns its reference with token counts, latency and finish reason.
 *
 * Answer validation is strict (a demanding user's accounting): `choices[0].message.content`
 * must be a string and `usage.prompt_tokens` / `usage.completion_tokens` non-negative integers.
 * A server that omits or mistypes them fails the call as non-retryable MalformedResponse naming
 * the field, rather than recording invented token counts that would corrupt cost and compute
 * curves. `finish_reason` is recorded as sent ("unknown" when the server sends none).
 */
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { APIUserAbortError } from 'openai';
import type { AgentConfig } from '../config/schema';
import { buildMessages, TemplateError, type TemplateOverrides } from '../prompts';
import { withCallContext } from './context';
import { startDeadline } from './deadline';
import { Gate } from './gate';
import { configError, fromOpenAIError, malformedResponse, oneLine, timeoutFailure, type CallSite } from './errors';
import { readApiKey } from './http';
import { getText, previewOf, putText, storeFor } from './texts';
import type { GenerateInput, GenerateOutput, TemplateRefs } from './types';

export interface GenerateDeps {
  env: NodeJS.ProcessEnv;
  /** Client cache, keyed by base URL and a hash of the key; one per createActivities call. */
  clients?: Map<string, OpenAI>;
  /** Per-endpoint gates (agent.maxConcurrency requests in flight from this process). */
  gates?: Map<string, Gate>;
}

/** The gate of an agent's endpoint: sized by the first agent seen for it, like its worker's slots. */
function gateFor(deps: GenerateDeps, agent: AgentConfig): Gate {
  const gates = (deps.gates ??= new Map());
  const id = `${agent.baseURL}\u0000${agent.model}`;
  let gate = gates.get(id);
  if (!gate) {
    gate = new Gate(agent.maxConcurrency);
    gates.set(id, gate);
  }
  return gate;
}

/** Placeholder key for endpoints without authentication (vLLM and llama.cpp ignore it). */
const NO_KEY = 'EMPTY';

export function chatCompletionsUrl(baseURL: string): string {
  return `${baseURL.replace(/\/+$/, '')}/chat/completions`;
}

export function agentLabel(agent: AgentConfig): string {
  return `agent "${agent.name}" (model ${agent.model})`;
}

function clientFor(deps: GenerateDeps, baseURL: string, apiKey: string): OpenAI {
  const clients = (deps.clients ??= new Map());
  const id = `${baseURL}\u0000${createHash('sha256').update(apiKey).digest('hex')}`;
  let client = clients.get(id);
  if (!client) {
    // organization/project null: never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment.
    client = new OpenAI({ baseURL, apiKey, maxRetries: 0, organization: null, project: null });
    clients.set(id, client);
  }
  return client;
}

export function createGenerate(deps: GenerateDeps): (input: GenerateInput) => Promise<GenerateOutput> {
  return async function generate(input: GenerateInput): Promise<GenerateOutput> {
    const { agent, action } = input;
    if (!agent || typeof agent.baseURL !== 'string' || typeof agent.model !== 'string') {
      throw configError('generate: input.agent must have baseURL and model');
    }
    const what = agentLabel(agent);
    if (!action || !Array.isArray(input.inputRefs) || input.inputRefs.length !== action.inputs.length) {
      throw configError(
        `${what}: action ${action?.id}: ${input.inputRefs?.length ?? 'no'} input refs for ${action?.inputs?.length ?? '?'} inputs`,
      );
    }
    const apiKey = readApiKey(deps.env, agent.apiKeyEnv, what) ?? NO_KEY;
    const url = chatCompletionsUrl(agent.baseURL);
    const site: CallSite = { what, url, method: 'POST', secrets: [apiKey === NO_KEY ? undefined : apiKey] };

    const store = storeFor(input.store);
    const prompt = await getText(store, input.promptRef, 'the prompt');
    const inputs = await Promise.all(
      input.inputRefs.map((ref, i) => getText(store, ref, `input ${action.inputs[i]} of action ${action.id}`)),
    );
    const templates = await loadTemplates(input.templates, (ref, name) => getText(store, ref, `the ${name} template`));

    let messages;
    try {
      messages = buildMessages({ kind: action.kind, prompt, inputs, templates, systemPrompt: agent.systemPrompt });
    } catch (err) {
      if (err instanceof TemplateError) throw configError(`${what}: action ${action.id}: ${err.message}`);
      throw err;
    }

    const s = agent.sampling;
    const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = {
      model: agent.model,
      messages,
      temperature: s.temperature,
      top_p: s.topP,
      max_tokens: s.maxTokens,
    };
    if (s.stop && s.stop.length > 0) body.stop = s.stop;
    if (input.seed !== undefined) body.seed = input.seed;

    const timeoutMs = Math.max(1, Math.round(agent.timeoutSeconds * 1000));
    const client = clientFor(deps, agent.baseURL, apiKey);

    const gate = gateFor(deps, agent);
    const { raw, latencyMs } = await withCallContext(`${what} ${action.id}`, async (ctx) => {
      // Waiting for the endpoint heartbeats like the call itself, and ends on cancellation.
      const release = await gate.acquire(ctx.signal);
      const deadline = startDeadline(timeoutMs, ctx.signal);
      const started = performance.now();
      try {
        const response = await client.chat.completions.create(body, { signal: deadline.signal, timeout: timeoutMs }).asResponse();
        const text = await response.text();
        return { raw: text, latencyMs: Math.round(performance.now() - started) };
      } catch (err) {
        if (ctx.signal.aborted) throw err; // becomes CancelledFailure
        if (deadline.expired && (err instanceof APIUserAbortError || isAbort(err))) throw timeoutFailure(site, timeoutMs);
        throw fromOpenAIError(site, err, timeoutMs);
      } finally {
        deadline.clear();
        release();
      }
    });

    const parsed = parseCompletion(site, raw);
    const ref = await putText(store, parsed.content, `the response of action ${action.id}`);
    return {
      ref,
      preview: previewOf(parsed.content),
      promptTokens: parsed.promptTokens,
      completionTokens: parsed.completionTokens,
      latencyMs,
      finishReason: parsed.finishReason,
    };
  };
}

async function loadTemplates(
  refs: TemplateRefs | undefined,
  load: (ref: string, name: string) => Promise<string>,
): Promise<TemplateOverrides> {
  const out: TemplateOverrides = {};
  for (const name of ['refine', 'aggregate', 'instruction'] as const) {
    const ref = refs?.[name];
    if (ref) out[name] = await load(ref, name);
  }
  return out;
}

function isAbort(err: unknown): boolean {
  return (
    !!err &&
    typeof err === 'object' &&
    ((err as { name?: unknown }).name === 'AbortError' || (err as { name?: unknown }).name === 'TimeoutError')
  );
}

export interface ParsedCompletion {
  content: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: string;
}

/** Validates a chat completion body (see the file comment for what is required). */
export function parseCompletion(site: CallSite, raw: string): ParsedCompletion {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw malformedResponse(site, `body is not valid JSON (${(err as Error).message}): ${JSON.stringify(oneLine(raw, 120))}`);
  }
  if (!isObject(json)) throw malformedResponse(site, `expected a JSON object, got ${kindOf(json)}`);
  if (isObject(json.error)) {
    throw malformedResponse(
      site,
      `2xx answer carries an error: ${oneLine(String(json.error.message ?? JSON.stringify(json.error)))}`,
    );
  }
  const choices = json.choices;
  if (!Array.isArray(choices) || choices.length === 0)
    throw malformedResponse(site, `"choices" is ${kindOf(choices)}, expected a non-empty array`);
  const choice: unknown = choices[0];
  if (!isObject(choice) || !isObject(choice.message)) throw malformedResponse(site, `"choices[0].message" is missing`);
  const content = choice.message.content;
  if (typeof content !== 'string') {
    throw malformedResponse(site, `"choices[0].message.content" is ${kindOf(content)}, expected a string`);
  }
  const usage = json.usage;
  if (!isObject(usage))
    throw malformedResponse(site, `"usage" is ${kindOf(usage)}, expected an object with prompt_tokens and completion_tokens`);
  const promptTokens = tokenCount(site, usage, 'prompt_tokens');
  const completionTokens = tokenCount(site, usage, 'completion_tokens');
  const fr = choice.finish_reason;
  const finishReason = typeof fr === 'string' && fr.length > 0 ? fr : 'unknown';
  return { content, promptTokens, completionTokens, finishReason };
}

function tokenCount(site: CallSite, usage: Record<string, unknown>, field: string): number {
  const v = usage[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw malformedResponse(site, `"usage.${field}" is ${kindOf(v)}, expected a non-negative integer`);
  }
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return `a ${typeof v}`;
}
