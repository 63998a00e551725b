/**
 * The sweep's paging activity on real files (issue 11, items 7 and 8): which existing records
 * are reused (their digests must match), a dataset changed under a running sweep, invalid
 * UTF-8, read errors worth a retry (injected at the file-system boundary), damaged records,
 * and record names that would collide on a case-insensitive file system.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { allowListFor, createMainQueueActivities } from '../../src/activities';
import { jobDigests, planDigestsOf } from '../../src/activities/digests';
import type { DatasetPageInput } from '../../src/activities/types';
import { datasetSchema, methodSchema, type RewardSpec } from '../../src/config/schema';
import type { PromptRecord } from '../../src/common/records';
import type { ReusePolicy } from '../../src/common/reuse';
import { datasetFingerprint, readDatasetPage, validateDataset, type DatasetFs } from '../../src/dataset/jsonl';
import { encodeRecordName, readRecord, recordPath, textKey, writeRecordAtomic } from '../../src/store';
import { fakeAgent } from '../support/agents';
import { expectFailure } from '../support/failures';
import { tmpDir, tmpStoreSpec } from '../support/tmp';

let tmp: ReturnType<typeof tmpDir>;
beforeEach(() => (tmp = tmpDir('toa-page-')));
afterEach(() => tmp.cleanup());

const agents = [fakeAgent('http://127.0.0.1:1/v1', { name: 'a1' }), fakeAgent('http://127.0.0.1:1/v1', { name: 'a2', model: 'fake-b' })];
const reward: RewardSpec = { type: 'http', url: 'http://127.0.0.1:1/score', timeoutSeconds: 5 };
const methods = [methodSchema.parse({ type: 'toa' })];
const KEY = 'toa/b4/s0';

function dataset(lines: Array<string | Buffer>): string {
  const file = path.join(tmp.dir, 'data.jsonl');
  writeFileSync(file, Buffer.concat(lines.map((l) => Buffer.concat([typeof l === 'string' ? Buffer.from(l) : l, Buffer.from('\n')]))));
  return file;
}

const row = (id: string, instruction: string) => JSON.stringify({ id, instruction });

function input(file: string, over: Partial<DatasetPageInput> = {}): DatasetPageInput {
  return {
    dataset: datasetSchema.parse({ path: file }),
    store: tmpStoreSpec(tmp.dir),
    cursor: 0,
    pageSize: 10,
    recordsDir: path.join(tmp.dir, 'records'),
    jobPrefix: 'sw',
    jobKeys: [KEY],
    ...over,
  };
}

function policy(over: Partial<ReusePolicy> = {}, rewardSpec: RewardSpec = reward): ReusePolicy {
  return { digests: planDigestsOf({ methods, agents, reward: rewardSpec, templates: {} }), rerunChanged: false, reuseUnverified: false, ...over };
}

/** A record as the writer leaves it (what the page reads: header, digests, best reward, compute). */
function record(promptId: string, prompt: string, digests?: PromptRecord['digests']): PromptRecord {
  return {
    workflowId: `sw/${KEY}/${promptId}`,
    sweepId: 'sw',
    promptId,
    method: 'toa',
    methodSpec: methods[0]!,
    budget: 4,
    seed: 0,
    searchSeed: 1,
    promptRef: textKey(prompt),
    ...(digests ? { digests } : {}),
    result: { method: 'toa', bestId: 'r1', bestReward: 0.5, responses: [{ id: 'r1', agent: 'a1', kind: 'fresh', inputs: [], reward: 0.5, ref: 'x', preview: '', latencyMs: 1 }] },
    compute: { generations: 1, promptTokens: 1, completionTokens: 1, flops: 0, costUsd: 0, byAgent: {} },
    bestText: 'b',
  } as unknown as PromptRecord;
}

// The tests' files live under the temp folder the worker's allow-list grants.
const allow = () => allowListFor({ write: [tmp.dir], source: 'dataset page test' });
const loadDatasetPage = (input: Parameters<ReturnType<typeof createMainQueueActivities>['loadDatasetPage']>[0]) =>
  createMainQueueActivities({ allow: allow() }).loadDatasetPage(input);

