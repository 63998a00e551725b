/**
 * Records with failed plays (onPlayFailure: continue, issue 11 item 5) through `toa export` and
 * `toa report`: failed plays have no text and no reward, so they are in no SFT, DPO or responses
 * row; the trees keep them on their model nodes; anytime curves that start after generation 1
 * (the first plays failed) are drawn. Records are made by the real strategies, written as prompt
 * workflows write them.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportSweep } from '../../src/export';
import { buildReport } from '../../src/report';
import { createStrategy, type Action, type Outcome } from '../../src/search';
import { runSearch } from '../../src/search/driver';
import { openStore, writeRecordAtomic } from '../../src/store';
import { computeOf } from '../../src/common/compute';
import { methodLabelOf } from '../../src/search/methods';
import type { MethodSpec } from '../../src/config/schema';
import type { PromptRecord, RecordedFailedPlay } from '../../src/common/records';

const AGENTS = ['a1', 'a2', 'a3'];
/** Failed plays per method: TOA loses its second play, the ensemble its first two (its curve starts at 3). */
const CASES: Array<{ method: MethodSpec; fail: string[] }> = [
  { method: { type: 'toa', alpha: 0.01, tau: 0.1, width: 2, parallelPlays: 1 }, fail: ['r1'] },
  { method: { type: 'ensemble' }, fail: ['r0', 'r1'] },
];

let root: string;
let recordsDir: string;
let storeRoot: string;
const records: PromptRecord[] = [];

async function readJsonl(file: string): Promise<Array<Record<string, unknown>>> {
  return (await fsp.readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'toa-failed-plays-'));
  recordsDir = path.join(root, 'records');
  storeRoot = path.join(root, 'store');
  const store = openStore({ kind: 'fs', root: storeRoot });
  for (const promptId of ['p1', 'p2']) {
    const promptRef = await store.put(`prompt ${promptId}`);
    for (const { method, fail } of CASES) {
      const label = methodLabelOf(method);
      const refs = new Map<string, string>();
      const play = async (a: Action): Promise<Outcome> => {
        if (fail.includes(a.id)) return { actionId: a.id, failed: { type: 'BadRequest', message: `HTTP 400 (${a.id})` } };
        refs.set(a.id, await store.put(`${label} ${promptId} ${a.id} by ${a.agent}`));
        return {
          actionId: a.id,
          reward: (Number(a.id.slice(1)) * 7 + promptId.length) % 5,
          promptTokens: 10,
          completionTokens: 20,
        };
      };
      const { result } = await runSearch(createStrategy(method, { agents: AGENTS, budget: 6, seed: 0 }), play);
      const { failedPlays, ...scored } = result;
      const failed: RecordedFailedPlay[] = (failedPlays ?? []).map((f) => ({ ...f, promptTokens: 0, completionTokens: 0 }));
      const responses = scored.responses.map((r) => ({ ...r, ref: refs.get(r.id)!, preview: 'p', latencyMs: 5 }));
      const rec: PromptRecord = {
        workflowId: `failing/${label}/b6/s0/${promptId}`,
        sweepId: 'failing',
        promptId,
        method: label,
        methodSpec: method,
        budget: 6,
        seed: 0,
        searchSeed: 0,
        promptRef,
        result: { ...scored, responses, failedPlays: failed },
        compute: computeOf(
          responses,
          AGENTS.map((name) => ({
            name,
            baseURL: 'http://127.0.0.1:9/v1',
            model: name,
            sampling: { temperature: 0.7, topP: 1, maxTokens: 64 },
            parameters: 1e9,
            maxConcurrency: 1,
            timeoutSeconds: 10,
          })),
        ),
        bestText: await store.get(refs.get(scored.bestId)!),
      };
      await writeRecordAtomic(recordsDir, rec.workflowId, rec);
      records.push(rec);
    }
  }
});
afterAll(() => fsp.rm(root, { recursive: true, force: true }));

test('the records do carry failed plays (what the tests below are about)', () => {
  expect(records.map((r) => r.result.failedPlays!.map((f) => f.id))).toEqual([['r1'], ['r0', 'r1'], ['r1'], ['r0', 'r1']]);
  expect(records.filter((r) => r.method === 'ensemble').map((r) => r.result.anytime![0]!.generations)).toEqual([3, 3]);
});

test('export: failed plays are in no SFT, DPO or responses row; trees keep them on their model nodes (JSONL and Parquet)', async () => {
  const out = path.join(root, 'export');
  const summary = await exportSweep({
    recordsDir,
    storeRoot,
    outDir: out,
    formats: ['sft', 'dpo', 'responses', 'trees'],
    fileTypes: ['jsonl', 'parquet'],
  });
  expect(summary.records).toBe(4);
  const responses = await readJsonl(path.join(out, 'responses.ensemble.b6.s0.jsonl'));
  expect(responses).toHaveLength(2 * 4);
  expect(responses.map((r) => r.response_id)).not.toContain('r0');
  expect(responses.map((r) => r.response_id)).not.toContain('r1');
  expect(responses.every((r) => typeof r.text === 'string' && typeof r.reward === 'number')).toBe(true);
  for (const row of await readJsonl(path.join(out, 'sft.toa.b6.s0.jsonl'))) expect(row.response_id).not.toBe('r1');
  for (const row of await readJsonl(path.join(out, 'dpo.ensemble.b6.s0.jsonl'))) {
    expect(['r0', 'r1']).not.toContain(row.chosen_id);
    expect(['r0', 'r1']).not.toContain(row.rejected_id);
    expect(row.num_responses).toBe(4);
  }
  const trees = await readJsonl(path.join(out, 'trees.toa.b6.s0.jsonl'));
  const nodes = (trees[0]!.tree as { nodes: Array<{ id: string; failedPlays: string[] }> }).nodes;
  expect(nodes.filter((n) => n.failedPlays.length > 0).map((n) => n.failedPlays)).toEqual([['r1']]);
  expect(nodes.every((n) => Array.isArray(n.failedPlays))).toBe(true);
  expect((await fsp.stat(path.join(out, 'trees.toa.b6.s0.parquet'))).size).toBeGreaterThan(0);
});

test('report: builds from records with failed plays; the anytime curve starts at the first reward', async () => {
  const report = await buildReport({ recordsDir, storeRoot, outDir: path.join(root, 'report') });
  const ensemble = report.anytime.find((a) => a.method === 'ensemble')!;
  expect(ensemble.points.map((p) => p.generations)).toEqual([3, 4, 5, 6]);
  expect(ensemble.points.every((p) => Number.isFinite(p.best.mean))).toBe(true);
  expect(report.runs.map((r) => r.method).sort()).toEqual(['ensemble', 'toa']);
});
