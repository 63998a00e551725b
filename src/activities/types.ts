/**
 * Inputs and outputs of every activity. Workflows import these types (type-only) and call
 * activities through proxyActivities; nothing here may carry a secret or a long text:
 * texts live in the content-addressed response store and travel as references.
 */
import type { AgentConfig, RewardSpec } from '../config/schema';
import type { Action } from '../search/types';
import type { StoreSpec, TemplateRefs } from '../common/store';

export type { StoreSpec, TemplateRefs };

export interface GenerateInput {
  /** Endpoint and sampling settings; the API key is read by the worker from agent.apiKeyEnv. */
  agent: AgentConfig;
  store: StoreSpec;
  /** Store key of the original prompt text. */
  promptRef: string;
  action: Action;
  /** Store keys of action.inputs, same order. */
  inputRefs: string[];
  templates: TemplateRefs;
  /** Per-call seed derived from the search seed and the action id (endpoints that honour it are reproducible). */
  seed?: number;
  /** For logs and the UI summary only. */
  label?: string;
}

export interface GenerateOutput {
  /** Store key of the generated text. */
  ref: string;
  /** First ~80 characters, for the UI. */
  preview: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  finishReason: string;
}

export interface ScoreInput {
  reward: RewardSpec;
  store: StoreSpec;
  promptRef: string;
  responseRef: string;
  referenceRef?: string;
  promptId?: string;
  /** Agent model name that produced the response. */
  model?: string;
}

export interface ScoreOutput {
  reward: number;
}

/**
 * What every play of one prompt shares, stored once in the response store (JSON) by the
 * workflow's first step, so each play's input carries only its key.
 */
export interface PlayContext {
  agents: AgentConfig[];
  reward: RewardSpec;
  templates: TemplateRefs;
  promptId: string;
  promptRef: string;
  referenceRef?: string;
  /** The search seed; each call's seed is derived from it, the prompt id and the action id. */
  seed: number;
}

export interface PutPlayContextInput {
  store: StoreSpec;
  context: PlayContext;
}

/** One play = one generation by one agent + its reward, in a single activity. */
export interface PlayInput {
  store: StoreSpec;
  /** Store key of the PlayContext JSON. */
  contextRef: string;
  /** action.agent is resolved in the context. */
  action: Action;
  /** Store keys of action.inputs, same order. */
  inputRefs: string[];
}

/** What the search needs to go on; latency and the rest stay in the store's memos. */
export interface PlayOutput {
  /** Store key of the generated text. */
  ref: string;
  promptTokens: number;
  completionTokens: number;
  reward: number;
}
