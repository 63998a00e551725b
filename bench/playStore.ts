/**
 * What the store costs per play, and what a finished prompt leaves behind, for the layouts a play
 * can use (the store calls only: no model, no Temporal):
 *
 *   0.1-layout         text put in the global texts + generation memo + reward memo, all synced
 *                      (release 0.1 and main before prompt scopes);
 *   scope+synced-reward  one synced generation file in the prompt's scope (text + facts, linked
 *                      under its ref and its memo name) + a synced reward memo (the global claim);
 *   scope (this release) the same generation file + an unsynced reward memo in the scope;
 *   scope, no reward memo  the generation file only (what dropping the reward memo would save).
 *
 * Each prompt runs BUDGET plays one after another (the time of a play's store calls is what a
 * play waits for), then, for the scope layouts, is finished as the record writer does it (the
 * best text put in the global texts, the record linked as the pack, the scope removed). Counted
 * by wrapping node's fs calls: fsyncs, files created (open for writing, temp files included),
 * links, renames per play, the record's share included; files left per finished prompt.
 *
 *   npm run bench:store
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FsTextStore, writeRecordAtomic } from '../src/store';
import { log, loadNow, percentile, QUICK, round, tmpDir, writeResult } from './lib';

const PROMPTS = QUICK ? 5 : 20;
const BUDGET = 16;
const TEXT_CHARS = 2000;

type Layout = '0.1-layout' | 'scope+synced-reward' | 'scope (this release)' | 'scope, no reward memo';
const LAYOUTS: Layout[] = ['0.1-layout', 'scope+synced-reward', 'scope (this release)', 'scope, no reward memo'];

const counts = { fsync: 0, createdForWrite: 0, link: 0, rename: 0 };

/** Counts the fs calls the store makes (they all go through fs.promises and FileHandle). */
async function instrument(dir: string): Promise<void> {
  const fsp = fs.promises as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const wrap = (name: string, count: (...a: unknown[]) => void) => {
    const orig = fsp[name]!.bind(fs.promises);
    fsp[name] = (...a: unknown[]) => {
      count(...a);
      return orig(...a);
    };
  };
  wrap('link', () => void counts.link++);
  wrap('rename', () => void counts.rename++);
  wrap('open', (_f, flags) => void (typeof flags === 'string' && flags.includes('w') && counts.createdForWrite++));
  wrap('writeFile', (_f, _d, o) => void ((o as { flag?: string } | undefined)?.flag?.includes('w') !== false && counts.createdForWrite++));
  const probe = await fs.promises.open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { sync: (...a: unknown[]) => Promise<void> };
  await probe.close();
  const sync = proto.sync;
  proto.sync = function (this: unknown, ...a: unknown[]) {
    counts.fsync++;
    return sync.apply(this, a);
  };
}

function filesUnder(dir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (f.startsWith('.tmp')) continue;
    if (fs.statSync(path.join(dir, f)).isFile()) n++;
  }
  return n;
}

async function runLayout(layout: Layout, dir: string) {
  const root = path.join(dir, layout.replace(/[^a-z0-9]+/gi, '-'));
  const store = new FsTextStore(path.join(root, 'store'));
  const recordsDir = path.join(root, 'records');
  const before = { ...counts };
  const playMs: number[] = [];
  const finishMs: number[] = [];
  for (let p = 0; p < PROMPTS; p++) {
    const workflowId = `bench/toa/b${BUDGET}/s0/p${p}`;
    const scope = store.scope(workflowId);
    const responses = [];
    for (let i = 0; i < BUDGET; i++) {
      const text = `${layout} prompt ${p} play ${i}: ${'x'.repeat(TEXT_CHARS)}`;
      const facts = { promptTokens: 100, completionTokens: 500, latencyMs: 1000 };
      const gen = `generation/${workflowId}/r${i}/key`;
      const reward = `reward/${workflowId}/run-1/r${i}/key`;
      const t0 = performance.now();
      if (layout === '0.1-layout') {
        const ref = await store.put(text);
        await store.claim(gen, JSON.stringify({ ref, ...facts }));
        await store.claim(reward, JSON.stringify({ reward: 0.5 }));
      } else {
        await scope.claimEntry(gen, text, facts);
        if (layout === 'scope+synced-reward') await store.claim(reward, JSON.stringify({ reward: 0.5 }));
        if (layout === 'scope (this release)') await scope.claimValue(reward, JSON.stringify({ reward: 0.5 }));
      }
      playMs.push(performance.now() - t0);
      responses.push({ id: `r${i}`, text });
    }
    const t1 = performance.now();
    if (layout !== '0.1-layout') await store.put(responses[0]!.text); // the best response stays in the global texts
    const { path: recordFile } = await writeRecordAtomic(recordsDir, workflowId, { responses });
    if (layout !== '0.1-layout') {
      await scope.pack(recordFile);
      await scope.remove();
    }
    finishMs.push(performance.now() - t1);
  }
  const plays = PROMPTS * BUDGET;
  const per = (k: keyof typeof counts) => round((counts[k] - before[k]) / plays, 2);
  return {
    layout,
    perPlay: {
      fsyncs: per('fsync'),
      filesCreated: per('createdForWrite'),
      links: per('link'),
      renames: per('rename'),
      storeMsMean: round(playMs.reduce((a, b) => a + b, 0) / plays, 3),
      storeMsP50: round(percentile(playMs, 50), 3),
      storeMsP95: round(percentile(playMs, 95), 3),
    },
    // The record write (and for scopes the pack link and the removal), per prompt.
    finishMsMean: round(finishMs.reduce((a, b) => a + b, 0) / PROMPTS, 3),
    storeFilesLeftPerFinishedPrompt: round(filesUnder(path.join(root, 'store')) / PROMPTS, 2),
  };
}

async function main(): Promise<void> {
  const load = loadNow();
  const dir = tmpDir('play-store-');
  try {
    await instrument(dir);
    const results = [];
    for (const layout of LAYOUTS) {
      const r = await runLayout(layout, dir);
      log(JSON.stringify(r));
      results.push(r);
    }
    writeResult(
      'play-store',
      {
        parameters: { prompts: PROMPTS, budget: BUDGET, textChars: TEXT_CHARS, fileSystem: 'ext4 on /dev/vda (bench/results/tmp)' },
        results,
        notes: [
          'Store calls only, one play at a time: the time is what a play waits for on the disk.',
          'fsyncs, files created, links and renames are counted by wrapping node fs calls; files created include temp files.',
          'storeFilesLeftPerFinishedPrompt: files under the store root once every prompt is finished (records are in their own folder).',
          '0.1-layout leaves 3 files per play; the scope layouts leave the best text and the pack (a hard link to the record: no extra inode); scope+synced-reward also its global reward memos.',
        ],
      },
      load,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
