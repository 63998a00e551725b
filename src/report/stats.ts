/**
 * The numbers behind the report, computed from prompt records (pure functions, no I/O).
 *
 * Per record (one prompt, one run):
 *   best      = the best raw reward (the method's output);
 *   topK      = mean raw reward of the K best responses (K = 5; fewer when there are fewer
 *               responses): how good the top of the pool is, not only its single maximum, which
 *               is what preference data draws on;
 *   compute   = generations, tokens (prompt + completion) and FLOPs (2 × params × tokens).
 * Per run (method, budget, seed): the mean of each over the run's prompts.
 * Per point (method, budget): mean over seeds of the run means, with std and min–max over seeds
 * (the band drawn around each line is min–max over seeds; with one seed it is the line).
 */
import type { RecordedResponse } from '../common/records';
import { compareCombinations, type LoadedRecord } from '../export/load';
import { rankResponses } from '../export/rows';

export const TOP_K = 5;

export interface Spread {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
}

export function spread(xs: readonly number[]): Spread {
  const n = xs.length;
  if (n === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs), n };
}

export function topKMean(responses: readonly Pick<RecordedResponse, 'reward' | 'order'>[], k = TOP_K): number {
  const top = rankResponses(responses).slice(0, k);
  return top.length ? top.reduce((a, r) => a + r.reward, 0) / top.length : NaN;
}

export interface RunStats {
  method: string;
  budget: number;
  seed: number;
  prompts: number;
  best: number;
  topK: number;
  generations: number;
  tokens: number;
  flops: number;
  costUsd: number;
}

export interface PointStats {
  method: string;
  budget: number;
  /** Seeds (runs) at this point. */
  seeds: number;
  /** Distinct prompts over its runs. */
  prompts: number;
  best: Spread;
  topK: Spread;
  /** Mean per prompt, averaged over seeds. */
  generations: number;
  tokens: number;
  flops: number;
  costUsd: number;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    let g = m.get(k);
    if (!g) m.set(k, (g = []));
    g.push(x);
  }
  return m;
}

export function runStats(records: readonly LoadedRecord[]): RunStats[] {
  const out: RunStats[] = [];
  for (const rs of groupBy(records, (r) => `${r.method}\u0000${r.budget}\u0000${r.seed}`).values()) {
    const r0 = rs[0]!;
    out.push({
      method: r0.method,
      budget: r0.budget,
      seed: r0.seed,
      prompts: rs.length,
      best: mean(rs.map((r) => r.result.bestReward)),
      topK: mean(rs.map((r) => topKMean(r.result.responses))),
      generations: mean(rs.map((r) => r.compute?.generations ?? r.result.responses.length)),
      tokens: mean(
        rs.map((r) =>
          r.compute
            ? r.compute.promptTokens + r.compute.completionTokens
            : r.result.responses.reduce((a, x) => a + x.promptTokens + x.completionTokens, 0),
        ),
      ),
      flops: mean(rs.map((r) => r.compute?.flops ?? 0)),
      costUsd: mean(rs.map((r) => r.compute?.costUsd ?? 0)),
    });
  }
  return out.sort(compareCombinations);
}

export function pointStats(records: readonly LoadedRecord[]): PointStats[] {
  const runs = runStats(records);
  const out: PointStats[] = [];
  for (const [key, rs] of groupBy(runs, (r) => `${r.method}\u0000${r.budget}`)) {
    const [method, budget] = key.split('\u0000');
    const prompts = new Set(records.filter((r) => r.method === method && r.budget === Number(budget)).map((r) => r.promptId))
      .size;
    out.push({
      method: method!,
      budget: Number(budget),
      seeds: rs.length,
      prompts,
      best: spread(rs.map((r) => r.best)),
      topK: spread(rs.map((r) => r.topK)),
      generations: mean(rs.map((r) => r.generations)),
      tokens: mean(rs.map((r) => r.tokens)),
      flops: mean(rs.map((r) => r.flops)),
      costUsd: mean(rs.map((r) => r.costUsd)),
    });
  }
  return out.sort((a, b) => a.method.localeCompare(b.method) || a.budget - b.budget);
}

export interface AnytimeStats {
  method: string;
  /** The budget whose runs the curve comes from (the largest with anytime data). */
  budget: number;
  points: Array<{ generations: number; best: Spread }>;
}

/**
 * Best-so-far after g generations, averaged over prompts per seed, then mean and min–max over
 * seeds; from the largest budget of each method whose records carry `result.anytime`.
 */
export function anytimeStats(records: readonly LoadedRecord[]): AnytimeStats[] {
  const out: AnytimeStats[] = [];
  const withCurve = records.filter((r) => r.result.anytime && r.result.anytime.length > 0);
  for (const [method, rs] of groupBy(withCurve, (r) => r.method)) {
    const budget = Math.max(...rs.map((r) => r.budget));
    const atBudget = rs.filter((r) => r.budget === budget);
    const perSeed = groupBy(atBudget, (r) => String(r.seed));
    const gens = [...new Set(atBudget.flatMap((r) => r.result.anytime!.map((p) => p.generations)))].sort((a, b) => a - b);
    const points = gens.map((g) => {
      const seedMeans = [...perSeed.values()].map((seedRecords) =>
        mean(seedRecords.map((r) => bestAt(r.result.anytime!, g)).filter((x): x is number => x !== undefined)),
      );
      return { generations: g, best: spread(seedMeans.filter((x) => !Number.isNaN(x))) };
    });
    out.push({ method, budget, points });
  }
  return out.sort((a, b) => a.method.localeCompare(b.method));
}

