/**
 * THE list of search methods. Adding a method: one module (schema + factory, see ./define.ts),
 * one entry below, and its rules in docs/algorithm.md. The sweep file's `methods` union, the
 * JSON Schema, `createStrategy` and the methods table of docs/sweep-file.md all come from here.
 * The zod union of the sweep file is built client-side (src/config/methodSchema.ts): nothing
 * here evaluates zod, so the workflow bundle does not carry it.
 */
import type { z } from 'zod';
import type { Strategy } from '../types';
import { abmctsMethod } from './abmcts';
import type { MethodDefinition, SearchContext } from './define';
import { ensembleMethod } from './ensemble';
import { moaMethod } from './moa';
import { prsMethod } from './prs';
import { randomMethod } from './random';
import { sequentialMethod } from './sequential';
import { toaMethod } from './toa';
import { toaPlusMethod } from './toaPlus';

export const METHODS = [
  toaMethod,
  randomMethod,
  prsMethod,
  ensembleMethod,
  sequentialMethod,
  moaMethod,
  abmctsMethod,
  toaPlusMethod,
] as const;

/** The schema of any one method (what a `schema` builder returns). */
export type AnyMethodSchema = ReturnType<(typeof METHODS)[number]['schema']>;
/** A method entry of the sweep file (any method, defaults applied). */
export type MethodSpec = z.output<AnyMethodSchema>;
export type MethodType = MethodSpec['type'];
export type MethodSpecOf<T extends MethodType> = Extract<MethodSpec, { type: T }>;

export function methodDefinition(type: string): MethodDefinition {
  const def = METHODS.find((m) => m.type === type);
  if (!def) throw new Error(`unknown method type ${JSON.stringify(type)} (known: ${METHODS.map((m) => m.type).join(', ')})`);
  return def as unknown as MethodDefinition;
}

/** The name a method goes by in results, workflow IDs and reports. */
export function methodLabelOf(m: Pick<MethodSpec, 'type' | 'label'>): string {
  return m.label ?? m.type;
}

function validate(agents: string[], budget: number, seed: number): void {
  if (!Array.isArray(agents) || agents.length === 0) throw new Error('at least one agent is required');
  const seen = new Set<string>();
  for (const a of agents) {
    if (typeof a !== 'string' || a.length === 0)
      throw new Error(`agent names must be non-empty strings, got ${JSON.stringify(a)}`);
    if (seen.has(a)) throw new Error(`duplicate agent "${a}"`);
    seen.add(a);
  }
  if (!Number.isInteger(budget) || budget < 1) throw new Error(`budget must be an integer >= 1, got ${budget}`);
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
}

/**
 * A fresh strategy for one prompt. `agents` in configuration order, `budget` generations, `seed`
 * the prompt's search seed (the only source of randomness a strategy may use).
 */
export function createStrategy(spec: MethodSpec, ctx: Omit<SearchContext, 'label'>): Strategy {
  validate(ctx.agents, ctx.budget, ctx.seed);
  const def = methodDefinition(spec.type);
  const label = methodLabelOf(spec);
  for (const ref of def.agentReferences?.(spec) ?? []) {
    if (!ctx.agents.includes(ref.agent))
      throw new Error(`${label}: unknown agent "${ref.agent}" (configured: ${ctx.agents.join(', ')})`);
  }
  return def.create(spec, { ...ctx, label });
}

export type { AgentReference, MethodDefinition, SearchContext, Zod } from './define';
export { defineMethod, methodLabelSchema, nameSchema } from './define';
