/* eslint-disable @typescript-eslint/no-explicit-any -- rows read back from JSONL are checked field by field */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { rememberSweep } from '../../src/client/sweepIndex';
import { EsmBridge, exportSweep, pickPreference, rankResponses, runExportCommand, type ExportSummary } from '../../src/export';
import type { PromptRecord, RecordedResponse } from '../../src/common/records';
import { BUDGETS, makeFixture, METHODS, PROMPTS, removeFixture, SEEDS, type Fixture } from './fixtures';
import { pythonWithDatasets } from './pyenv';

const run = promisify(execFile);
let fx: Fixture;
let out: string;
let summary: ExportSummary;

async function readJsonl(file: string): Promise<Array<Record<string, any>>> {
  return (await fsp.readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
}

function recordOf(row: { method: string; budget: number; seed: number; prompt_id: string }): PromptRecord {
  const r = fx.records.find(
    (x) => x.method === row.method && x.budget === row.budget && x.seed === row.seed && x.promptId === row.prompt_id,
  );
  if (!r) throw new Error(`no record for ${JSON.stringify(row)}`);
  return r;
}

/** Independent ranking: reward descending, order ascending. */
function ranked(r: PromptRecord): RecordedResponse[] {
  return [...r.result.responses].sort((a, b) => (a.reward === b.reward ? a.order - b.order : b.reward - a.reward));
}

beforeAll(async () => {
  fx = await makeFixture();
  out = path.join(fx.root, 'export');
  summary = await exportSweep({
    recordsDir: fx.recordsDir,
    storeRoot: fx.storeRoot,
    sweepFile: fx.sweepFile,
    outDir: out,
    formats: ['sft', 'dpo', 'responses', 'trees'],
    fileTypes: ['jsonl', 'parquet'],
  });
});
afterAll(() => removeFixture(fx));

const combos = METHODS.length * BUDGETS.length * SEEDS.length;

test('one file per format × run × file type, trees only for TOA', async () => {
  const names = (await fsp.readdir(out)).filter((n) => !n.startsWith('.')).sort();
  expect(names).toContain('README.md');
  expect(names).toContain('sft.toa.b40.s0.jsonl');
  expect(names).toContain('dpo.ensemble.b8.s1.parquet');
  expect(names.filter((n) => n.startsWith('sft.'))).toHaveLength(combos * 2);
  expect(names.filter((n) => n.startsWith('responses.'))).toHaveLength(combos * 2);
  expect(names.filter((n) => n.startsWith('trees.'))).toEqual(
    BUDGETS.flatMap((b) => SEEDS.flatMap((s) => [`trees.toa.b${b}.s${s}.jsonl`, `trees.toa.b${b}.s${s}.parquet`])).sort(),
  );
  expect(summary.records).toBe(fx.records.length);
  expect(summary.combinations).toHaveLength(combos);
  expect(names.some((n) => n.endsWith('.tmp'))).toBe(false);
});

test('SFT: TRL conversational rows with the best response', async () => {
  let rows = 0;
  for (const f of summary.files.filter((x) => x.format === 'sft' && x.fileType === 'jsonl')) {
    const data = await readJsonl(f.path);
    expect(data).toHaveLength(PROMPTS.length);
    rows += data.length;
    for (const row of data) {
      const rec = recordOf(row as any);
      expect(row.messages).toEqual([
        { role: 'user', content: PROMPTS.find((p) => p.id === row.prompt_id)!.text },
        { role: 'assistant', content: rec.bestText },
      ]);
      expect(row.reward).toBe(Math.max(...rec.result.responses.map((x) => x.reward)));
      expect(row).toMatchObject({ method: f.combination!.method, budget: f.combination!.budget, seed: f.combination!.seed });
    }
  }
  expect(rows).toBe(fx.records.length);
  expect(summary.sft.rows).toBe(fx.records.length);
});

test('DPO: chosen has the max reward, rejected is rank 30 or the last; ties skipped', async () => {
  let fallback = 0;
  let rows = 0;
  for (const f of summary.files.filter((x) => x.format === 'dpo' && x.fileType === 'jsonl')) {
    for (const row of await readJsonl(f.path)) {
      rows++;
      const rec = recordOf(row as any);
      const r = ranked(rec);
      const rank = Math.min(30, r.length);
      if (r.length < 30) fallback++;
      expect(Object.keys(row).slice(0, 5)).toEqual(['prompt', 'chosen', 'rejected', 'score_chosen', 'score_rejected']);
      expect(row.prompt).toEqual([{ role: 'user', content: PROMPTS.find((p) => p.id === row.prompt_id)!.text }]);
      expect(row.chosen).toEqual([{ role: 'assistant', content: expect.any(String) }]);
      expect(row.rejected).toEqual([{ role: 'assistant', content: expect.any(String) }]);
      expect(row.score_chosen).toBe(Math.max(...rec.result.responses.map((x) => x.reward)));
      expect(row.chosen_id).toBe(rec.result.bestId);
      expect(row.rejected_rank).toBe(rank);
      expect(row.rejected_id).toBe(r[rank - 1]!.id);
      expect(row.score_rejected).toBe(r[rank - 1]!.reward);
      expect(row.score_chosen).toBeGreaterThan(row.score_rejected);
      expect(row.rejected[0].content).toContain(`answer ${row.rejected_id} `);
      expect(row.chosen[0].content).toContain(`answer ${row.chosen_id} `);
      if (rec.budget === 40) expect(row.rejected_rank).toBe(30);
      else expect(row.rejected_rank).toBe(8);
    }
  }
  // the fixture's ensemble/p3 prompt scores every response alike: skipped as a tie in all 4 runs
  const ties = BUDGETS.length * SEEDS.length;
  expect(summary.dpo.skipped).toEqual({ 'single-response': 0, tie: ties });
  expect(rows).toBe(fx.records.length - ties);
  expect(summary.dpo.rows).toBe(rows);
  expect(summary.dpo.fallbackToLast).toBe(fallback);
  expect(fallback).toBe(METHODS.length * SEEDS.length * PROMPTS.length - SEEDS.length); // budget 8, minus the ties
});

test('pickPreference: rank rule, fallback, skips', () => {
  const resp = (id: string, reward: number, order: number): RecordedResponse => ({
    id,
    agent: 'a',
    kind: 'fresh',
    inputs: [],
    order,
    reward,
    promptTokens: 1,
    completionTokens: 1,
    ref: '0'.repeat(64),
    preview: '',
    latencyMs: 1,
  });
  const many = Array.from({ length: 50 }, (_, i) => resp(`r${i}`, i / 100, i));
  const p = pickPreference(many, 30);
  expect(p).toMatchObject({ ok: true, rejectedRank: 30, fallback: false });
  if (p.ok) {
    expect(p.chosen.id).toBe('r49');
    expect(p.rejected.id).toBe('r20'); // rank 30 of 50 ascending rewards
  }
  const few = [resp('r0', 0.5, 0), resp('r1', 0.2, 1), resp('r2', 0.9, 2)];
  expect(pickPreference(few, 30)).toMatchObject({
    ok: true,
    rejectedRank: 3,
    fallback: true,
    chosen: { id: 'r2' },
    rejected: { id: 'r1' },
  });
  expect(pickPreference(few, 2)).toMatchObject({ ok: true, rejectedRank: 2, fallback: false, rejected: { id: 'r0' } });
  expect(pickPreference([resp('r0', 1, 0)], 30)).toEqual({ ok: false, reason: 'single-response' });
  expect(pickPreference([resp('r0', 1, 0), resp('r1', 1, 1)], 30)).toEqual({ ok: false, reason: 'tie' });
  expect(() => pickPreference(few, 1)).toThrow(/rejectedRank/);
  // ties in ranking: earlier order first
  expect(rankResponses([resp('b', 1, 1), resp('a', 1, 0)]).map((x) => x.id)).toEqual(['a', 'b']);
});

test('responses: every response with text, parents, tokens; trees: one per TOA prompt', async () => {
  const total = fx.records.reduce((a, r) => a + r.result.responses.length, 0);
  let n = 0;
  for (const f of summary.files.filter((x) => x.format === 'responses' && x.fileType === 'jsonl')) {
    for (const row of await readJsonl(f.path)) {
      n++;
      const rec = recordOf(row as any);
      const x = rec.result.responses.find((y) => y.id === row.response_id)!;
      expect(row).toMatchObject({
        agent: x.agent,
        kind: x.kind,
        inputs: x.inputs,
        order: x.order,
        reward: x.reward,
        prompt_tokens: x.promptTokens,
        completion_tokens: x.completionTokens,
      });
      expect(row.parent_id).toBe(x.kind === 'refine' ? x.inputs[0] : null);
      expect(row.normalized_reward).toBe(x.normalizedReward ?? null);
      expect(row.is_best).toBe(x.id === rec.result.bestId);
      expect(row.rank).toBe(ranked(rec).findIndex((y) => y.id === x.id) + 1);
      expect(row.text).toContain(`answer ${x.id} `);
    }
  }
  expect(n).toBe(total);
  const trees = summary.files.filter((x) => x.format === 'trees' && x.fileType === 'jsonl');
  let t = 0;
  for (const f of trees) {
    for (const row of await readJsonl(f.path)) {
      t++;
      const rec = recordOf(row as any);
      expect(row.method).toBe('toa');
      expect(row.tree.nodes).toHaveLength(rec.result.tree!.nodes.length);
      expect(row.tree.edges).toEqual(rec.result.tree!.edges);
      expect(row.tree.nodes[0].type).toBe('root');
      expect(row.num_nodes).toBe(rec.result.tree!.nodes.length);
    }
  }
  expect(t).toBe(PROMPTS.length * BUDGETS.length * SEEDS.length);
  expect(summary.trees.withoutTree).toBe(fx.records.length - t);
});

test('Parquet files read back to the same rows as JSONL', async () => {
  const esm = EsmBridge.start();
  try {
    const toPlain = (v: unknown): unknown =>
      JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)));
    for (const f of summary.files.filter((x) => x.fileType === 'parquet')) {
      const { rows, columns } = await esm.readParquet(await fsp.readFile(f.path));
      const jsonl = await readJsonl(f.path.replace(/\.parquet$/, '.jsonl'));
      expect(rows).toHaveLength(f.rows);
      expect(columns).toEqual(Object.keys(jsonl[0]!));
      expect(toPlain(rows)).toEqual(jsonl);
    }
  } finally {
    await esm.close();
  }
});

