import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  FsTextStore,
  StoreError,
  decodeRecordName,
  encodeRecordName,
  openStore,
  readRecord,
  readRecords,
  recordPath,
  recordSubfolder,
  writeRecordAtomic,
} from '../../src/store';
import { FOREIGN_ORPHAN_AGE_MS, tempPathIn } from '../../src/store/tempFiles';
import { tmpDir } from '../support/tmp';

let tmp: ReturnType<typeof tmpDir>;
beforeEach(() => {
  tmp = tmpDir();
});
afterEach(() => tmp.cleanup());

const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}

describe('fs text store', () => {
  test('put returns the sha256 of the UTF-8 text and lays it out as texts/ab/<sha>.txt', async () => {
    const store = new FsTextStore(path.join(tmp.dir, 's'));
    const text = 'héllo wörld ✓\n';
    const key = await store.put(text);
    expect(key).toBe(sha(text));
    const file = path.join(tmp.dir, 's', 'texts', key.slice(0, 2), `${key}.txt`);
    expect(await fsp.readFile(file, 'utf8')).toBe(text);
    expect(await store.get(key)).toBe(text);
    expect(await store.has(key)).toBe(true);
    expect(await store.put('')).toBe(sha(''));
    expect(await store.get(sha(''))).toBe('');
  });

  test('put is idempotent: the existing file is not rewritten, and concurrent puts agree', async () => {
    const store = new FsTextStore(path.join(tmp.dir, 's'));
    const key = await store.put('same');
    const file = store.pathOf(key);
    const before = statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.put('same')).toBe(key);
    expect(statSync(file).mtimeMs).toBe(before);
    const keys = await Promise.all(Array.from({ length: 20 }, () => store.put('concurrent text')));
    expect(new Set(keys).size).toBe(1);
    // no temp files left behind
    expect(allFiles(path.join(tmp.dir, 's')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('get of a missing key names the path; bad keys and damaged files are reported', async () => {
    const store = new FsTextStore(path.join(tmp.dir, 's'));
    const missing = sha('never stored');
    await expect(store.get(missing)).rejects.toMatchObject({ code: 'missing', path: store.pathOf(missing) });
    await expect(store.get(missing)).rejects.toThrow(store.pathOf(missing));
    await expect(store.get('../etc/passwd')).rejects.toMatchObject({ code: 'bad-key' });
    const key = await store.put('original');
    writeFileSync(store.pathOf(key), 'tampered');
    // This process keeps what it wrote; another one (a fresh instance) reads the damaged file.
    await expect(store.get(key)).resolves.toBe('original');
    const err = await new FsTextStore(path.join(tmp.dir, 's')).get(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('corrupt');
    expect((err as StoreError).message).toContain(store.pathOf(key));
  });

  test('openStore caches one instance per root and rejects unknown kinds', () => {
    const a = openStore({ kind: 'fs', root: path.join(tmp.dir, 'x') });
    const b = openStore({ kind: 'fs', root: path.join(tmp.dir, 'x', '.') });
    expect(a).toBe(b);
    expect(openStore({ kind: 'fs', root: path.join(tmp.dir, 'y') })).not.toBe(a);
    expect(() => openStore({ kind: 's3', root: '/' } as never)).toThrow(/only "fs"/);
  });
});

describe('records', () => {
  test('one file per workflow ID, reversible names, read back', async () => {
    const dir = path.join(tmp.dir, 'records');
    const ids = ['sweep-1/toa/160/p1', 'weird id: ü/ä*?<>|"\\', '.hidden', '..', 'a%2Fb'];
    for (const [i, id] of ids.entries()) {
      const r = await writeRecordAtomic(dir, id, { i, id });
      expect(r.written).toBe(true);
      expect(path.dirname(path.dirname(r.path))).toBe(dir);
      expect(path.basename(r.path).startsWith('.')).toBe(false);
      expect(decodeRecordName(path.basename(r.path, '.json'))).toBe(id);
    }
    const all = await readRecords<{ i: number; id: string }>(dir);
    expect(all.map((r) => r.workflowId).sort()).toEqual([...ids].sort());
    for (const r of all) expect(r.record.id).toBe(r.workflowId);
    expect((await readRecord(dir, 'a%2Fb'))?.record).toEqual({ i: 4, id: 'a%2Fb' });
    expect(await readRecord(dir, 'absent')).toBeUndefined();
    expect(encodeRecordName('a/b')).not.toBe(encodeRecordName('a%2Fb'));
  });

  test('idempotent: same content is a no-op, different content replaces atomically', async () => {
    const dir = path.join(tmp.dir, 'records');
    const first = await writeRecordAtomic(dir, 'wf', { best: 1 });
    const mtime = statSync(first.path).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const again = await writeRecordAtomic(dir, 'wf', { best: 1 });
    expect(again).toEqual({ path: first.path, written: false });
    expect(statSync(first.path).mtimeMs).toBe(mtime);
    const changed = await writeRecordAtomic(dir, 'wf', { best: 2 });
    expect(changed.written).toBe(true);
    expect((await readRecord(dir, 'wf'))?.record).toEqual({ best: 2 });
    // concurrent writers of different content: one wins, the file is always whole
    await Promise.all(Array.from({ length: 10 }, (_, i) => writeRecordAtomic(dir, 'race', { i, pad: 'x'.repeat(10000) })));
    const race = await readRecord<{ i: number }>(dir, 'race');
    expect(race?.record.i).toBeGreaterThanOrEqual(0);
    expect(readdirSync(path.join(dir, '.tmp'))).toEqual([]);
  });

  test('long IDs get a shortened name and still read back', async () => {
    const dir = path.join(tmp.dir, 'records');
    const id = `sweep/${'p'.repeat(400)}/${'ü'.repeat(50)}`;
    const r = await writeRecordAtomic(dir, id, { ok: true });
    expect(Buffer.byteLength(path.basename(r.path))).toBeLessThan(255);
    expect(recordPath(dir, id)).toBe(r.path);
    expect((await readRecord(dir, id))?.workflowId).toBe(id);
    expect(recordPath(dir, `${id}x`)).not.toBe(r.path);
  });

  test('records sit in 256 subfolders (first 2 hex of the sha256 of the workflow ID), never all in one folder', async () => {
    const dir = path.join(tmp.dir, 'records');
    const ids = Array.from({ length: 40 }, (_, i) => `sw/toa/b4/s0/q${i}`);
    for (const id of ids) {
      const r = await writeRecordAtomic(dir, id, { id });
      expect(path.relative(dir, r.path)).toBe(path.join(sha(id).slice(0, 2), `${encodeRecordName(id)}.json`));
      expect(recordPath(dir, id)).toBe(r.path);
    }
    const top = readdirSync(dir).filter((n) => !n.startsWith('.'));
    expect(top.every((n) => /^[0-9a-f]{2}$/.test(n) && statSync(path.join(dir, n)).isDirectory())).toBe(true);
    expect(top.length).toBeGreaterThan(20);
    expect((await readRecords(dir)).map((r) => r.workflowId).sort()).toEqual([...ids].sort());
  });

  test('records of the flat layout (earlier releases) are read, listed once, and moved aside when written again', async () => {
    const dir = path.join(tmp.dir, 'records');
    await fsp.mkdir(dir, { recursive: true });
    const flat = (id: string) => path.join(dir, `${encodeRecordName(id)}.json`);
    writeFileSync(flat('sw/a/Old'), JSON.stringify({ workflowId: 'sw/a/Old', record: { v: 1 } }));
    writeFileSync(flat('sw/a/kept'), JSON.stringify({ workflowId: 'sw/a/kept', record: { v: 1 } }));
    await writeRecordAtomic(dir, 'sw/a/new', { v: 1 });
    expect((await readRecord<{ v: number }>(dir, 'sw/a/Old'))?.record.v).toBe(1);
    expect((await readRecords(dir)).map((r) => r.workflowId).sort()).toEqual(['sw/a/Old', 'sw/a/kept', 'sw/a/new']);
    const moved = await writeRecordAtomic(dir, 'sw/a/Old', { v: 2 });
    expect(moved.path).toBe(recordPath(dir, 'sw/a/Old'));
    expect(existsSync(flat('sw/a/Old'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, '.superseded', readdirSync(path.join(dir, '.superseded'))[0]!), 'utf8')).record).toEqual({ v: 1 });
    expect((await readRecord<{ v: number }>(dir, 'sw/a/Old'))?.record.v).toBe(2);
    // A writer killed between the sharded write and moving the flat file aside: still one record per ID.
    writeFileSync(flat('sw/a/new'), JSON.stringify({ workflowId: 'sw/a/new', record: { v: 0 } }));
    const all = await readRecords<{ v: number }>(dir);
    expect(all.map((r) => [r.workflowId, r.record.v]).sort()).toEqual([
      ['sw/a/Old', 2],
      ['sw/a/kept', 1],
      ['sw/a/new', 1],
    ]);
  });

  test('missing folder has no records; a damaged file is reported by path', async () => {
    expect(await readRecords(path.join(tmp.dir, 'nope'))).toEqual([]);
    const dir = path.join(tmp.dir, 'records');
    await writeRecordAtomic(dir, 'ok', 1);
    writeFileSync(path.join(dir, 'bad.json'), '{not json');
    await expect(readRecords(dir)).rejects.toThrow(path.join(dir, 'bad.json'));
    await expect(writeRecordAtomic(dir, '', {})).rejects.toThrow(/non-empty/);
  });
});

/** Temp files as other writers would leave them in `folder`: one per case. */
function plantTemps(folder: string): { deadHere: string; aliveHere: string; oldForeign: string; freshForeign: string } {
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  const ours = tempPathIn(folder, 'x.json');
  const withPid = (pid: number): string => ours.replace(`.${process.pid}.`, `.${pid}.`);
  const t = {
    deadHere: withPid(dead), // a writer on this host that was killed mid-write
    aliveHere: withPid(process.ppid), // a writer on this host still running
    oldForeign: path.join(folder, 'y.json.0badc0de.7.0123456789ab.tmp'), // another host, long ago
    freshForeign: path.join(folder, 'z.json.0badc0de.7.0123456789ab.tmp'), // another host, now
  };
  for (const f of Object.values(t)) writeFileSync(f, 'partial');
  const old = (Date.now() - FOREIGN_ORPHAN_AGE_MS - 60000) / 1000;
  utimesSync(t.oldForeign, old, old);
  return t;
}

function remaining(folder: string): string[] {
  return readdirSync(folder)
    .map((n) => path.join(folder, n))
    .sort();
}

describe('temp files of a killed writer', () => {
  test('records: temp files live in records/.tmp; the next write removes orphans, not live writes', async () => {
    const dir = path.join(tmp.dir, 'records');
    await writeRecordAtomic(dir, 'first', 1);
    expect(readdirSync(dir).sort()).toEqual(['.tmp', recordSubfolder('first')]);
    expect(readdirSync(path.join(dir, recordSubfolder('first')))).toEqual(['first.json']);
    const t = plantTemps(path.join(dir, '.tmp'));
    await writeRecordAtomic(dir, 'second', 2);
    expect(remaining(path.join(dir, '.tmp'))).toEqual([t.aliveHere, t.freshForeign].sort());
    expect((await readRecords(dir)).map((r) => r.workflowId).sort()).toEqual(['first', 'second']);
  });

  test('store: a new process removes orphans from <root>/.tmp on its first write', async () => {
    const root = path.join(tmp.dir, 's');
    await new FsTextStore(root).put('before');
    const t = plantTemps(path.join(root, '.tmp'));
    await new FsTextStore(root).claim('memo', 'value');
    expect(remaining(path.join(root, '.tmp'))).toEqual([t.aliveHere, t.freshForeign].sort());
  });
});

describe('write-once memos', () => {
  test('claim stores the first value; later claims return it unchanged; recall reads it', async () => {
    const store = new FsTextStore(path.join(tmp.dir, 's'));
    expect(await store.recall('generation/wf/r1/k')).toBeUndefined();
    expect(await store.claim('generation/wf/r1/k', '{"a":1}')).toBe('{"a":1}');
    expect(await store.claim('generation/wf/r1/k', '{"a":2}')).toBe('{"a":1}');
    expect(await store.recall('generation/wf/r1/k')).toBe('{"a":1}');
    expect(await store.recall('generation/wf/r2/k')).toBeUndefined();
    // Named by the sha256 of the name, beside the texts; no temp files left behind.
    const files = allFiles(path.join(tmp.dir, 's')).map((f) => path.relative(path.join(tmp.dir, 's'), f));
    const k = sha('generation/wf/r1/k');
    expect(files).toEqual([path.join('memos', k.slice(0, 2), `${k}.json`)]);
  });

  test('concurrent claims: exactly one value wins and every caller gets it', async () => {
    const store = new FsTextStore(path.join(tmp.dir, 's'));
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const got = await Promise.all(values.map((v) => store.claim('race', v)));
    expect(new Set(got).size).toBe(1);
    expect(values).toContain(got[0]);
    expect(await store.recall('race')).toBe(got[0]);
  });

  test('an empty name is refused', async () => {
    const store = new FsTextStore(path.join(tmp.dir, 's'));
    await expect(store.claim('', 'x')).rejects.toMatchObject({ code: 'bad-key' });
  });
});
