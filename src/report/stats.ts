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
 *
 * ReportStats computes all of them from records streamed one at a time, keeping sums per run
 * (and per generation count for anytime curves), never the records: memory depends on the
 * sweep's shape (methods, budgets, seeds, agents), not on how many prompts it has.
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
  /** Prompts of its largest run (the dataset's size once the runs are complete). */
  prompts: number;
  best: Spread;
  topK: Spread;
  /** Mean per prompt, averaged over seeds. */
  generations: number;
  tokens: number;
  flops: number;
  costUsd: number;
}

export interface AnytimeStats {
  method: string;
  /** The budget whose runs the curve comes from (the largest with anytime data). */
  budget: number;
  points: Array<{ generations: number; best: Spread }>;
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

/** What the report needs of a record (LoadedRecord and PromptRecord both are). */
type StatsRecord = Pick<LoadedRecord, 'method' | 'budget' | 'seed' | 'promptId' | 'result' | 'compute'>;

/** A run's sums while records stream in: the same fields as its stats (best and topK summed, divided at the end). */
type RunSums = RunStats;

/** Per generation count g: how the sum and count of best-so-far values change at g (step functions summed). */
type StepDeltas = Map<number, { sum: number; count: number }>;

interface AgentSums {
  wins: Map<string, number>;
  generations: Map<string, number>;
  rewardSum: Map<string, number>;
  total: number;
}

interface PathSums {
  method: string;
  budget: number;
  kinds: { fresh: number; refine: number; aggregate: number };
  histogram: number[];
  depthSum: number;
  layers: { n: number; sum: number; max: number };
}

const runKey = (r: { method: string; budget: number; seed: number }): string => `${r.method}\u0000${r.budget}\u0000${r.seed}`;
const pointKey = (r: { method: string; budget: number }): string => `${r.method}\u0000${r.budget}`;
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** The report's numbers, accumulated record by record. */
export class ReportStats {
  private readonly runs = new Map<string, RunSums>();
  /** method → budget → seed → best-so-far step deltas of its records' anytime curves. */
  private readonly curves = new Map<string, Map<number, Map<number, StepDeltas>>>();
  private readonly agents = new Map<string, AgentSums>();
  private readonly paths = new Map<string, PathSums>();

  add(r: StatsRecord): void {
    this.addRun(r);
    this.addCurve(r);
    const best = r.result.responses.find((x) => x.id === r.result.bestId);
    this.addAgents(r, best);
    this.addPath(r, best);
  }

  private addRun(r: StatsRecord): void {
    const key = runKey(r);
    let s = this.runs.get(key);
    if (!s) {
      s = { method: r.method, budget: r.budget, seed: r.seed, prompts: 0, best: 0, topK: 0, generations: 0, tokens: 0, flops: 0, costUsd: 0 };
      this.runs.set(key, s);
    }
    s.prompts += 1;
    s.best += r.result.bestReward;
    s.topK += topKMean(r.result.responses);
    s.generations += r.compute?.generations ?? r.result.responses.length;
    s.tokens += r.compute
      ? r.compute.promptTokens + r.compute.completionTokens
      : r.result.responses.reduce((a, x) => a + x.promptTokens + x.completionTokens, 0);
    s.flops += r.compute?.flops ?? 0;
    s.costUsd += r.compute?.costUsd ?? 0;
  }

  private addCurve(r: StatsRecord): void {
    const curve = r.result.anytime;
    if (!curve || curve.length === 0) return;
    const byBudget = mapOf(this.curves, r.method, () => new Map<number, Map<number, StepDeltas>>());
    const bySeed = mapOf(byBudget, r.budget, () => new Map<number, StepDeltas>());
    const deltas = mapOf(bySeed, r.seed, (): StepDeltas => new Map());
    // bestAt(g) = the last point at or before g: a step function, added as its jumps.
    const points = [...curve].sort((a, b) => a.generations - b.generations);
    let previous = 0;
    points.forEach((p, i) => {
      const d = mapOf(deltas, p.generations, () => ({ sum: 0, count: 0 }));
      d.sum += p.bestReward - previous;
      if (i === 0) d.count += 1;
      previous = p.bestReward;
    });
  }

  private addAgents(r: StatsRecord, best: RecordedResponse | undefined): void {
    const a = mapOf(this.agents, r.method, (): AgentSums => ({ wins: new Map(), generations: new Map(), rewardSum: new Map(), total: 0 }));
    if (best) a.wins.set(best.agent, (a.wins.get(best.agent) ?? 0) + 1);
    for (const x of r.result.responses) {
      a.generations.set(x.agent, (a.generations.get(x.agent) ?? 0) + 1);
      a.rewardSum.set(x.agent, (a.rewardSum.get(x.agent) ?? 0) + x.reward);
      a.total++;
    }
  }

  private addPath(r: StatsRecord, best: RecordedResponse | undefined): void {
    const p = mapOf(this.paths, pointKey(r), (): PathSums => ({
      method: r.method,
      budget: r.budget,
      kinds: { fresh: 0, refine: 0, aggregate: 0 },
      histogram: [],
      depthSum: 0,
      layers: { n: 0, sum: 0, max: -Infinity },
    }));
    if (!best) return;
    p.kinds[best.kind]++;
    const depth = refineDepth(r.result.responses, best.id);
    p.histogram[depth] = (p.histogram[depth] ?? 0) + 1;
    p.depthSum += depth;
    const layer = treeLayerOf(r, best.id);
    if (layer !== undefined) {
      p.layers.n++;
      p.layers.sum += layer;
      p.layers.max = Math.max(p.layers.max, layer);
    }
  }