test('dataset card: HF YAML header with configs pointing at existing files, sweep config, counts', async () => {
  const card = await fsp.readFile(path.join(out, 'README.md'), 'utf8');
  expect(card.startsWith('---\n')).toBe(true);
  const header = parseYaml(card.split('\n---\n')[0]!.slice(4)) as {
    configs: Array<{ config_name: string; default?: boolean; data_files: Array<{ split: string; path: string }> }>;
  };
  const tables = summary.files.filter((f) => f.fileType === 'parquet');
  expect(header.configs).toHaveLength(tables.length);
  for (const c of header.configs) {
    expect(c.data_files[0]!.split).toBe('train');
    expect(c.data_files[0]!.path).toMatch(/\.parquet$/);
    await fsp.access(path.join(out, c.data_files[0]!.path));
  }
  expect(header.configs.filter((c) => c.default)).toEqual([expect.objectContaining({ config_name: 'sft-toa-b40-s0' })]);
  expect(card).toContain('vLLM reward model `armo-rm`');
  expect(card).toContain('apiKeyEnv: FIXTURE_API_KEY');
  expect(card).toContain(`rank 30`);
  expect(card).toContain(`| [dpo.toa.b40.s0.parquet](dpo.toa.b40.s0.parquet) | ${PROMPTS.length} |`);
  expect(card).toMatch(/\| prompts \(per run\) \| 4 \|/);
});

