/**
 * Compute accounting: every result carries generations, tokens, estimated FLOPs and cost, so
 * scaling curves can be drawn against any of them. FLOPs follow the usual inference estimate
 * 2 × parameters × tokens (prompt and completion tokens both pass through the model).
 */
import type { AgentConfig } from '../config/schema';

export interface CallRecord {
  actionId: string;
  agent: string;
  ref: string;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  reward: number;
}

export interface ComputeTotals {
  generations: number;
  promptTokens: number;
  completionTokens: number;
  flops: number;
  /** USD, counting only agents with pricing configured. */
  costUsd: number;
  byAgent: Record<string, { generations: number; promptTokens: number; completionTokens: number; flops: number; costUsd: number }>;
}

export function emptyCompute(): ComputeTotals {
  return { generations: 0, promptTokens: 0, completionTokens: 0, flops: 0, costUsd: 0, byAgent: {} };
}

export function callFlops(agent: Pick<AgentConfig, 'parameters'>, promptTokens: number, completionTokens: number): number {
  return 2 * agent.parameters * (promptTokens + completionTokens);
}

export function callCost(agent: Pick<AgentConfig, 'pricing'>, promptTokens: number, completionTokens: number): number {
  if (!agent.pricing) return 0;
  return (promptTokens * agent.pricing.promptPerMTok + completionTokens * agent.pricing.completionPerMTok) / 1e6;
}

export function computeOf(calls: ReadonlyArray<Pick<CallRecord, 'agent' | 'promptTokens' | 'completionTokens'>>, agents: AgentConfig[]): ComputeTotals {
  const byName = new Map(agents.map((a) => [a.name, a]));
  const totals = emptyCompute();
  for (const c of calls) {
    const agent = byName.get(c.agent);
    const flops = agent ? callFlops(agent, c.promptTokens, c.completionTokens) : 0;
    const cost = agent ? callCost(agent, c.promptTokens, c.completionTokens) : 0;
    addTo(totals, { generations: 1, promptTokens: c.promptTokens, completionTokens: c.completionTokens, flops, costUsd: cost });
    const a = (totals.byAgent[c.agent] ??= { generations: 0, promptTokens: 0, completionTokens: 0, flops: 0, costUsd: 0 });
    addTo(a, { generations: 1, promptTokens: c.promptTokens, completionTokens: c.completionTokens, flops, costUsd: cost });
  }
  return totals;
}

type Counts = Omit<ComputeTotals, 'byAgent'>;

function addTo(target: Counts, add: Counts): void {
  target.generations += add.generations;
  target.promptTokens += add.promptTokens;
  target.completionTokens += add.completionTokens;
  target.flops += add.flops;
  target.costUsd += add.costUsd;
}

/** Sums prompt-level totals into sweep-level totals. */
export function mergeCompute(target: ComputeTotals, add: ComputeTotals): void {
  addTo(target, add);
  for (const [name, a] of Object.entries(add.byAgent)) {
    addTo((target.byAgent[name] ??= { generations: 0, promptTokens: 0, completionTokens: 0, flops: 0, costUsd: 0 }), a);
  }
}