function bestAt(curve: ReadonlyArray<{ generations: number; bestReward: number }>, g: number): number | undefined {
  let v: number | undefined;
  for (const p of curve) if (p.generations <= g) v = p.bestReward;
  return v;
}

export interface AgentContribution {
  method: string;
  agent: string;
  /** Prompts (records) whose best response this agent wrote. */
  wins: number;
  winShare: number;
  /** Share of all generations of the method made by this agent. */
  generationShare: number;
  /** Mean raw reward of this agent's responses in the method. */
  meanReward: number;
}

export function agentContributions(records: readonly LoadedRecord[]): AgentContribution[] {
  const out: AgentContribution[] = [];
  for (const [method, rs] of groupBy(records, (r) => r.method)) {
    const wins = new Map<string, number>();
    const gens = new Map<string, number>();
    const rewards = new Map<string, number[]>();
    let total = 0;
    for (const r of rs) {
      const best = r.result.responses.find((x) => x.id === r.result.bestId);
      if (best) wins.set(best.agent, (wins.get(best.agent) ?? 0) + 1);
      for (const x of r.result.responses) {
        gens.set(x.agent, (gens.get(x.agent) ?? 0) + 1);
        let l = rewards.get(x.agent);
        if (!l) rewards.set(x.agent, (l = []));
        l.push(x.reward);
        total++;
      }
    }
    const nWins = [...wins.values()].reduce((a, b) => a + b, 0);
    for (const agent of [...gens.keys()].sort()) {
      out.push({
        method,
        agent,
        wins: wins.get(agent) ?? 0,
        winShare: nWins ? (wins.get(agent) ?? 0) / nWins : 0,
        generationShare: total ? (gens.get(agent) ?? 0) / total : 0,
        meanReward: mean(rewards.get(agent) ?? []),
      });
    }
  }
  return out.sort((a, b) => a.method.localeCompare(b.method) || b.wins - a.wins || a.agent.localeCompare(b.agent));
}

export interface PathStats {
  method: string;
  budget: number;
  winners: number;
  /** Share of winners by how they were made. */
  fresh: number;
  refine: number;
  aggregate: number;
  /** Refinement steps behind the winner (0 = a fresh answer), mean and max. */
  meanRefineDepth: number;
  maxRefineDepth: number;
  /** Response layer of the winner in the TOA tree (1 = a child of the root's model nodes); NaN without a tree. */
  meanTreeLayer: number;
  maxTreeLayer: number;
  /** Winners per refine depth: index = depth. */
  depthHistogram: number[];
}

/** Refinement steps behind a response: 0 for fresh / aggregate, 1 + parent's for refine. */
export function refineDepth(responses: readonly RecordedResponse[], id: string): number {
  const byId = new Map(responses.map((r) => [r.id, r]));
  let depth = 0;
  let cur = byId.get(id);
  const seen = new Set<string>();
  while (cur && cur.kind === 'refine' && cur.inputs[0] && !seen.has(cur.id)) {
    seen.add(cur.id);
    depth++;
    cur = byId.get(cur.inputs[0]);
  }
  return depth;
}

export function treeLayerOf(record: LoadedRecord, responseId: string): number | undefined {
  const node = record.result.tree?.nodes.find((n) => n.type === 'response' && n.responseId === responseId);
  return node?.layer;
}

/** How winners were made, per method and budget (TOA: with tree depth). */
export function pathStats(records: readonly LoadedRecord[]): PathStats[] {
  const out: PathStats[] = [];
  for (const rs of groupBy(records, (r) => `${r.method}\u0000${r.budget}`).values()) {
    const kinds = { fresh: 0, refine: 0, aggregate: 0 };
    const depths: number[] = [];
    const layers: number[] = [];
    for (const r of rs) {
      const best = r.result.responses.find((x) => x.id === r.result.bestId);
      if (!best) continue;
      kinds[best.kind]++;
      depths.push(refineDepth(r.result.responses, best.id));
      const layer = treeLayerOf(r, best.id);
      if (layer !== undefined) layers.push(layer);
    }
    const n = depths.length;
    const hist: number[] = [];
    for (const d of depths) hist[d] = (hist[d] ?? 0) + 1;
    out.push({
      method: rs[0]!.method,
      budget: rs[0]!.budget,
      winners: n,
      fresh: n ? kinds.fresh / n : 0,
      refine: n ? kinds.refine / n : 0,
      aggregate: n ? kinds.aggregate / n : 0,
      meanRefineDepth: mean(depths),
      maxRefineDepth: n ? Math.max(...depths) : 0,
      meanTreeLayer: layers.length ? mean(layers) : NaN,
      maxTreeLayer: layers.length ? Math.max(...layers) : NaN,
      depthHistogram: Array.from(hist, (x) => x ?? 0),
    });
  }
  return out.sort((a, b) => a.method.localeCompare(b.method) || a.budget - b.budget);
}
