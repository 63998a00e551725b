/**
 * Compute efficiency of the six methods: best reward against generations and tokens.
 *
 * Part 1 (simulated, always): a seeded simulated agent pool on the fake OpenAI server (own
 * process) with different quality distributions and refinement gains, and a noisy reward (fake
 * reward server). Driven in-process by the plain loop with the real generate/score activities
 * (the same strategies and activities as the workflows; Temporal adds no decisions). Records are
 * written in the workflows' format and plotted with `toa report` (src/report buildReport).
 *
 * Part 2 (real, unless BENCH_REAL=0): two local models (SmolLM2-135M-Instruct and
 * Gemma-3-270M base, GGUF through the project's model server) on WMT22 de→en with the chrF
 * reward, small budgets, as large as fits in ~15 minutes on 2 cores.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { methodSchema, type AgentConfig, type MethodSpec, type RewardSpec } from '../src/config/schema';
import { allowListFor } from '../src/activities';
import { openStore } from '../src/store';
import type { FakeModelSpec } from '../src/testing/fakeOpenAI';
import { QUICK, ROOT, RESULTS_DIR, agent, createActivities, inProcessSlots, loadNow, log, mean, pool, round, stdev, startFake, tmpDir, writeResult } from './lib';

/** The simulated pool. Fresh quality is uniform in [quality - noise, quality + noise]; refining r gives
 *  carry·q(r) + (1 - carry)·quality + gain ± noise, clamped to [0, 1]. */
export const SIM_POOL: Record<string, FakeModelSpec> = {
  // Best fresh answers, poor refiner (fresh ceiling 0.75; refine fixed point 0.60).
  'sim-strong': { quality: 0.6, noise: 0.15, carry: 0.5, gain: 0.0 },
  // Mediocre fresh, strong refiner (refine fixed point 0.45 + 0.04/0.1 = 0.85, noise lets chains reach 1.0).
  'sim-refiner': { quality: 0.45, noise: 0.1, carry: 0.9, gain: 0.04 },
  // High variance.
  'sim-noisy': { quality: 0.35, noise: 0.25, carry: 0.7, gain: 0.02 },
  // Weak.
  'sim-weak': { quality: 0.2, noise: 0.1, carry: 0.5, gain: 0.0 },
};
const REWARD_NOISE = 0.05;

const SIM_BUDGETS = QUICK ? [8, 16] : [8, 16, 32, 64];
const SIM_SEEDS = QUICK ? [0] : [0, 1, 2];
const SIM_PROMPTS = QUICK ? 6 : 20;

