/**
 * What a search method is: one module exporting its options schema (zod, with defaults and
 * descriptions: the sweep file, the JSON Schema and the docs table come from it) and a factory
 * that builds its Strategy for one prompt. The list of methods is in ./index.ts.
 *
 * Workflow-safe and zod-free at run time: a schema is a function of the zod namespace, called
 * only by the client (src/config/methodSchema.ts). The workflow sandbox evaluates its modules
 * again for every workflow execution, and evaluating zod there cost ~18% of the workflow
 * thread (profile in docs/benchmarks.md).
 */
import type { z } from 'zod';
import type { Strategy } from '../types';

/** The zod namespace, handed to schema builders by the client. */
export type Zod = typeof z;

/** Agent, method and other names: usable in task queue names, workflow IDs and file names. */
export function nameSchema(zod: Zod) {
  return zod.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" or "-", at most 63 characters');
}

/** The optional `label` every method has: its name in results, workflow IDs and reports. */
export function methodLabelSchema(zod: Zod) {
  return nameSchema(zod).optional().describe('Label in results; defaults to the method type');
}

/** Everything a strategy is built from besides its own options. */
export interface SearchContext {
  /** Agent names in configuration order (the order breaks ties and fixes round-robin and truncation). */
  agents: string[];
  /** Generations for this prompt (N). */
  budget: number;
  /** The prompt's search seed (derived from the run's seed and the prompt id by the driver). */
  seed: number;
  /** The method's label, for results. */
  label: string;
}

/** A reference from a method's options to an agent (checked against the sweep's agents). */
export interface AgentReference {
  /** Field path inside the method spec, e.g. ['agent']. */
  path: Array<string | number>;
  agent: string;
}

type SpecSchema = z.ZodType<{ type: string; label?: string }, unknown>;

export interface MethodDefinition<Schema extends SpecSchema = SpecSchema> {
  type: z.output<Schema>['type'];
  /** One line for the docs' methods table. */
  summary: string;
  /** Where the method comes from (a paper, or "this project"). */
  origin: string;
  /** Strict object schema: `type` literal, `label`, the method's options with defaults and descriptions. */
  schema(zod: Zod): Schema;
  /** Builds the strategy of one prompt (pure, deterministic given the context). */
  create(spec: z.output<Schema>, ctx: SearchContext): Strategy;
  /** Agents the options name, so a sweep file naming an unknown agent fails at load time. */
  agentReferences?(spec: z.output<Schema>): AgentReference[];
}

/** Identity function that types `create` and `agentReferences` from the schema. */
export function defineMethod<Schema extends SpecSchema>(def: MethodDefinition<Schema>): MethodDefinition<Schema> {
  return def;
}
