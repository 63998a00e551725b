/**
 * Messages exchanged between the HTTP server (main thread) and the llama engine (worker thread).
 * Plain data only: everything here crosses a worker_threads boundary (structured clone).
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** Sampling parameters of one choice, already validated and defaulted by the server. */
export interface SamplingParams {
  temperature: number;
  topP: number;
  /** Extension (not in the OpenAI API): top-k; 0 disables it. */
  topK: number;
  /** Upper bound on generated tokens; the engine may stop earlier when the context is full. */
  maxTokens: number;
  seed: number;
  stop: string[];
}

export interface EngineInitOptions {
  ggufPath: string;
  threads: number;
  parallel: number;
  contextSize: number;
  batchSize?: number;
}

export interface EngineInfo {
  /** general.name from the GGUF metadata, if any. */
  ggufName?: string;
  architecture?: string;
  chatWrapper: string;
  hasChatTemplate: boolean;
  /** Context size per sequence, as created. */
  contextSize: number;
  trainContextSize: number;
  parallel: number;
  threads: number;
}

export interface PromptInfo {
  promptTokens: number;
}

export interface ChoiceResult {
  text: string;
  finishReason: 'stop' | 'length';
  completionTokens: number;
  /** Milliseconds from the start of prompt evaluation to the last token. */
  elapsedMs: number;
  /** Milliseconds spent waiting for a free sequence. */
  queuedMs: number;
}

export type EngineRequest =
  | { id: number; op: 'init'; options: EngineInitOptions }
  | { id: number; op: 'prompt'; messages: ChatMessage[] }
  | { id: number; op: 'generate'; messages: ChatMessage[]; params: SamplingParams }
  | { id: number; op: 'cancel'; target: number }
  | { id: number; op: 'stats' }
  | { id: number; op: 'dispose' };

export interface EngineStats {
  busy: number;
  queued: number;
  parallel: number;
}

export type EngineResponse =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string } };

/** Error codes the engine reports and the server maps to HTTP statuses. */
export const CONTEXT_LENGTH_EXCEEDED = 'context_length_exceeded';
export const CANCELLED = 'cancelled';
