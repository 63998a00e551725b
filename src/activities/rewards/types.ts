/**
 * The interface every reward backend implements. The score activity loads the texts from the
 * store and calls the backend registered for `spec.type` (see ./index.ts).
 *
 * A backend returns a finite number or throws; for HTTP backends use `postJson` and the
 * classifiers in ../errors (or ../http) so failures are retryable or not as documented.
 */
import type { RewardSpec } from '../../config/schema';

export type RewardType = RewardSpec['type'];
export type RewardSpecOf<T extends RewardType> = Extract<RewardSpec, { type: T }>;

export interface RewardArgs<S extends RewardSpec = RewardSpec> {
  spec: S;
  /** The original dataset prompt (not wrapped by the instruction template). */
  prompt: string;
  response: string;
  reference?: string;
  promptId?: string;
  /** Agent model name that produced the response. */
  model?: string;
  /** Environment to read API keys from (`spec.apiKeyEnv`); the worker's process.env in production. */
  env?: NodeJS.ProcessEnv;
  /** Aborted when the activity is cancelled; pass it to fetch. */
  signal?: AbortSignal;
  /** Scores with another spec through the same registry (for composite rewards such as `weighted`). */
  dispatch?: (spec: RewardSpec) => Promise<number>;
}

export type RewardBackend<S extends RewardSpec = RewardSpec> = (args: RewardArgs<S>) => Promise<number>;

/** One backend per reward type; absent types are "not available". */
export type RewardRegistry = { [T in RewardType]?: RewardBackend<RewardSpecOf<T>> };
