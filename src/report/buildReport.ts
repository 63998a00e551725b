/**
 * `buildReport`: a sweep's records → scaling curves (SVG + PNG), a machine-readable summary
 * (summary.json) and a self-contained HTML report (report.html) in `outDir`.
 *
 * Figures, one per (metric, compute axis):
 *   best_vs_generations, best_vs_tokens, best_vs_flops,
 *   top5_vs_generations, top5_vs_tokens, top5_vs_flops,
 *   anytime (only when some method records anytime curves: random, ensemble).
 * Definitions are in ./stats.ts and docs/report.md. Records are streamed once: the statistics
 * are sums per run (ReportStats) and the tree view keeps the one record it shows, so memory does
 * not grow with the number of records.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { methodLabelOf } from '../search/methods';
import { withEsm } from '../export/esm';
import { comparePromptIds, openSweepContext, RecordTally, sweepRecords, TextCache, type LoadedRecord, type SweepSource } from '../export/load';
import { anytimeSpec, metricTitle, scalingSpec, svgToPng, type Metric, type XAxis } from './charts';
import { renderHtml, si, type HtmlFigure } from './html';
import {
  ReportStats,
  TOP_K,
  type AgentContribution,
  type AnytimeStats,
  type PathStats,
  type PointStats,
  type RunStats,
} from './stats';
import { renderTree } from './tree';

export interface ReportOptions extends SweepSource {
  outDir: string;
  /** Prompt whose TOA tree is shown (default: the first prompt with a tree). */
  treePromptId?: string;
  /** Write PNG files next to the SVGs (default true). */
  png?: boolean;
}

export interface ReportFigure {
  name: string;
  title: string;
  svg: string;
  png?: string;
  /** Series (methods) drawn. */
  series: string[];
}

export interface ReportSummary {
  outDir: string;
  html: string;
  summaryJson: string;
  figures: ReportFigure[];
  records: number;
  methods: string[];
  runs: RunStats[];
  points: PointStats[];
  anytime: AnytimeStats[];
  agents: AgentContribution[];
  paths: PathStats[];
  /** The record shown in the tree view. */
  tree?: { workflowId: string; promptId: string; method: string; budget: number; seed: number };
}

const AXES: XAxis[] = ['generations', 'tokens', 'flops'];
const METRICS: Metric[] = ['best', 'topK'];

