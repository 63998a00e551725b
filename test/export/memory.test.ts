/**
 * `toa export` and `toa report` of a large records folder in bounded memory: 20,000 records
 * (more JSON than the heap may hold, checked below, and several times that as objects) through
 * the real CLI in a child process whose V8 heap is capped at HEAP_MB. Loading every record into one
 * array cannot fit (both commands ran out of memory before they streamed); streaming them one at
 * a time does. The cap was 64 MB until export's live heap (≈ 53 MB after a full GC) was seen to
 * hit it once in CI: 96 MB leaves room for GC timing and stays well
 * under what the records need as objects.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, promises as fsp, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { rememberSweep } from '../../src/client/sweepIndex';
import { recordPath, textKey } from '../../src/store';
import type { PromptRecord, RecordedResponse } from '../../src/common/records';
import { ensureBuilt, ROOT } from '../e2e/helpers';
import { tmpDir } from '../support/tmp';

const RECORDS = 20_000;
/** The child's V8 heap cap; the records folder is checked to be larger than it. */
const HEAP_MB = 96;
const PROMPTS = RECORDS / 4; // × 2 methods × 2 seeds, budget 8
const AGENTS = ['a1', 'a2', 'a3'];
let tmp: ReturnType<typeof tmpDir>;
let home: string;
let recordsDir: string;

/** A text file of the fs store, written directly (20,000 fsynced puts would take minutes). */
function putText(storeRoot: string, text: string): string {
  const key = textKey(text);
  const dir = path.join(storeRoot, 'texts', key.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${key}.txt`), text);
  return key;
}

function recordOf(i: number, promptRef: string, answers: Array<{ text: string; ref: string }>): PromptRecord {
  const method = i % 2 === 0 ? 'toa' : 'ensemble';
  const seed = Math.floor(i / 2) % 2;
  const promptId = `p${Math.floor(i / 4)}`;
  const workflowId = `big/${method}/b8/s${seed}/${promptId}`;
  const responses: RecordedResponse[] = Array.from({ length: 8 }, (_, k) => {
    const a = answers[(i + k) % answers.length]!;
    return {
      id: `r${k}`,
      agent: AGENTS[k % 3]!,
      kind: k > 0 && method === 'toa' ? 'refine' : 'fresh',
      inputs: k > 0 && method === 'toa' ? [`r${k - 1}`] : [],
      order: k,
      reward: ((i * 7 + k * 13) % 100) / 100,
      ...(method === 'toa' ? { normalizedReward: 0.5 } : {}),
      promptTokens: 40,
      completionTokens: 90,
      ref: a.ref,
      text: a.text,
      preview: a.text.slice(0, 80),
      latencyMs: 120,
    };
  });
  const best = [...responses].sort((x, y) => y.reward - x.reward || x.order - y.order)[0]!;
  const byAgent = Object.fromEntries(AGENTS.map((a) => [a, { generations: 0, promptTokens: 0, completionTokens: 0, flops: 0, costUsd: 0 }]));
  return {
    workflowId,
    sweepId: 'big',
    promptId,
    method,
    methodSpec: method === 'toa' ? { type: 'toa', alpha: 0.05, tau: 10, width: 'third', parallelPlays: 1 } : { type: 'ensemble' },
    budget: 8,
    seed,
    searchSeed: seed,
    promptRef,
    result: {
      method,
      budget: 8,
      bestId: best.id,
      bestReward: best.reward,
      responses,
      ...(method === 'toa'
        ? {
            tree: {
              nodes: [
                { id: 'root', type: 'root', visits: 9, rewards: [], value: 0.5 },
                ...responses.map((r, k) => ({ id: `n${k}`, type: 'response' as const, parent: 'root', responseId: r.id, layer: 1, visits: 1, rewards: [], value: 0, reward: r.reward, normalizedReward: 0.5 })),
              ],
              edges: responses.map((_, k) => ['root', `n${k}`] as [string, string]),
            },
          }
        : { anytime: responses.map((r, k) => ({ generations: k + 1, bestReward: Math.max(...responses.slice(0, k + 1).map((x) => x.reward)) })) }),
    },
    compute: { generations: 8, promptTokens: 320, completionTokens: 720, flops: 1.6e13, costUsd: 0, byAgent },
    bestText: best.text!,
  } as PromptRecord;
}

beforeAll(async () => {
  ensureBuilt();
  tmp = tmpDir('toa-big-records-');
  home = path.join(tmp.dir, 'home');
  const out = path.join(tmp.dir, 'runs');
  recordsDir = path.join(out, 'big', 'records');
  const storeRoot = path.join(out, 'store');
  // Fifty distinct answers, also in the store (records of earlier releases name texts only by ref).
  const answers = Array.from({ length: 50 }, (_, k) => {
    const text = `Answer ${k}: ${'a considered, reasonably long response sentence. '.repeat(12)}`;
    return { text, ref: putText(storeRoot, text) };
  });
  const promptRefs = Array.from({ length: PROMPTS }, (_, p) => putText(storeRoot, `Question ${p}: explain something in detail.`));
  for (let i = 0; i < RECORDS; i++) {
    const rec = recordOf(i, promptRefs[Math.floor(i / 4)]!, answers);
    const file = recordPath(recordsDir, rec.workflowId);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ workflowId: rec.workflowId, record: rec })}\n`);
  }
  const sweepFile = path.join(tmp.dir, 'big.yaml');
  writeFileSync(path.join(tmp.dir, 'big.jsonl'), '{"id": "p0", "instruction": "x"}\n');
  writeFileSync(
    sweepFile,
    [
      'name: big',
      'dataset: {path: big.jsonl}',
      'agents:',
      ...AGENTS.map((a) => `  - {name: ${a}, baseURL: "http://127.0.0.1:9/v1", model: ${a}, parameters: 1000000000}`),
      'reward: {type: http, url: "http://127.0.0.1:9/score"}',
      'methods: [{type: toa}, {type: ensemble}]',
      'budgets: [8]',
      'seeds: [0, 1]',
      'output: runs',
    ].join('\n'),
  );
  process.env.TOA_HOME = home;
  await rememberSweep({ sweepId: 'big', file: sweepFile, outputDir: out, recordsDir, storeRoot });
  delete process.env.TOA_HOME;
}, 600_000);
afterAll(() => tmp?.cleanup());

