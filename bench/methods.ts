/**
 * Compute efficiency of the search methods: best reward (and true quality of the pick) against
 * generations and tokens, with 95 % confidence intervals over prompts × seeds.
 *
 * Part 1 (simulated, always): four landscapes (bench/landscapes.ts: refinement helps, refinement
 * hurts, aggregation helps, one strong agent) on the fake OpenAI server (own process), scored by
 * the fake reward server. Driven in-process by the plain loop with the real generate/score
 * activities (the same strategies and activities as the workflows; Temporal adds no decisions).
 * Records are written in the workflows' format and plotted with `toa report` per landscape. The
 * reference AB-MCTS-A of Sakana AI's TreeQuest runs against the same servers when its venv exists
 * (bash bench/treequest/setup.sh; bench/treequest/drive.py).
 *
 * Part 2 (real, unless BENCH_REAL=0): the local GGUF models present (SmolLM2-135M-Instruct, and
 * Gemma-3-270M when fetched) through the project's model server on WMT22 de→en with the chrF
 * reward, small budgets (slow on 2 cores).
 *
 * Environment: BENCH_QUICK=1 (small grid), BENCH_SIM_PROMPTS (default 40), BENCH_LANDSCAPES
 * (comma list), BENCH_REAL=0, BENCH_REAL_PROMPTS (default 5), BENCH_TREEQUEST=0.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { methodSchema, type AgentConfig, type MethodSpec, type RewardSpec } from '../src/config/schema';
import { REFINE_V1 } from '../src/prompts/templates';
import { allowListFor } from '../src/activities';
import { openStore } from '../src/store';
import { LANDSCAPES, REWARD_NOISE, type Landscape } from './landscapes';
import { QUICK, ROOT, RESULTS_DIR, agent, createActivities, inProcessSlots, loadNow, log, mean, pool, round, stdev, startFake, tmpDir, writeResult } from './lib';

const SIM_BUDGETS = QUICK ? [8, 16] : [8, 16, 32, 64];
const SIM_SEEDS = QUICK ? [0] : [0, 1, 2];
const SIM_PROMPTS = QUICK ? 6 : Number(process.env.BENCH_SIM_PROMPTS ?? 40);
const SIM_LANDSCAPES = process.env.BENCH_LANDSCAPES
  ? LANDSCAPES.filter((l) => process.env.BENCH_LANDSCAPES!.split(',').includes(l.name))
  : LANDSCAPES;
/** The method beyond the paper that the target is about (and its variant told the strongest agent). */
const CANDIDATE = 'toa-plus';
const CANDIDATES = [CANDIDATE, 'toa-plus-lead'];
const TREEQUEST = 'treequest-abmcts-a';

function methods(single: string, moaLayers: number, tau: number, alpha: number, rewardRange: [number, number]): MethodSpec[] {
  return [
    methodSchema.parse({ type: 'toa', tau, alpha }),
    methodSchema.parse({ type: 'random', agent: single }),
    methodSchema.parse({ type: 'prs', agent: single }),
    methodSchema.parse({ type: 'ensemble' }),
    methodSchema.parse({ type: 'sequential' }),
    methodSchema.parse({ type: 'moa', layers: moaLayers }),
    methodSchema.parse({ type: 'abmcts', rewardRange }),
    methodSchema.parse({ type: 'toa-plus' }),
    // The same information the single-agent baselines get: which agent is the strongest.
    methodSchema.parse({ type: 'toa-plus', label: 'toa-plus-lead', lead: single }),
  ];
}

interface Run {
  method: string;
  budget: number;
  seed: number;
  promptId: string;
  best: number;
  bestQuality: number | null;
  tokens: number;
  generations: number;
}

