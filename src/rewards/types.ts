import type { RewardSpec } from '../config/schema';

/** What every reward backend receives for one (prompt, response) pair. */
export interface RewardArgs<S extends RewardSpec = RewardSpec> {
  spec: S;
  prompt: string;
  response: string;
  /** Gold answer / reference translation (dataset.referenceField), for reference-based rewards. */
  reference?: string;
  promptId?: string;
  /** Name of the agent/model that produced the response (informational). */
  model?: string;
  /** Environment the API keys are read from (workers only). */
  env: NodeJS.ProcessEnv;
  /** Cancellation (Temporal activity cancellation). */
  signal?: AbortSignal;
}

/** A reward backend: returns the raw reward of one response. Failures are Temporal ApplicationFailures. */
export type RewardFn = (args: RewardArgs) => Promise<number>;

/** Backends by `spec.type`. */
export type RewardRegistry = Record<string, RewardFn>;

export type SpecOf<T extends RewardSpec['type']> = Extract<RewardSpec, { type: T }>;
