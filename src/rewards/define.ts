/**
 * What a reward backend is: one module exporting its options schema (zod, with defaults and
 * descriptions) and a factory that, given the worker's dependencies, returns its scoring
 * function. The list of backends is in ./index.ts.
 *
 * A scoring function returns a finite number or throws an ApplicationFailure of the one failure
 * vocabulary (src/common/failures.ts); HTTP backends use src/http (one classifier, one client).
 */
import type { z } from 'zod';
import type { OpenAIClients } from '../http/openaiChat';

/** What every backend receives for one (prompt, response) pair. */
export interface RewardArgs {
  /** The original dataset prompt (not wrapped by the instruction template). */
  prompt: string;
  response: string;
  /** Gold answer / reference translation (dataset.referenceField), for reference-based rewards. */
  reference?: string;
  promptId?: string;
  /** Model name of the agent that produced the response (informational). */
  model?: string;
  /** Aborted when the activity is cancelled; pass it to every request. */
  signal?: AbortSignal;
}

/** What a backend's factory receives: the worker's environment and shared clients. */
export interface RewardDeps {
  /** Where API keys are read (`apiKeyEnv`): the worker's process.env in production. */
  env: NodeJS.ProcessEnv;
  /** Shared `openai` clients (LLM judges). */
  clients: OpenAIClients;
  /** Scores with another spec through the same registry (composite rewards such as `weighted`). */
  score(spec: AnyRewardSpec, args: RewardArgs): Promise<number>;
}

/** An HTTP endpoint a spec calls, and the key variable it sends (for the worker allow-list). */
export interface RewardEndpoint {
  url: string;
  apiKeyEnv?: string;
}

/**
 * Any reward spec, as the definitions see one another (the precise union, RewardSpec in ./index,
 * is built from these definitions, so they cannot name it without a circular type).
 */
export interface AnyRewardSpec {
  type: string;
}

type SpecSchema = z.ZodType<AnyRewardSpec, unknown>;

export interface RewardBackendDefinition<Schema extends SpecSchema = SpecSchema> {
  type: z.output<Schema>['type'];
  /** One line for the docs' rewards table. */
  summary: string;
  /** The options schema; receives the full reward union for composite backends (`weighted`). */
  schema(reward: z.ZodType<AnyRewardSpec, unknown>): Schema;
  /** True when the backend scores against `dataset.referenceField` (checked before a sweep starts). */
  needsReference?(spec: z.output<Schema>): boolean;
  /** HTTP endpoints the spec calls (checked against a worker's allow-list). */
  endpoints?(spec: z.output<Schema>): RewardEndpoint[];
  /** The rewards a composite spec is made of (their endpoints and references count too). */
  components?(spec: z.output<Schema>): AnyRewardSpec[];
  create(deps: RewardDeps): (spec: z.output<Schema>, args: RewardArgs) => Promise<number>;
}

/** Identity function that types `create` and the helpers from the schema. */
export function defineReward<Schema extends SpecSchema>(def: RewardBackendDefinition<Schema>): RewardBackendDefinition<Schema> {
  return def;
}