async function runGrid(opts: {
  agents: AgentConfig[];
  reward: RewardSpec;
  methods: MethodSpec[];
  budgets: number[];
  seeds: number[];
  prompts: Array<{ id: string; text: string; reference?: string }>;
  dir: string;
  promptConcurrency: number;
}): Promise<Run[]> {
  const store = { kind: 'fs' as const, root: path.join(opts.dir, 'store') };
  const recordsDir = path.join(opts.dir, 'records');
  const s = openStore(store);
  const refs = await Promise.all(opts.prompts.map(async (p) => ({ ...p, ref: await s.put(p.text), refRef: p.reference ? await s.put(p.reference) : undefined })));
  const acts = createActivities({ env: process.env, allow: allowListFor({ agents: opts.agents, reward: opts.reward, write: [opts.dir], source: 'benchmark' }) });
  const slots = inProcessSlots(opts.agents);
  const jobs = opts.methods.flatMap((m) => opts.budgets.flatMap((b) => opts.seeds.flatMap((seed) => refs.map((p) => ({ m, b, seed, p })))));
  let done = 0;
  const runs = await pool(jobs, opts.promptConcurrency, async ({ m, b, seed, p }) => {
    const label = m.label ?? m.type;
    const r = await runInProcess({ promptId: p.id, promptRef: p.ref, referenceRef: p.refRef, method: m, budget: b, seed, agents: opts.agents, reward: opts.reward, store, recordsDir, workflowId: `bench/${label}/b${b}/s${seed}/${p.id}` }, acts, slots);
    if (++done % 200 === 0 || done === jobs.length) log(`  ${done}/${jobs.length} prompt runs`);
    const bestCall = r.calls.reduce((a, c) => (c.reward > a.reward ? c : a));
    const q = /\[q=([0-9.]+)\]/.exec(bestCall.preview ?? '');
    return {
      method: label, budget: b, seed, promptId: p.id,
      best: r.bestReward,
      bestQuality: q ? Number(q[1]) : null,
      tokens: r.calls.reduce((n, c) => n + c.promptTokens + c.completionTokens, 0),
      generations: r.calls.length,
    } satisfies Run;
  });
  return runs;
}

import { runInProcess } from './lib';


/** Mean and 95 % half-width (normal approximation) over prompt × seed units. */
function meanCi(xs: number[]): { mean: number; ci: number } {
  return { mean: mean(xs), ci: xs.length > 1 ? (1.96 * stdev(xs)) / Math.sqrt(xs.length) : NaN };
}

/** Per (method, budget): mean ± 95 % CI over prompts × seeds of the best reward and of its true quality; sd over seed means. */
function aggregate(runs: Run[]) {
  const keys = [...new Set(runs.map((r) => `${r.method}|${r.budget}`))];
  return keys.map((k) => {
    const [method, b] = k.split('|');
    const rs = runs.filter((r) => r.method === method && r.budget === Number(b));
    const seeds = [...new Set(rs.map((r) => r.seed))];
    const perSeed = seeds.map((s) => mean(rs.filter((r) => r.seed === s).map((r) => r.best)));
    const best = meanCi(rs.map((r) => r.best));
    const qs = rs.map((r) => r.bestQuality).filter((x): x is number => x !== null);
    const quality = qs.length ? meanCi(qs) : null;
    return {
      method, budget: Number(b), prompts: rs.length / seeds.length, seeds: seeds.length, n: rs.length,
      meanBest: round(best.mean, 4), ciBest: round(best.ci, 4), sdOverSeeds: round(stdev(perSeed), 4),
      meanBestTrueQuality: quality ? round(quality.mean, 4) : null, ciTrueQuality: quality ? round(quality.ci, 4) : null,
      meanTokensPerPrompt: round(mean(rs.map((r) => r.tokens)), 0),
    };
  });
}

type Row = ReturnType<typeof aggregate>[number];

/**
 * The target, per budget: the candidate against every other method, on the best reward and on the
 * true quality of the pick: the difference of means with its 95 % CI (Welch, normal approximation);
 * "better" when the CI is above 0, "worse" when below, else "tie".
 */