export async function buildReport(opts: ReportOptions): Promise<ReportSummary> {
  const context = await openSweepContext(opts);
  const stats = new ReportStats();
  const tally = new RecordTally();
  const treePick = new TreePick(opts.treePromptId);
  const compute = { generations: 0, tokens: 0, flops: 0 };
  for await (const r of sweepRecords(opts)) {
    stats.add(r);
    tally.add(r);
    treePick.offer(r);
    compute.generations += r.compute?.generations ?? 0;
    compute.tokens += r.compute ? r.compute.promptTokens + r.compute.completionTokens : 0;
    compute.flops += r.compute?.flops ?? 0;
  }
  if (tally.records === 0) throw new Error(`no prompt records in ${opts.recordsDir}: nothing to report`);
  const outDir = path.resolve(opts.outDir);
  await fsp.mkdir(outDir, { recursive: true });

  // Methods in the sweep file's order when known (so colours follow the config), else sorted.
  const present = [...tally.methods.keys()];
  const configured = context.sweep ? context.sweep.config.methods.map((m) => methodLabelOf(m)).filter((m) => present.includes(m)) : [];
  const methods = [...configured, ...present.filter((m) => !configured.includes(m)).sort()];

  const runs = stats.runStats();
  const points = stats.pointStats();
  const anytime = stats.anytimeStats();
  const agents = stats.agentContributions();
  const paths = stats.pathStats();

  const figures: ReportFigure[] = [];
  await withEsm(async (esm) => {
    for (const metric of METRICS) {
      for (const x of AXES) {
        const name = `${metric === 'best' ? 'best' : `top${TOP_K}`}_vs_${x}`;
        const svg = await esm.vegaLiteToSvg(scalingSpec(points, metric, x, methods, TOP_K));
        figures.push({
          name,
          title: `${metricTitle(metric, TOP_K)} vs. ${x}`,
          svg,
          series: methods.filter((m) => points.some((p) => p.method === m)),
        });
      }
    }
    if (anytime.length) {
      const svg = await esm.vegaLiteToSvg(anytimeSpec(anytime, points, methods));
      figures.push({ name: 'anytime', title: 'Anytime best-so-far', svg, series: methods });
    }
  });
  for (const f of figures) {
    await fsp.writeFile(path.join(outDir, `${f.name}.svg`), f.svg);
    if (opts.png !== false) {
      f.png = path.join(outDir, `${f.name}.png`);
      await fsp.writeFile(f.png, svgToPng(f.svg));
    }
  }

  const treeRecord = treePick.result();
  const texts = new TextCache(context.store);
  let tree: Parameters<typeof renderHtml>[0]['tree'];
  if (treeRecord) {
    const prompt = await texts
      .get(treeRecord.promptRef, `the prompt of ${treeRecord.workflowId}`)
      .catch((e: Error) => `(prompt text unavailable: ${e.message})`);
    tree = {
      caption: `Prompt ${treeRecord.promptId}, method ${treeRecord.method}, budget ${treeRecord.budget}, seed ${treeRecord.seed}: ${treeRecord.result.tree!.nodes.length} nodes, ${treeRecord.result.responses.length} responses, best ${treeRecord.result.bestId} (reward ${treeRecord.result.bestReward.toFixed(4)}).`,
      prompt,
      bestText: treeRecord.bestText,
      html: renderTree(treeRecord),
    };
  }

  const sweep = context.sweep?.config;
  const budgets = [...tally.budgets].sort((a, b) => a - b);
  const seeds = [...tally.seeds].sort((a, b) => a - b);
  const overview: Array<[string, string]> = [
    ['sweep', sweep ? sweep.name : path.basename(path.dirname(path.resolve(opts.recordsDir)))],
    ['prompt records', String(tally.records)],
    ['prompts (largest run)', String(tally.prompts)],
    ['methods', methods.join(', ')],
    ['budgets', budgets.join(', ')],
    ['seeds', seeds.join(', ')],
  ];
  if (sweep) {
    overview.push(['agents', sweep.agents.map((a) => `${a.name} (${a.model}, ${si(a.parameters)} params)`).join(', ')]);
    overview.push(['reward', sweep.reward.type + ('model' in sweep.reward ? ` (${String(sweep.reward.model)})` : '')]);
  }
  overview.push([
    'total compute',
    `${si(compute.generations)} generations, ${si(compute.tokens)} tokens, ${si(compute.flops)} FLOPs`,
  ]);

  const htmlFigures: HtmlFigure[] = figures
    .filter((f) => f.name !== 'anytime')
    .map((f) => ({ name: f.name, title: f.title, svg: f.svg }));
  const any = figures.find((f) => f.name === 'anytime');
  const html = renderHtml({
    title: `TOA sweep report: ${overview[0]![1]}`,
    overview,
    figures: htmlFigures,
    anytime: any && { name: any.name, title: any.title, svg: any.svg },
    points,
    agents,
    paths,
    topK: TOP_K,
    tree,
    notes: [
      'Every number is a mean over the prompts of a run (one method, budget and seed); lines are the mean over seeds and bands span the minimum to the maximum over seeds.',
      `Best reward: the raw reward of the method's output (argmax over its responses). Mean top-${TOP_K}: the mean raw reward of the ${TOP_K} best responses of a prompt (all of them when fewer), a measure of the top of the pool that preference data draws on.`,
      "Compute per prompt: generations; tokens = prompt + completion tokens of every generation call (reward calls not counted); FLOPs = 2 × parameters × tokens per call, with each agent's configured parameter count.",
      'Methods are compared over the prompts each has finished; check the prompts column when a sweep is incomplete.',
      'Anytime curves (random sampling, parallel ensemble): the best reward after the first g generations of the largest-budget run, valid because a prefix of these methods is a run at a smaller budget.',
    ],
  });
  const htmlPath = path.join(outDir, 'report.html');
  await fsp.writeFile(htmlPath, html);

  const summary: ReportSummary = {
    outDir,
    html: htmlPath,
    summaryJson: path.join(outDir, 'summary.json'),
    figures,
    records: tally.records,
    methods,
    runs,
    points,
    anytime,
    agents,
    paths,
    tree: treeRecord && {
      workflowId: treeRecord.workflowId,
      promptId: treeRecord.promptId,
      method: treeRecord.method,
      budget: treeRecord.budget,
      seed: treeRecord.seed,
    },
  };
  await fsp.writeFile(
    summary.summaryJson,
    `${JSON.stringify({ ...summary, figures: figures.map((f) => ({ name: f.name, title: f.title, series: f.series })) }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  return summary;
}

/**
 * The record shown in the tree view, chosen as records stream by: among records with a tree, the
 * prompt asked for (else the first prompt id in natural order), then the largest budget, the
 * lowest seed, the first method name. Keeps that one record and the first few prompt ids with
 * trees (for the error naming them).
 */
export class TreePick {
  private best: LoadedRecord | undefined;
  private readonly idsWithTrees: string[] = [];
  private static readonly SHOWN_IDS = 10;

  constructor(private readonly promptId?: string) {}

  offer(r: LoadedRecord): void {
    if (!r.result.tree || r.result.tree.nodes.length === 0) return;
    this.noteId(r.promptId);
    if (this.promptId !== undefined && r.promptId !== this.promptId) return;
    if (!this.best || TreePick.compare(r, this.best) < 0) this.best = r;
  }

  /** The chosen record; throws when a prompt was asked for and has no tree. */
  result(): LoadedRecord | undefined {
    if (this.promptId !== undefined && !this.best) {
      const ids = this.idsWithTrees;
      throw new Error(
        `no TOA tree for prompt "${this.promptId}"${ids.length ? ` (prompts with trees: ${ids.slice(0, TreePick.SHOWN_IDS).join(', ')}${ids.length > TreePick.SHOWN_IDS ? ', ...' : ''})` : ': this sweep has no TOA records'}`,
      );
    }
    return this.best;
  }

  private static compare(a: LoadedRecord, b: LoadedRecord): number {
    return comparePromptIds(a.promptId, b.promptId) || b.budget - a.budget || a.seed - b.seed || a.method.localeCompare(b.method);
  }

  /** Keeps the SHOWN_IDS + 1 smallest distinct ids (one more tells that there are more). */
  private noteId(id: string): void {
    const ids = this.idsWithTrees;
    if (ids.includes(id)) return;
    if (ids.length > TreePick.SHOWN_IDS && comparePromptIds(id, ids[ids.length - 1]!) >= 0) return;
    ids.push(id);
    ids.sort(comparePromptIds);
    if (ids.length > TreePick.SHOWN_IDS + 1) ids.pop();
  }
}

/** The record shown in the tree view of `records` (see TreePick). */
export function pickTreeRecord(records: readonly LoadedRecord[], promptId?: string): LoadedRecord | undefined {
  const pick = new TreePick(promptId);
  for (const r of records) pick.offer(r);
  return pick.result();
}