describe('reuse needs matching digests', () => {
  test('a record with the same digests is reused; one produced with another reward is not reused silently', async () => {
    const file = dataset([row('p1', 'one'), row('p2', 'two')]);
    const dir = path.join(tmp.dir, 'records');
    const now = policy();
    await writeRecordAtomic(dir, `sw/${KEY}/p1`, record('p1', 'one', jobDigests(now.digests.toa!, textKey('one'))));
    const other = policy({}, { ...reward, url: 'http://127.0.0.1:2/score' });
    await writeRecordAtomic(dir, `sw/${KEY}/p2`, record('p2', 'two', jobDigests(other.digests.toa!, textKey('two'))));

    const f = await expectFailure(loadDatasetPage(input(file, { reuse: now })));
    expect(f.type).toBe('ConfigError');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain(`${recordPath(dir, `sw/${KEY}/p2`)} (reward changed)`);
    expect(f.message).toContain('--rerun-changed');

    // With --rerun-changed: p1 is reused, p2 runs again (its workflow may have completed before).
    const page = await loadDatasetPage(input(file, { reuse: policy({ rerunChanged: true }) }));
    expect(Object.keys(page.items[0]!.finished!)).toEqual([KEY]);
    expect(page.items[0]!.rerun).toBeUndefined();
    expect(page.items[1]!.finished).toEqual({});
    expect(page.items[1]!.rerun).toEqual([KEY]);
  });

  test('an edited prompt text is a change too; records without digests are reused only when asked', async () => {
    const file = dataset([row('p1', 'one, edited'), row('p2', 'two')]);
    const dir = path.join(tmp.dir, 'records');
    const now = policy();
    await writeRecordAtomic(dir, `sw/${KEY}/p1`, record('p1', 'one', jobDigests(now.digests.toa!, textKey('one'))));
    await writeRecordAtomic(dir, `sw/${KEY}/p2`, record('p2', 'two')); // release 0.1: no digests
    const f = await expectFailure(loadDatasetPage(input(file, { reuse: now })));
    expect(f.message).toMatch(/2 record\(s\) of this page .*p1\.json \(prompt changed\); .*p2\.json \(no digests: written by an earlier release\)/);
    const page = await loadDatasetPage(input(file, { reuse: policy({ reuseUnverified: true, rerunChanged: true }) }));
    expect(page.items.map((i) => [Object.keys(i.finished!), i.rerun])).toEqual([
      [[], [KEY]],
      [[KEY], undefined],
    ]);
  });
});

describe('page totals (what the sweep asks for)', () => {
  test('reused jobs are summed, jobs to run are listed by index, a --rerun-changed job is both pending and marked rerun', async () => {
    const file = dataset([row('p1', 'one'), row('p2', 'two'), row('p3', 'three')]);
    const dir = path.join(tmp.dir, 'records');
    const now = policy({ rerunChanged: true });
    await writeRecordAtomic(dir, `sw/${KEY}/p1`, record('p1', 'one', jobDigests(now.digests.toa!, textKey('one'))));
    const other = policy({}, { ...reward, url: 'http://127.0.0.1:2/score' });
    await writeRecordAtomic(dir, `sw/${KEY}/p2`, record('p2', 'two', jobDigests(other.digests.toa!, textKey('two'))));
    const page = await loadDatasetPage(input(file, { reuse: now, report: 'totals' }));
    expect(page.items.map((i) => [i.promptId, i.pending, i.rerun, i.finished])).toEqual([
      ['p1', [], undefined, undefined],
      ['p2', [0], [KEY], undefined],
      ['p3', [0], undefined, undefined],
    ]);
    expect(page.reused).toMatchObject({ count: 1, cells: [{ method: 'toa', budget: 4, count: 1, sumBest: 0.5, maxBest: 0.5 }] });
  });
});

describe('the dataset under a running sweep', () => {
  test('a dataset edited after the sweep started fails the page, non-retryable, naming the file', async () => {
    const file = dataset([row('p1', 'one'), row('p2', 'two')]);
    const fingerprint = await datasetFingerprint(file);
    // Touched but not edited: the same content, the sweep goes on.
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await expect(loadDatasetPage(input(file, { datasetFingerprint: fingerprint }))).resolves.toBeDefined();
    dataset([row('p1', 'one'), row('p2', 'two, edited')]);
    const f = await expectFailure(loadDatasetPage(input(file, { datasetFingerprint: fingerprint, cursor: 0 })));
    expect(f.type).toBe('DatasetError');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain(`dataset ${file} changed since the sweep started`);
  });
});

