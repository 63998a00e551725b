/**
 * One generation: one chat completion from one agent's OpenAI-compatible endpoint (the first
 * half of the `play` activity).
 *
 * Loads the prompt, the input responses and any template overrides from the store, builds the
 * messages (src/prompts), calls POST <baseURL>/chat/completions through src/http (the `openai`
 * package, its own retries off: Temporal retries), validates the answer, stores the
 * text and returns its reference with token counts, latency and finish reason.
 *
 * Answer validation is strict (a demanding user's accounting): `choices[0].message.content`
 * must be a string and `usage.prompt_tokens` / `usage.completion_tokens` non-negative integers.
 * A server that omits or mistypes them fails the call as non-retryable MalformedResponse naming
 * the field, rather than recording invented token counts that would corrupt cost and compute
 * curves. `finish_reason` is recorded as sent ("unknown" when the server sends none).
 */
import type OpenAI from 'openai';
import type { AgentConfig } from '../config/schema';
import { readApiKey } from '../http/apiKeys';
import { configError, malformedResponse, oneLine, type CallSite } from '../http/failures';
import { chatCompletionsUrl, OpenAIClients, postChatCompletion } from '../http/openaiChat';
import { buildMessages, TemplateError, type TemplateOverrides } from '../prompts';
import { withCallContext } from './context';
import { Gate } from './gate';
import { getText, previewOf, putText, storeFor } from './texts';
import type { GenerateInput, GenerateOutput, TemplateRefs } from './types';

export interface GenerateDeps {
  env: NodeJS.ProcessEnv;
  /** `openai` clients by base URL and key, shared by the worker's activities. */
  clients: OpenAIClients;
  /** Per-endpoint gates (agent.maxConcurrency requests in flight from this process). */
  gates: Map<string, Gate>;
}

/** The gate of an agent's endpoint: sized by the first agent seen for it, like its worker's slots. */
function gateFor(deps: GenerateDeps, agent: AgentConfig): Gate {
  const id = `${agent.baseURL}\u0000${agent.model}`;
  let gate = deps.gates.get(id);
  if (!gate) {
    gate = new Gate(agent.maxConcurrency);
    deps.gates.set(id, gate);
  }
  return gate;
}

export function agentLabel(agent: AgentConfig): string {
  return `agent "${agent.name}" (model ${agent.model})`;
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
    const apiKey = readApiKey(deps.env, agent.apiKeyEnv, what);
    const url = chatCompletionsUrl(agent.baseURL);
    const site: CallSite = { what, url, method: 'POST', secrets: [apiKey] };

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
    const client = deps.clients.get(agent.baseURL, apiKey);

    const gate = gateFor(deps, agent);
    const { raw, latencyMs } = await withCallContext(`${what} ${action.id}`, async (ctx) => {
      // Waiting for the endpoint heartbeats like the call itself, and ends on cancellation.
      const release = await gate.acquire(ctx.signal);
      const started = performance.now();
      try {
        const text = await postChatCompletion(client, site, body, { timeoutMs, signal: ctx.signal });
        return { raw: text, latencyMs: Math.round(performance.now() - started) };
      } finally {
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