test('filters and one file per format', async () => {
  const dir = path.join(fx.root, 'filtered');
  const s = await exportSweep({
    recordsDir: fx.recordsDir,
    storeRoot: fx.storeRoot,
    outDir: dir,
    formats: ['sft', 'dpo'],
    method: 'toa',
    budget: 40,
  });
  expect(s.files.map((f) => f.name)).toEqual([
    'sft.toa.b40.s0.jsonl',
    'sft.toa.b40.s1.jsonl',
    'dpo.toa.b40.s0.jsonl',
    'dpo.toa.b40.s1.jsonl',
  ]);
  const one = await exportSweep({
    recordsDir: fx.recordsDir,
    storeRoot: fx.storeRoot,
    outDir: path.join(fx.root, 'one'),
    formats: ['sft'],
    seed: 1,
    split: false,
  });
  expect(one.files.map((f) => [f.name, f.rows])).toEqual([['sft.jsonl', METHODS.length * BUDGETS.length * PROMPTS.length]]);
  await expect(
    exportSweep({ recordsDir: fx.recordsDir, storeRoot: fx.storeRoot, outDir: dir, formats: ['sft'], method: 'nope' }),
  ).rejects.toThrow(/no prompt records .* matching method nope/);
  const r20 = await exportSweep({
    recordsDir: fx.recordsDir,
    storeRoot: fx.storeRoot,
    outDir: path.join(fx.root, 'r20'),
    formats: ['dpo'],
    budget: 40,
    rejectedRank: 20,
  });
  for (const f of r20.files) for (const row of await readJsonl(f.path)) expect(row.rejected_rank).toBe(20);
});