function verdicts(agg: Row[], candidate = CANDIDATE) {
  const budgets = [...new Set(agg.map((a) => a.budget))].sort((a, b) => a - b);
  return budgets.map((b) => {
    const row = agg.filter((a) => a.budget === b).sort((x, y) => y.meanBest - x.meanBest);
    const me = row.find((r) => r.method === candidate);
    const compare = (metric: 'best' | 'quality') =>
      row
        .filter((r) => !CANDIDATES.includes(r.method) && me)
        .map((r) => {
          const [m1, c1, m2, c2] =
            metric === 'best' ? [me!.meanBest, me!.ciBest, r.meanBest, r.ciBest] : [me!.meanBestTrueQuality ?? NaN, me!.ciTrueQuality ?? NaN, r.meanBestTrueQuality ?? NaN, r.ciTrueQuality ?? NaN];
          const diff = m1 - m2;
          const ci = Math.sqrt(c1 * c1 + c2 * c2);
          return { other: r.method, diff: round(diff, 4), ci: round(ci, 4), verdict: diff - ci > 0 ? 'better' : diff + ci < 0 ? 'worse' : 'tie' };
        });
    const best = compare('best');
    const quality = compare('quality');
    return {
      budget: b,
      ranking: row.map((r) => `${r.method} ${r.meanBest}`),
      candidate,
      vsBest: best,
      vsTrueQuality: quality,
      atLeastAsGoodAsAll: me ? best.every((c) => c.verdict !== 'worse') : null,
      betterThan: best.filter((c) => c.verdict === 'better').map((c) => c.other),
      worseThan: best.filter((c) => c.verdict === 'worse').map((c) => c.other),
    };
  });
}