function methods(single: string, moaLayers: number, tau: number, alpha: number): MethodSpec[] {
  return [
    methodSchema.parse({ type: 'toa', tau, alpha }),
    methodSchema.parse({ type: 'random', agent: single }),
    methodSchema.parse({ type: 'prs', agent: single }),
    methodSchema.parse({ type: 'ensemble' }),
    methodSchema.parse({ type: 'sequential' }),
    methodSchema.parse({ type: 'moa', layers: moaLayers }),
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


/** Per (method, budget): mean best over prompts per seed, then mean ± sd over seeds. */
function aggregate(runs: Run[]) {
  const keys = [...new Set(runs.map((r) => `${r.method}|${r.budget}`))];
  return keys.map((k) => {
    const [method, b] = k.split('|');
    const rs = runs.filter((r) => r.method === method && r.budget === Number(b));
    const seeds = [...new Set(rs.map((r) => r.seed))];
    const perSeed = seeds.map((s) => mean(rs.filter((r) => r.seed === s).map((r) => r.best)));
    const qs = rs.map((r) => r.bestQuality).filter((x): x is number => x !== null);
    return {
      method, budget: Number(b), prompts: rs.length / seeds.length, seeds: seeds.length,
      meanBest: round(mean(perSeed), 4), sdOverSeeds: round(stdev(perSeed), 4),
      meanBestTrueQuality: qs.length ? round(mean(qs), 4) : null,
      meanTokensPerPrompt: round(mean(rs.map((r) => r.tokens)), 0),
    };
  });
}

/** Ranks at each budget, and who is best at equal tokens (interpolated on the token axis). */
function verdicts(agg: ReturnType<typeof aggregate>) {
  const budgets = [...new Set(agg.map((a) => a.budget))].sort((a, b) => a - b);
  return budgets.map((b) => {
    const row = agg.filter((a) => a.budget === b).sort((x, y) => y.meanBest - x.meanBest);
    const toa = row.find((r) => r.method === 'toa')!;
    const best = row[0]!;
    const others = row.filter((r) => r.method !== 'toa');
    const bestOther = others[0]!;
    const diff = toa.meanBest - bestOther.meanBest;
    const noise = Math.max(toa.sdOverSeeds, bestOther.sdOverSeeds, 0.002);
    const verdict = Math.abs(diff) <= noise ? 'tie' : diff > 0 ? 'win' : 'loss';
    return { budget: b, ranking: row.map((r) => `${r.method} ${r.meanBest}`), best: best.method, toaVsBestOther: { other: bestOther.method, diff: round(diff, 4), noise: round(noise, 4), verdict } };
  });
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

async function simulated() {
  const dir = tmpDir('methods-sim-');
  const openai = await startFake('openai', { models: SIM_POOL, strictModels: true, seed: 7, keepRequests: 0 });
  const reward = await startFake('reward', { noise: REWARD_NOISE, seed: 7, keepRequests: 0 } as never);
  const agents = Object.keys(SIM_POOL).map((m, i) => agent(openai.url, `a${i + 1}-${m.slice(4)}`, m, { maxConcurrency: 16 }));
  const t0 = performance.now();
  const runs = await runGrid({
    agents,
    reward: { type: 'http', url: reward.url, timeoutSeconds: 30 },
    methods: methods(agents[0]!.name, 3, 1, 0.05),
    budgets: SIM_BUDGETS,
    seeds: SIM_SEEDS,
    prompts: Array.from({ length: SIM_PROMPTS }, (_, i) => ({ id: `sim${i}`, text: `Simulated task ${i}: write the best possible answer.` })),
    dir,
    promptConcurrency: 32,
  });
  const wallS = (performance.now() - t0) / 1000;
  const stats = await openai.stats();
  await openai.close();
  await reward.close();
  const agg = aggregate(runs);
  const reportDir = await report(dir, path.join(RESULTS_DIR, QUICK ? 'tmp/report-methods-sim' : 'report-methods-sim'));
  return {
    pool: SIM_POOL,
    rewardNoise: REWARD_NOISE,
    knownOptimum: {
      trueQuality: 1.0,
      reward: `1.0 ± ${REWARD_NOISE} (reward = q + noise·u, q clamped to [0, 1])`,
      freshOnlyCeiling: 0.75,
      explanation: 'q = 1.0 is reachable only by refinement chains through sim-refiner (fixed point 0.85, +noise); the best fresh sample any agent can give is 0.75 (sim-strong), so methods that never refine (random, ensemble) cannot exceed 0.75 true quality.',
    },
    agents: agents.map((a) => ({ name: a.name, model: a.model })),
    singleAgentFor: { random: agents[0]!.name, prs: agents[0]!.name },
    toa: { tau: 1, alpha: 0.05, width: 'third' },
    moaLayers: 3,
    wallS: round(wallS, 1),
    endpointRequests: stats.requests,
    table: agg,
    verdicts: verdicts(agg),
    reportDir,
  };
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
  const ms = QUICK ? methods(agents[0]!.name, 3, 1, 0.05).filter((m) => ['toa', 'ensemble'].includes(m.type)) : methods(agents[0]!.name, 3, 1, 0.05).filter((m) => m.type !== 'moa' && m.type !== 'prs');
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
  log('methods: simulated pool');
  const sim = await simulated();
  log(JSON.stringify(sim.table));
  let realRes: unknown = { skipped: 'BENCH_REAL=0' };
  if (process.env.BENCH_REAL !== '0') {
    log('methods: real local models (WMT22 de-en, chrF)');
    realRes = await real();
    log(JSON.stringify((realRes as { table?: unknown }).table ?? realRes));
  }
  writeResult(
    'methods',
    {
      parameters: { simBudgets: SIM_BUDGETS, simSeeds: SIM_SEEDS, simPrompts: SIM_PROMPTS },
      results: { simulated: sim, real: realRes },
      notes: [
        'Driven in-process by the plain loop (bench/lib.ts runInProcess) with the real generate/score activities: same strategies and activities as the promptSearch workflow, without Temporal (which does not change any decision).',
        'meanBest = mean over prompts of the best raw reward per prompt, averaged over seeds (sd over seeds). Tokens = prompt + completion tokens per prompt as reported by the endpoint.',
      ],
    },
    load0,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