test('runExportCommand finds the sweep in the index and prints where files went', async () => {
  const home = await fsp.mkdtemp(path.join(os.tmpdir(), 'toa-home-'));
  const prev = process.env.TOA_HOME;
  process.env.TOA_HOME = home;
  try {
    await rememberSweep({
      sweepId: 'fixture-sweep',
      file: fx.sweepFile,
      outputDir: path.join(fx.root, 'runs'),
      recordsDir: fx.recordsDir,
      storeRoot: fx.storeRoot,
    });
    const lines: string[] = [];
    const s = await runExportCommand('fixture-sweep', { format: 'sft,dpo', parquet: true, method: 'toa', budget: '8' }, (l) =>
      lines.push(l),
    );
    expect(s.outDir).toBe(path.join(fx.root, 'runs', 'fixture-sweep', 'export'));
    expect(lines[0]).toContain(s.outDir);
    expect(lines.join('\n')).toMatch(/sft\.toa\.b8\.s0\.parquet {2}4 rows/);
    expect(lines.join('\n')).toMatch(/rejected = rank 30; \d+ prompts had fewer responses/);
    await expect(runExportCommand('fixture-sweep', { format: 'sft,nope' }, () => undefined)).rejects.toThrow(
      /unknown format "nope"/,
    );
    await expect(runExportCommand('missing-sweep', {}, () => undefined)).rejects.toThrow(/unknown sweep/);
  } finally {
    if (prev === undefined) delete process.env.TOA_HOME;
    else process.env.TOA_HOME = prev;
    await fsp.rm(home, { recursive: true, force: true });
  }
});

test('Hugging Face datasets loads every file and every card config (scripts/check_export.py)', async () => {
  const python = await pythonWithDatasets();
  const script = path.resolve(__dirname, '..', '..', 'scripts', 'check_export.py');
  const { stdout } = await run(python, [script, out, '--expect-parquet'], {
    timeout: 300_000,
    maxBuffer: 16 << 20,
    env: {
      ...process.env,
      HF_DATASETS_CACHE: path.join(fx.root, 'hf-cache'),
      HF_HUB_OFFLINE: '1',
      HF_DATASETS_DISABLE_PROGRESS_BARS: '1',
    },
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`check_export.py failed: ${err.stderr ?? ''}\n${err.stdout ?? ''}\n${err.message}`);
  });
  const last = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: boolean; files: number; parquet: number; configs: number };
  expect(last).toMatchObject({
    ok: true,
    files: summary.files.length,
    parquet: summary.files.length / 2,
    configs: summary.files.length / 2,
  });
}, 1_200_000);