  runStats(): RunStats[] {
    return [...this.runs.values()]
      .map((s) => ({
        method: s.method,
        budget: s.budget,
        seed: s.seed,
        prompts: s.prompts,
        best: s.best / s.prompts,
        topK: s.topK / s.prompts,
        generations: s.generations / s.prompts,
        tokens: s.tokens / s.prompts,
        flops: s.flops / s.prompts,
        costUsd: s.costUsd / s.prompts,
      }))
      .sort(compareCombinations);
  }

  pointStats(): PointStats[] {
    const out: PointStats[] = [];
    for (const rs of groupBy(this.runStats(), pointKey).values()) {
      out.push({
        method: rs[0]!.method,
        budget: rs[0]!.budget,
        seeds: rs.length,
        prompts: Math.max(...rs.map((r) => r.prompts)),
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

  /**
   * Best-so-far after g generations, averaged over prompts per seed, then mean and min–max over
   * seeds; from the largest budget of each method whose records carry `result.anytime`.
   */
  anytimeStats(): AnytimeStats[] {
    const out: AnytimeStats[] = [];
    for (const [method, byBudget] of this.curves) {
      const budget = Math.max(...byBudget.keys());
      const bySeed = byBudget.get(budget)!;
      const gens = [...new Set([...bySeed.values()].flatMap((d) => [...d.keys()]))].sort((a, b) => a - b);
      const perSeed = [...bySeed.values()].map((d) => meansAt(d, gens));
      const points = gens.map((g, i) => ({ generations: g, best: spread(perSeed.map((m) => m[i]!).filter((x) => !Number.isNaN(x))) }));
      out.push({ method, budget, points });
    }
    return out.sort((a, b) => a.method.localeCompare(b.method));
  }

  agentContributions(): AgentContribution[] {
    const out: AgentContribution[] = [];
    for (const [method, a] of this.agents) {
      const nWins = [...a.wins.values()].reduce((x, y) => x + y, 0);
      for (const agent of [...a.generations.keys()].sort()) {
        const gens = a.generations.get(agent) ?? 0;
        out.push({
          method,
          agent,
          wins: a.wins.get(agent) ?? 0,
          winShare: nWins ? (a.wins.get(agent) ?? 0) / nWins : 0,
          generationShare: a.total ? gens / a.total : 0,
          meanReward: gens ? (a.rewardSum.get(agent) ?? 0) / gens : NaN,
        });
      }
    }
    return out.sort((a, b) => a.method.localeCompare(b.method) || b.wins - a.wins || a.agent.localeCompare(b.agent));
  }

  /** How winners were made, per method and budget (TOA: with tree depth). */
  pathStats(): PathStats[] {
    const out: PathStats[] = [];
    for (const p of this.paths.values()) {
      const n = p.kinds.fresh + p.kinds.refine + p.kinds.aggregate;
      out.push({
        method: p.method,
        budget: p.budget,
        winners: n,
        fresh: n ? p.kinds.fresh / n : 0,
        refine: n ? p.kinds.refine / n : 0,
        aggregate: n ? p.kinds.aggregate / n : 0,
        meanRefineDepth: n ? p.depthSum / n : NaN,
        maxRefineDepth: n ? p.histogram.length - 1 : 0,
        meanTreeLayer: p.layers.n ? p.layers.sum / p.layers.n : NaN,
        maxTreeLayer: p.layers.n ? p.layers.max : NaN,
        depthHistogram: Array.from(p.histogram, (x) => x ?? 0),
      });
    }
    return out.sort((a, b) => a.method.localeCompare(b.method) || a.budget - b.budget);
  }
}

/** Mean best-so-far over one seed's records at each g of `gens` (NaN where no record has a point yet). */
function meansAt(deltas: StepDeltas, gens: number[]): number[] {
  const steps = [...deltas.entries()].sort((a, b) => a[0] - b[0]);
  let i = 0;
  let sum = 0;
  let count = 0;
  return gens.map((g) => {
    for (; i < steps.length && steps[i]![0] <= g; i++) {
      sum += steps[i]![1].sum;
      count += steps[i]![1].count;
    }
    return count ? sum / count : NaN;
  });
}

function mapOf<K, V>(m: Map<K, V>, key: K, make: () => V): V {
  let v = m.get(key);
  if (v === undefined) m.set(key, (v = make()));
  return v;
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) mapOf(m, key(x), (): T[] => []).push(x);
  return m;
}

/** The statistics of an array of records (tests, small callers): ReportStats fed with each. */
function statsOf(records: readonly StatsRecord[]): ReportStats {
  const s = new ReportStats();
  for (const r of records) s.add(r);
  return s;
}

export const runStats = (records: readonly StatsRecord[]): RunStats[] => statsOf(records).runStats();
export const pointStats = (records: readonly StatsRecord[]): PointStats[] => statsOf(records).pointStats();
export const anytimeStats = (records: readonly StatsRecord[]): AnytimeStats[] => statsOf(records).anytimeStats();
export const agentContributions = (records: readonly StatsRecord[]): AgentContribution[] => statsOf(records).agentContributions();
export const pathStats = (records: readonly StatsRecord[]): PathStats[] => statsOf(records).pathStats();

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

export function treeLayerOf(record: Pick<StatsRecord, 'result'>, responseId: string): number | undefined {
  const node = record.result.tree?.nodes.find((n) => n.type === 'response' && n.responseId === responseId);
  return node?.layer;
}