/** TreeQuest's AB-MCTS-A against the same fake servers (bench/treequest/drive.py), if its venv exists. */
async function treequestRuns(job: {
  openaiUrl: string;
  rewardUrl: string;
  agents: AgentConfig[];
  prompts: Array<{ id: string; text: string }>;
  budgets: number[];
  seeds: number[];
  rewardRange: [number, number];
}): Promise<Run[] | { skipped: string }> {
  if (process.env.BENCH_TREEQUEST === '0') return { skipped: 'BENCH_TREEQUEST=0' };
  const python = path.join(ROOT, 'tools', 'treequest-venv', 'bin', 'python');
  if (!fs.existsSync(python)) return { skipped: 'no tools/treequest-venv (run bash bench/treequest/setup.sh)' };
  const input = JSON.stringify({ ...job, agents: job.agents.map((a) => ({ name: a.name, model: a.model })), refineTemplate: REFINE_V1.text });
  const child = spawn(python, [path.join(ROOT, 'bench', 'treequest', 'drive.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`treequest driver exited ${code}: ${err.slice(-2000)}`);
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { budget: number; seed: number; promptId: string; best: number; bestQuality: number | null; generations: number })
    .map((r) => ({ method: TREEQUEST, budget: r.budget, seed: r.seed, promptId: r.promptId, best: r.best, bestQuality: r.bestQuality, tokens: NaN, generations: r.generations }));
}

async function report(dir: string, outDir: string): Promise<string | null> {
  try {
    const { buildReport } = require('../src/report') as typeof import('../src/report');
    fs.rmSync(outDir, { recursive: true, force: true });
    const r = await buildReport({ recordsDir: path.join(dir, 'records'), storeRoot: path.join(dir, 'store'), outDir, png: false });
    // Keep only the figures and the summary in the repository (the HTML embeds texts).
    fs.rmSync(r.html, { force: true });
    // The summary records where it was written: keep those paths repository-relative, so the
    // committed file names no folder of the machine that ran it (test/repo/standalone.test.ts).
    const summary = JSON.parse(fs.readFileSync(r.summaryJson, 'utf8')) as Record<string, unknown>;
    for (const key of ['outDir', 'html', 'summaryJson']) summary[key] = path.relative(ROOT, String(summary[key]));
    fs.writeFileSync(r.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
    return path.relative(ROOT, r.outDir);
  } catch (err) {
    log(`toa report failed: ${(err as Error).message}`);
    return null;
  }
}

async function simulatedLandscape(l: Landscape) {
  const dir = tmpDir(`methods-${l.name}-`);
  const openai = await startFake('openai', { models: l.pool, strictModels: true, seed: 7, keepRequests: 0 });
  const reward = await startFake('reward', { noise: REWARD_NOISE, seed: 7, keepRequests: 0 } as never);
  const agents = Object.keys(l.pool).map((m, i) => agent(openai.url, `a${i + 1}-${m.slice(4)}`, m, { maxConcurrency: 16 }));
  const prompts = Array.from({ length: SIM_PROMPTS }, (_, i) => ({ id: `sim${i}`, text: `Simulated task ${i}: write the best possible answer.` }));
  const rewardRange: [number, number] = [0, 1];
  const t0 = performance.now();
  let runs: Run[];
  let reference: Run[] | { skipped: string };
  try {
    runs = await runGrid({
      agents,
      reward: { type: 'http', url: reward.url, timeoutSeconds: 30 },
      methods: methods(agents[0]!.name, 3, 1, 0.05, rewardRange),
      budgets: SIM_BUDGETS,
      seeds: SIM_SEEDS,
      prompts,
      dir,
      promptConcurrency: 32,
    });
    const t1 = performance.now();
    reference = await treequestRuns({ openaiUrl: openai.url, rewardUrl: reward.url, agents, prompts, budgets: SIM_BUDGETS, seeds: SIM_SEEDS, rewardRange });
    log(`  ${l.name}: TreeQuest ${Array.isArray(reference) ? `${reference.length} runs in ${round((performance.now() - t1) / 1000, 1)} s` : reference.skipped}`);
  } finally {
    await openai.close();
    await reward.close();
  }
  const wallS = (performance.now() - t0) / 1000;
  const all = Array.isArray(reference) ? [...runs, ...reference] : runs;
  const agg = aggregate(all);
  const reportDir = await report(dir, path.join(RESULTS_DIR, QUICK ? `tmp/report-methods-${l.name}` : `report-methods-${l.name}`));
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    landscape: l.name,
    description: l.description,
    pool: l.pool,
    knownOptimum: { ...l.optimum, reward: `true quality + uniform noise ±${REWARD_NOISE}` },
    agents: agents.map((a) => ({ name: a.name, model: a.model })),
    singleAgentFor: { random: agents[0]!.name, prs: agents[0]!.name },
    settings: { toa: { tau: 1, alpha: 0.05, width: 'third' }, moaLayers: 3, abmcts: { rewardRange }, treequest: Array.isArray(reference) ? 'ABMCTSA() defaults, rewardRange [0, 1]' : reference.skipped },
    wallS: round(wallS, 1),
    table: agg,
    verdicts: verdicts(agg),
    verdictsLead: verdicts(agg, 'toa-plus-lead'),
    reportDir,
  };
}

async function simulated() {
  const out = [];
  for (const l of SIM_LANDSCAPES) {
    log(`methods: landscape ${l.name}`);
    out.push(await simulatedLandscape(l));
  }
  return out;
}

/** The methods table as Markdown (bench/results/methods.md, quoted in docs/methods.md and the README). */
function markdown(sim: Awaited<ReturnType<typeof simulated>>, realRes: unknown): string {
  const lines: string[] = [
    '# Methods benchmark (generated by `npm run bench:methods`)',
    '',
    `Mean over ${SIM_PROMPTS} prompts × ${SIM_SEEDS.length} seeds of the best raw reward per prompt ± 95 % CI (1.96·sd/√n), and in brackets the mean true quality of the picked response ± 95 % CI. "target" compares ${CANDIDATE} (and toa-plus-lead, told the strongest agent like random and PRS) with every other method on the best reward (difference of means with its 95 % CI): ✓ = at least as good as all (no significant loss), and the methods it beats / loses to (difference ± CI).`,
    '',
  ];
  const cell = (r: Row | undefined) =>
    r ? `${r.meanBest.toFixed(3)} ± ${r.ciBest.toFixed(3)} (${r.meanBestTrueQuality?.toFixed(3) ?? '–'} ± ${r.ciTrueQuality?.toFixed(3) ?? '–'})` : '–';
  for (const l of sim) {
    const budgets = [...new Set(l.table.map((t) => t.budget))].sort((a, b) => a - b);
    const ms = [...new Set(l.table.map((t) => t.method))];
    lines.push(`## ${l.landscape} (optimum: true quality ${l.knownOptimum.trueQuality})`, '', l.description, '');
    lines.push(`| method | ${budgets.map((b) => `N=${b}`).join(' | ')} |`, `| --- | ${budgets.map(() => '---').join(' | ')} |`);
    for (const m of ms) lines.push(`| ${m} | ${budgets.map((b) => cell(l.table.find((t) => t.method === m && t.budget === b))).join(' | ')} |`);
    lines.push('', `| N | ${CANDIDATE}: target | better than | worse than |`, '| --- | --- | --- | --- |');
    const worse = (v: ReturnType<typeof verdicts>[number]) =>
      v.worseThan.map((o) => { const c = v.vsBest.find((x) => x.other === o)!; return `${o} (${c.diff} ± ${c.ci})`; }).join(', ') || '–';
    for (const v of l.verdicts) lines.push(`| ${v.budget} | ${v.atLeastAsGoodAsAll ? '✓' : '✗'} | ${v.betterThan.join(', ') || '–'} | ${worse(v)} |`);
    lines.push('', '| N | toa-plus-lead: target | better than | worse than |', '| --- | --- | --- | --- |');
    for (const v of l.verdictsLead) lines.push(`| ${v.budget} | ${v.atLeastAsGoodAsAll ? '✓' : '✗'} | ${v.betterThan.join(', ') || '–'} | ${worse(v)} |`);
    lines.push('');
  }
  const r = realRes as { table?: Row[]; prompts?: number; budgets?: number[]; agents?: Array<{ name: string }> };
  if (r.table) {
    const budgets = [...new Set(r.table.map((t) => t.budget))].sort((a, b) => a - b);
    lines.push(`## Real: WMT22 de→en, chrF, local models (${r.agents?.map((a) => a.name).join(', ')}; ${r.prompts} prompts, 1 seed)`, '');
    lines.push(`| method | ${budgets.map((b) => `N=${b}`).join(' | ')} |`, `| --- | ${budgets.map(() => '---').join(' | ')} |`);
    for (const m of [...new Set(r.table.map((t) => t.method))])
      lines.push(`| ${m} | ${budgets.map((b) => { const t = r.table!.find((x) => x.method === m && x.budget === b); return t ? `${t.meanBest.toFixed(2)} ± ${t.ciBest.toFixed(2)}` : '–'; }).join(' | ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

async function real() {
  const { ensureWeights, ensureModel } = require(path.join(ROOT, 'scripts', 'fetch-weights.js')) as {
    ensureWeights: (o?: unknown) => unknown;
    ensureModel?: (id: string, o?: unknown) => unknown;
  };
  void ensureWeights;
  const modelsDir = path.join(ROOT, 'tools', 'models');
  const ggufs = [
    { name: 'smollm2', file: path.join(modelsDir, 'SmolLM2-135M-Instruct.Q4_1.gguf'), id: 'smollm2-135m-instruct', params: 135e6 },
    { name: 'gemma3', file: path.join(modelsDir, 'gemma-3-270m-q4_k_m.gguf'), id: 'gemma3-270m', params: 270e6 },
  ];
  for (const g of ggufs) if (!fs.existsSync(g.file) && ensureModel) ensureModel(g.id, { quiet: true });
  const present = ggufs.filter((g) => fs.existsSync(g.file));
  if (present.length === 0) return { skipped: 'no GGUF weights (run node scripts/fetch-weights.js)' };
  const { startModelServer } = require('../src/model') as typeof import('../src/model');
  const servers = [];
  for (const g of present) servers.push({ g, s: await startModelServer({ ggufPath: g.file, threads: 1, parallel: 2, contextSize: 1024, modelName: g.name }) });
  const agents = servers.map(({ g, s }) => agent(s.url, g.name, g.name, { maxConcurrency: 2, parameters: g.params, timeoutSeconds: 300, sampling: { temperature: 0.7, topP: 1, maxTokens: 80 } } as never));
  const n = QUICK ? 2 : Number(process.env.BENCH_REAL_PROMPTS ?? 5);
  const lines = fs.readFileSync(path.join(ROOT, 'data', 'wmt22.de-en.200.jsonl'), 'utf8').trim().split('\n').slice(0, n).map((l) => JSON.parse(l) as { id: number; instruction: string; en: string });
  const dir = tmpDir('methods-real-');
  const budgets = QUICK ? [4] : [4, 8];
  // chrF is 0..100: AB-MCTS maps it onto [0, 1] with rewardRange [0, 100] (TOA+ works on raw rewards).
  const all = methods(agents[0]!.name, 3, 1, 0.05, [0, 100]);
  const ms = QUICK ? all.filter((m) => ['toa', 'abmcts', 'toa-plus'].includes(m.type)) : all;
  const t0 = performance.now();
  let runs: Run[] = [];
  try {
    runs = await runGrid({
      agents,
      reward: { type: 'chrf', charOrder: 6, beta: 2 },
      methods: ms,
      budgets,
      seeds: [0],
      prompts: lines.map((l) => ({ id: `wmt${l.id}`, text: l.instruction, reference: l.en })),
      dir,
      promptConcurrency: 4,
    });
  } finally {
    for (const { s } of servers) await s.close();
  }
  const agg = aggregate(runs);
  const reportDir = await report(dir, path.join(RESULTS_DIR, QUICK ? 'tmp/report-methods-real' : 'report-methods-real'));
  return {
    dataset: 'WMT22 de→en (data/wmt22.de-en.200.jsonl, first prompts, reference field "en")',
    reward: 'chrF (sacreBLEU-compatible, 0..100)',
    agents: present.map((g) => ({ name: g.name, file: path.basename(g.file), parameters: g.params })),
    modelServer: { threads: 1, parallel: 2, contextSize: 1024, maxTokens: 80 },
    prompts: n, budgets, seeds: [0], methods: ms.map((m) => m.label ?? m.type),
    wallS: round((performance.now() - t0) / 1000, 1),
    table: agg,
    verdicts: verdicts(agg),
    reportDir,
  };
}

async function main() {
  const load0 = loadNow();
  const sim = await simulated();
  for (const l of sim) log(`${l.landscape}: ${JSON.stringify(l.verdicts.map((v) => [v.budget, v.atLeastAsGoodAsAll, v.worseThan]))}`);
  let realRes: unknown = { skipped: 'BENCH_REAL=0' };
  if (process.env.BENCH_REAL !== '0') {
    log('methods: real local models (WMT22 de-en, chrF)');
    realRes = await real();
    log(JSON.stringify((realRes as { table?: unknown }).table ?? realRes));
  }
  writeResult(
    'methods',
    {
      parameters: { simBudgets: SIM_BUDGETS, simSeeds: SIM_SEEDS, simPrompts: SIM_PROMPTS, landscapes: SIM_LANDSCAPES.map((l) => l.name), candidate: CANDIDATE },
      results: { simulated: sim, real: realRes },
      notes: [
        'Driven in-process by the plain loop (bench/lib.ts runInProcess) with the real generate/score activities: same strategies and activities as the promptSearch workflow, without Temporal (which does not change any decision).',
        'meanBest = mean over prompts × seeds of the best raw reward per prompt, ± 95 % CI (1.96·sd/√n); meanBestTrueQuality = the hidden true quality of that response (simulated pool only); sdOverSeeds = sd of the per-seed means. Tokens = prompt + completion tokens per prompt as reported by the endpoint.',
        `${TREEQUEST}: Sakana AI TreeQuest ABMCTSA (defaults) driven by bench/treequest/drive.py against the same fake servers (its own random stream: compare distributions). Tokens are not counted for it.`,
      ],
    },
    load0,
  );
  const md = path.join(RESULTS_DIR, QUICK ? 'methods.quick.md' : 'methods.md');
  fs.writeFileSync(md, markdown(sim, realRes) + '\n');
  log(`wrote ${path.relative(ROOT, md)}`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