describe('bad input', () => {
  test('invalid UTF-8 in a line is a problem naming file and line, not U+FFFD', async () => {
    const file = dataset([row('p1', 'one'), Buffer.concat([Buffer.from('{"id": "p2", "instruction": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]), row('p3', 'three')]);
    const page = await readDatasetPage({ path: file }, { cursor: 0, pageSize: 10 });
    expect(page.items.map((i) => i.id)).toEqual(['p1', 'p3']);
    expect(page.problems).toEqual([{ line: 2, message: 'data.jsonl:2: not valid UTF-8 (first bad byte at column 33): save the file as UTF-8' }]);
    expect(await validateDataset({ path: file })).toEqual(page.problems);
  });

  /** The real file system, except that the chosen call fails with the given errno code. */
  function faultyFs(where: 'open' | 'read', code: string): DatasetFs {
    const err = () => Object.assign(new Error(`${code}: simulated ${where} failure`), { code });
    return {
      async open(file) {
        if (where === 'open') throw err();
        const fh = await fsp.open(file, 'r');
        return {
          stat: () => fh.stat(),
          close: () => fh.close(),
          read: () => Promise.reject(err()),
        };
      },
    };
  }

  test.each([
    ['read', 'EIO'],
    ['open', 'EMFILE'],
  ] as const)('a dataset %s failing with %s is a retryable DatasetIO naming the file', async (where, code) => {
    const file = dataset([row('p1', 'one')]);
    const acts = createMainQueueActivities({ allow: allow(), datasetFs: faultyFs(where, code) });
    const f = await expectFailure(acts.loadDatasetPage(input(file)));
    expect(f.type).toBe('DatasetIO');
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain(file);
    expect(f.message).toContain(code);
  });

  test('a real EIO (Linux: reading /proc/self/mem at offset 0) is a retryable DatasetIO, not a DatasetError', async () => {
    const acts = createMainQueueActivities({ allow: allowListFor({ read: ['/proc/self/mem'], write: [tmp.dir], source: 'EIO test' }) });
    const f = await expectFailure(acts.loadDatasetPage(input('/proc/self/mem')));
    expect(f.type).toBe('DatasetIO');
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toMatch(/^dataset \/proc\/self\/mem: EIO/);
  });

  test('a missing dataset is a non-retryable DatasetError', async () => {
    const f = await expectFailure(loadDatasetPage(input(path.join(tmp.dir, 'nope.jsonl'))));
    expect(f.type).toBe('DatasetError');
    expect(f.nonRetryable).toBe(true);
  });

  test('a damaged record file does not fail the sweep: the job runs again, with a warning naming the file', async () => {
    const file = dataset([row('p1', 'one'), row('p2', 'two')]);
    const dir = path.join(tmp.dir, 'records');
    await writeRecordAtomic(dir, `sw/${KEY}/p1`, record('p1', 'one'));
    mkdirSync(path.dirname(recordPath(dir, `sw/${KEY}/p2`)), { recursive: true });
    writeFileSync(recordPath(dir, `sw/${KEY}/p2`), '{"workflowId": "sw/toa/b4/s0/p2", "rec');
    const page = await loadDatasetPage(input(file));
    expect(Object.keys(page.items[0]!.finished!)).toEqual([KEY]);
    expect(page.items[1]!.rerun).toEqual([KEY]);
    expect(page.problems).toEqual([
      { line: 2, message: expect.stringContaining(`record ${recordPath(dir, `sw/${KEY}/p2`)} is not valid JSON`) },
    ]);
  });
});

describe('record names on a case-insensitive file system', () => {
  test('IDs that differ only in case get names that differ also when case is ignored', async () => {
    const dir = path.join(tmp.dir, 'records');
    const ids = ['sw/toa/b4/s0/A1', 'sw/toa/b4/s0/a1', 'sw/TOA/b4/s0/a1', 'sw/toa/b4/s0/%41'];
    for (const id of ids) await writeRecordAtomic(dir, id, { id });
    const names = (readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.endsWith('.json')).map((n) => path.basename(n));
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(ids.length);
    expect(encodeRecordName('x/A1').toLowerCase()).not.toBe(encodeRecordName('x/a1').toLowerCase());
    for (const id of ids) expect((await readRecord<{ id: string }>(dir, id))?.record.id).toBe(id);
  });

  test("readRecord checks the stored workflow ID: another ID's record under a colliding name is not reused", async () => {
    const dir = path.join(tmp.dir, 'records');
    await writeRecordAtomic(dir, 'sw/toa/b4/s0/a1', { id: 'a1' });
    // What a case-insensitive file system does with the 0.1 names: "...A1.json" opens "...a1.json".
    copyFileSync(recordPath(dir, 'sw/toa/b4/s0/a1'), path.join(dir, `${encodeURIComponent('sw/toa/b4/s0/A1')}.json`));
    expect(await readRecord(dir, 'sw/toa/b4/s0/A1')).toBeUndefined();
    expect((await readRecord<{ id: string }>(dir, 'sw/toa/b4/s0/a1'))?.record.id).toBe('a1');
  });

  test('a record written under its 0.1 name is still found, and moved aside when the job is written again', async () => {
    const dir = path.join(tmp.dir, 'records');
    await fsp.mkdir(dir, { recursive: true });
    const legacy = path.join(dir, `${encodeURIComponent('sw/toa/b4/s0/Q1')}.json`);
    writeFileSync(legacy, JSON.stringify({ workflowId: 'sw/toa/b4/s0/Q1', record: { v: 1 } }));
    expect((await readRecord<{ v: number }>(dir, 'sw/toa/b4/s0/Q1'))?.record.v).toBe(1);
    await writeRecordAtomic(dir, 'sw/toa/b4/s0/Q1', { v: 2 });
    expect(existsSync(legacy)).toBe(false);
    expect((await readRecord<{ v: number }>(dir, 'sw/toa/b4/s0/Q1'))?.record.v).toBe(2);
    const kept = readdirSync(path.join(dir, '.superseded'));
    expect(kept).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(dir, '.superseded', kept[0]!), 'utf8')).record).toEqual({ v: 1 });
  });
});