/** `toa <args>` with the capped heap. */
function toa(args: string[]) {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, path.join(ROOT, 'bin', 'toa.js'), ...args], {
    cwd: tmp.dir,
    env: { ...process.env, TOA_HOME: home, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0) throw new Error(`toa ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

test('the records folder is larger than the heap allowed', async () => {
  let bytes = 0;
  for (const d of readdirSync(recordsDir)) {
    if (d.startsWith('.')) continue;
    for (const f of readdirSync(path.join(recordsDir, d))) bytes += (await fsp.stat(path.join(recordsDir, d, f))).size;
  }
  expect(bytes).toBeGreaterThan(HEAP_MB * 1024 * 1024);
});

test('toa export (every format, JSONL and Parquet) streams 20,000 records with a capped heap', () => {
  const dir = path.join(tmp.dir, 'export');
  const stdout = toa(['export', 'big', '--format', 'sft,dpo,responses,trees', '--parquet', '--out', dir]);
  expect(stdout).toContain(`exported ${RECORDS} prompt records (4 runs)`);
  const lines = (name: string) => readFileSync(path.join(dir, name), 'utf8').trimEnd().split('\n');
  expect(lines('sft.toa.b8.s0.jsonl')).toHaveLength(RECORDS / 4);
  expect(lines('responses.ensemble.b8.s1.jsonl')).toHaveLength((RECORDS / 4) * 8);
  const row = JSON.parse(lines('responses.toa.b8.s1.jsonl')[0]!) as { text: string; prompt: string };
  expect(row.text).toMatch(/^Answer \d+: a considered/);
  expect(row.prompt).toMatch(/^Question \d+: /);
  expect(stdout).toMatch(/responses\.toa\.b8\.s0\.parquet {2}40000 rows/);
}, 600_000);

test('toa report streams 20,000 records with a capped heap', () => {
  const dir = path.join(tmp.dir, 'report');
  const stdout = toa(['report', 'big', '--out', dir, '--no-png']);
  expect(stdout).toContain(`report of ${RECORDS} prompt records (toa, ensemble)`);
  const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as {
    points: Array<{ method: string; budget: number; prompts: number; seeds: number }>;
    tree: { promptId: string };
  };
  expect(summary.points.map((p) => [p.method, p.budget, p.prompts, p.seeds])).toEqual([
    ['ensemble', 8, PROMPTS, 2],
    ['toa', 8, PROMPTS, 2],
  ]);
  expect(summary.tree.promptId).toBe('p0');
}, 600_000);
