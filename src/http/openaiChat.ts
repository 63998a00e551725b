/**
 * One chat completion through the `openai` package, for every OpenAI-compatible endpoint the
 * workers call (agents and LLM judges): the client's own retries are off (Temporal owns retries),
 * the per-attempt deadline is ours, and every failure is classified by ./failures.
 */
import { createHash } from 'node:crypto';
import OpenAI, { APIUserAbortError } from 'openai';
import { startDeadline } from './deadline';
import { fromOpenAIError, timeoutFailure, type CallSite } from './failures';

/** Placeholder key for endpoints without authentication (vLLM and llama.cpp ignore it). */
export const NO_API_KEY = 'EMPTY';

/** `openai` clients by base URL and key (one per endpoint and key, reused across calls). */
export class OpenAIClients {
  private readonly clients = new Map<string, OpenAI>();

  get(baseURL: string, apiKey: string | undefined): OpenAI {
    const key = apiKey ?? NO_API_KEY;
    const id = `${baseURL}\u0000${createHash('sha256').update(key).digest('hex')}`;
    let client = this.clients.get(id);
    if (!client) {
      // organization/project null: never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment;
      // an explicit key (or the placeholder): never fall back to OPENAI_API_KEY.
      client = new OpenAI({ baseURL, apiKey: key, maxRetries: 0, organization: null, project: null });
      this.clients.set(id, client);
    }
    return client;
  }
}

export function chatCompletionsUrl(baseURL: string): string {
  return `${baseURL.replace(/\/+$/, '')}/chat/completions`;
}

/**
 * POSTs the chat completion and returns the raw 2xx body (callers validate the fields they need).
 * If `signal` aborts, its reason is thrown as it is, for the caller to report a cancellation; a
 * deadline that expires becomes a retryable Timeout.
 */
export async function postChatCompletion(
  client: OpenAI,
  site: CallSite,
  body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<string> {
  const deadline = startDeadline(opts.timeoutMs, opts.signal);
  try {
    const response = await client.chat.completions.create(body, { signal: deadline.signal, timeout: opts.timeoutMs }).asResponse();
    return await response.text();
  } catch (err) {
    // The caller's cancellation, as the caller gave it (it reports the cancellation, not us).
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    // Our own deadline decides "timeout": the client's detection depends on the abort error's
    // realm (it misses DOMException under jest's vm), ours does not.
    if (deadline.expired && (err instanceof APIUserAbortError || isAbort(err))) throw timeoutFailure(site, opts.timeoutMs);
    throw fromOpenAIError(site, err, opts.timeoutMs);
  } finally {
    deadline.clear();
  }
}

function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}
