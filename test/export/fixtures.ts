/**
 * Realistic sweep results for export and report tests: the real search strategies (TOA with its
 * tree, parallel ensemble with its anytime curve) driven by a deterministic fake reward, written
 * as record files and store texts exactly as prompt workflows write them.
 *
 * 2 methods × 2 budgets (8, 40) × 2 seeds × 4 prompts = 32 records.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { methodLabelOf } from '../../src/search/methods';
import type { AgentConfig, MethodSpec } from '../../src/config/schema';
import { createPrng, createStrategy, deriveSeed, type Action } from '../../src/search';
import { runSearch } from '../../src/search/driver';
import { openStore, writeRecordAtomic } from '../../src/store';
import { computeOf, type CallRecord } from '../../src/common/compute';
import type { PromptRecord, RecordedResponse } from '../../src/common/records';

export const AGENTS = [
  { name: 'llama-8b', quality: 0.1, parameters: 8e9 },
  { name: 'qwen-7b', quality: 0.14, parameters: 7e9 },
  { name: 'mistral-7b', quality: 0.06, parameters: 7e9 },
];
export const METHODS: MethodSpec[] = [
  { type: 'toa', alpha: 0.01, tau: 0.1, width: 'third', parallelPlays: 1 },
  { type: 'ensemble' },
];
export const BUDGETS = [8, 40];
export const SEEDS = [0, 1];
export const PROMPTS = [
  { id: 'p1', text: 'Explain why the sky is blue in two sentences.' },
  { id: 'p2', text: 'Write a haiku about autumn rain.' },
  { id: 'p3', text: 'What is 17 × 23? Show your steps.' },
  { id: 'p4', text: 'Give three tips for writing clear commit messages.' },
];

export interface Fixture {
  root: string;
  recordsDir: string;
  storeRoot: string;
  sweepFile: string;
  records: PromptRecord[];
}

const SWEEP_YAML = `name: fixture-sweep
dataset:
  path: prompts.jsonl
  idField: id
  promptField: instruction
agents:
${AGENTS.map((a) => `  - name: ${a.name}\n    baseURL: http://127.0.0.1:9/v1\n    model: ${a.name}-instruct\n    apiKeyEnv: FIXTURE_API_KEY\n    parameters: ${a.parameters}`).join('\n')}
reward:
  type: vllm-reward
  baseURL: http://127.0.0.1:9
  model: armo-rm
methods:
  - type: toa
  - type: ensemble
budgets: [${BUDGETS.join(', ')}]
seeds: [${SEEDS.join(', ')}]
output: runs
`;

function agentConfigs(): AgentConfig[] {
  return AGENTS.map((a) => ({
    name: a.name,
    baseURL: 'http://127.0.0.1:9/v1',
    model: `${a.name}-instruct`,
    sampling: { temperature: 0.7, topP: 1, maxTokens: 2048 },
    parameters: a.parameters,
    maxConcurrency: 4,
    timeoutSeconds: 600,
  }));
}

/** Runs one method on one prompt with a deterministic reward; returns the record. */
async function runOne(
  method: MethodSpec,
  budget: number,
  seed: number,
  prompt: { id: string; text: string },
  put: (t: string) => Promise<string>,
  promptRef: string,
): Promise<PromptRecord> {
  const label = methodLabelOf(method);
  const strategy = createStrategy(method, { agents: AGENTS.map((a) => a.name), budget, seed });
  const prng = createPrng(deriveSeed(seed, label, budget, prompt.id));
  const rewardOf = new Map<string, number>();
  const calls: CallRecord[] = [];
  const meta = new Map<string, { ref: string; preview: string; latencyMs: number }>();
  const play = async (a: Action) => {
    const base = AGENTS.find((x) => x.name === a.agent)!.quality;
    const parent = a.inputs.length ? Math.max(...a.inputs.map((i) => rewardOf.get(i) ?? 0)) : base;
    // refinements improve on their parent a little; everything is noisy
    let reward = a.kind === 'fresh' ? base + (prng.next() - 0.5) * 0.1 : parent + (prng.next() - 0.35) * 0.04;
    reward = Math.round(reward * 1e4) / 1e4;
    // prompt p3 under ensemble is degenerate: every response gets the same reward (DPO tie)
    if (label === 'ensemble' && prompt.id === 'p3') reward = 0.1;
    rewardOf.set(a.id, reward);
    const text = `[${a.agent} ${a.kind}${a.inputs.length ? ` of ${a.inputs.join(',')}` : ''}] answer ${a.id} to "${prompt.text}" (${label} b${budget} s${seed})`;
    const promptTokens = 20 + (a.kind === 'fresh' ? 0 : 60);
    const completionTokens = 40 + Math.floor(prng.next() * 60);
    const ref = await put(text);
    meta.set(a.id, { ref, preview: text.slice(0, 40), latencyMs: 100 + completionTokens });
    calls.push({ actionId: a.id, agent: a.agent, ref, latencyMs: 100, promptTokens, completionTokens, reward });
    return { actionId: a.id, reward, promptTokens, completionTokens };
  };
  // The project's one driver loop; plays run one after another in issue order (each waits for
  // the previous), so the fixture is reproducible.
  let previous: Promise<unknown> = Promise.resolve();
  await runSearch(strategy, (a) => {
    const p = previous.then(() => play(a));
    previous = p;
    return p;
  });
  const { failedPlays, ...result } = strategy.result();
  if (failedPlays) throw new Error('fixture: no play of these fixtures fails');
  const responses: RecordedResponse[] = result.responses.map((r) => ({ ...r, ...meta.get(r.id)! }));
  const best = responses.find((r) => r.id === result.bestId)!;
  const workflowId = `fixture-sweep/${label}/b${budget}/s${seed}/${prompt.id}`;
  return {
    workflowId,
    sweepId: 'fixture-sweep',
    promptId: prompt.id,
    method: label,
    methodSpec: method,
    budget,
    seed,
    searchSeed: seed,
    promptRef,
    result: { ...result, responses },
    compute: computeOf(calls, agentConfigs()),
    bestText: `[${best.agent} ${best.kind}${best.inputs.length ? ` of ${best.inputs.join(',')}` : ''}] answer ${best.id} to "${prompt.text}" (${label} b${budget} s${seed})`,
  };
}

/** Writes the fixture sweep under a fresh temp folder. */
export async function makeFixture(): Promise<Fixture> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'toa-export-fixture-'));
  const recordsDir = path.join(root, 'runs', 'fixture-sweep', 'records');
  const storeRoot = path.join(root, 'runs', 'store');
  const store = openStore({ kind: 'fs', root: storeRoot });
  const sweepFile = path.join(root, 'sweep.yaml');
  await fsp.writeFile(sweepFile, SWEEP_YAML);
  await fsp.writeFile(
    path.join(root, 'prompts.jsonl'),
    PROMPTS.map((p) => JSON.stringify({ id: p.id, instruction: p.text })).join('\n') + '\n',
  );
  const records: PromptRecord[] = [];
  for (const p of PROMPTS) {
    const promptRef = await store.put(p.text);
    for (const m of METHODS) {
      for (const b of BUDGETS) {
        for (const s of SEEDS) {
          const rec = await runOne(m, b, s, p, (t) => store.put(t), promptRef);
          await writeRecordAtomic(recordsDir, rec.workflowId, rec);
          records.push(rec);
        }
      }
    }
  }
  return { root, recordsDir, storeRoot, sweepFile, records };
}

export async function removeFixture(f: Fixture | undefined): Promise<void> {
  if (f) await fsp.rm(f.root, { recursive: true, force: true });
}
