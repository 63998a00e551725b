import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  countDatasetItems,
  DatasetError,
  readDatasetPage,
  validateDataset,
  type DatasetItem,
  type DatasetPage,
  type DatasetReadSpec,
} from '../../src/dataset/jsonl';
import { tmpDir } from '../support/tmp';

const DATA = path.resolve(__dirname, '../../data');
const GSM8K: DatasetReadSpec = { path: path.join(DATA, 'gsm8k.test.1319.jsonl'), referenceField: 'gold_answer' };

async function readAll(spec: DatasetReadSpec, pageSize: number): Promise<{ items: DatasetItem[]; pages: DatasetPage[] }> {
  const items: DatasetItem[] = [];
  const pages: DatasetPage[] = [];
  let cursor: number | null = 0;
  while (cursor !== null) {
    const page: DatasetPage = await readDatasetPage(spec, { cursor, pageSize });
    pages.push(page);
    items.push(...page.items);
    cursor = page.nextCursor;
  }
  return { items, pages };
}

describe('real datasets', () => {
  it('pages through GSM8K: 1319 items, ids stringified, line numbers, references', async () => {
    const { items, pages } = await readAll(GSM8K, 100);
    expect(items).toHaveLength(1319);
    expect(pages).toHaveLength(14);
    expect(pages.slice(0, 13).every((p) => p.items.length === 100)).toBe(true);
    expect(items.map((i) => i.line)).toEqual(Array.from({ length: 1319 }, (_, i) => i + 1));
    expect(typeof items[0].id).toBe('string');
    expect(items[0].id).toBe('830');
    expect(new Set(items.map((i) => i.id)).size).toBe(1319);
    expect(items.every((i) => i.prompt.length > 0 && typeof i.reference === 'string')).toBe(true);
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  });

  it('cursors are byte offsets that resume where the previous page ended, also in a fresh process state', async () => {
    const first = await readDatasetPage(GSM8K, { cursor: 0, pageSize: 10 });
    const second = await readDatasetPage(GSM8K, { cursor: first.nextCursor!, pageSize: 10 });
    expect(second.items[0].line).toBe(11);
    // the cursor is the byte offset of line 11
    const text = await fsp.readFile(GSM8K.path);
    const offsetOfLine11 = text.subarray(0).toString('latin1').split('\n').slice(0, 10).join('\n').length + 1;
    expect(first.nextCursor).toBe(offsetOfLine11);
    // a page from a cursor this process never produced recounts the lines (another worker, a restart)
    let lineStart = 0;
    for (let i = 0; i < 536; i++) lineStart = text.indexOf(0x0a, lineStart) + 1;
    const page = await readDatasetPage(GSM8K, { cursor: lineStart, pageSize: 3 });
    expect(page.items.map((i) => i.line)).toEqual([537, 538, 539]);
    expect(page.scanned).toBe(3);
    const all = (await readAll(GSM8K, 1000)).items;
    expect(page.items).toEqual(all.slice(536, 539));
  });

  it('shards partition the selection', async () => {
    const all = (await readAll({ ...GSM8K, offset: 5, limit: 100 }, 1000)).items;
    expect(all).toHaveLength(100);
    expect(all[0].line).toBe(6);
    const shards = await Promise.all(
      [0, 1, 2].map((index) => readAll({ ...GSM8K, offset: 5, limit: 100, shard: { index, count: 3 } }, 7)),
    );
    expect(shards.map((s) => s.items.length)).toEqual([34, 33, 33]);
    const union = shards.flatMap((s) => s.items).sort((a, b) => a.line - b.line);
    expect(union).toEqual(all);
    expect(shards[1].items[0].line).toBe(7); // position 1 of the slice
    expect(await countDatasetItems({ ...GSM8K, shard: { index: 0, count: 4 } })).toBe(330);
  });

  it('limit ends the pages', async () => {
    const p = await readDatasetPage({ ...GSM8K, limit: 8 }, { cursor: 0, pageSize: 8 });
    expect(p.items).toHaveLength(8);
    expect(p.nextCursor).toBeNull();
    const q = await readDatasetPage({ ...GSM8K, limit: 8 }, { cursor: 0, pageSize: 5 });
    const r = await readDatasetPage({ ...GSM8K, limit: 8 }, { cursor: q.nextCursor!, pageSize: 5 });
    expect(r.items.map((i) => i.line)).toEqual([6, 7, 8]);
    expect(r.nextCursor).toBeNull();
  });

  it.each([
    ['gsm8k.test.1319.jsonl', 1319, 'gold_answer'],
    ['math500.test.jsonl', 500, 'gold_answer'],
    ['alpaca_eval.805.jsonl', 805, undefined],
    ['wmt22.de-en.200.jsonl', 200, 'en'],
    ['wmt22.cs-en.200.jsonl', 200, 'en'],
    ['wmt22.zh-en.200.jsonl', 200, 'en'],
  ])('%s validates with no problems', async (file, rows, referenceField) => {
    const spec: DatasetReadSpec = { path: path.join(DATA, file), referenceField };
    expect(await validateDataset(spec)).toEqual([]);
    expect(await countDatasetItems(spec)).toBe(rows);
  });
});

describe('problems', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tmpDir('toa-dataset-')));
  afterAll(() => cleanup());

  async function write(name: string, lines: string[]): Promise<string> {
    const file = path.join(dir, name);
    await fsp.writeFile(file, lines.join('\n') + '\n');
    return file;
  }

  const row = (id: unknown, instruction: unknown, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ id, instruction, ...extra });

  it('names file, line and field; broken lines keep their position', async () => {
    const file = await write('bad.jsonl', [
      row(1, 'one'), // 1
      '{"id": 2, "instruction": "two"', // 2: broken JSON
      row(3, ''), // 3: empty prompt
      JSON.stringify({ instruction: 'four' }), // 4: missing id
      row(5, 42), // 5: non-string prompt
      '', // 6: blank, skipped
      row(1, 'dup'), // 7: duplicate id
      '[1, 2]', // 8: not an object
      row(9, 'nine', { answer: '9' }), // 9
      row('', 'ten'), // 10: empty id
      row(11, 'eleven\r'), // 11
    ]);
    const page = await readDatasetPage({ path: file }, { cursor: 0, pageSize: 100 });
    expect(page.items.map((i) => [i.line, i.id])).toEqual([
      [1, '1'],
      [7, '1'],
      [9, '9'],
      [11, '11'],
    ]);
    expect(page.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 8, 10]);
    expect(page.problems[0].message).toMatch(/^bad\.jsonl:2: not valid JSON: /);
    expect(page.problems[1].message).toBe('bad.jsonl:3: field "instruction" is empty');
    expect(page.problems[2].message).toBe('bad.jsonl:4: field "id" is missing');
    expect(page.problems[3].message).toBe('bad.jsonl:5: field "instruction" must be a string, not number');
    expect(page.problems[4].message).toBe('bad.jsonl:8: a line must hold a JSON object, not array');
    expect(page.problems[5].message).toBe('bad.jsonl:10: field "id" is empty');

    const all = await validateDataset({ path: file });
    expect(all.map((p) => p.line)).toEqual([2, 3, 4, 5, 7, 8, 10]);
    expect(all[4].message).toBe('bad.jsonl:7: field "id": duplicate id "1" (first on line 1)');
  });

  it('finds duplicates across pages and a missing reference', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => row(i, `p${i}`, { ref: `r${i}` }));
    lines[40] = row(3, 'again', { ref: 'r' });
    lines[45] = row(45, 'no ref');
    const file = await write('dups.jsonl', lines);
    const spec = { path: file, referenceField: 'ref' };
    const { pages } = await readAll(spec, 10);
    expect(pages.flatMap((p) => p.problems)).toEqual([{ line: 46, message: 'dups.jsonl:46: field "ref" is missing' }]);
    expect(await validateDataset(spec)).toEqual([
      { line: 41, message: 'dups.jsonl:41: field "id": duplicate id "3" (first on line 4)' },
      { line: 46, message: 'dups.jsonl:46: field "ref" is missing' },
    ]);
  });

  it('pages through 100k lines reading each line once', async () => {
    const file = await write(
      'big.jsonl',
      Array.from({ length: 100_000 }, (_, i) => row(`id-${i}`, `prompt number ${i} ` + 'x'.repeat(i % 300))),
    );
    const started = Date.now();
    const { items, pages } = await readAll({ path: file }, 1000);
    expect(items).toHaveLength(100_000);
    expect(pages.reduce((n, p) => n + p.scanned, 0)).toBe(100_000);
    expect(items[99_999]).toMatchObject({ id: 'id-99999', line: 100_000 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await validateDataset({ path: file })).toEqual([]);
  });

  it('uses the configured field names', async () => {
    const file = await write('custom.jsonl', [
      JSON.stringify({ key: 'a', q: 'question', gold: 7 }),
      JSON.stringify({ key: 'b', q: '  ' }),
    ]);
    const page = await readDatasetPage(
      { path: file, idField: 'key', promptField: 'q', referenceField: 'gold' },
      { cursor: 0, pageSize: 10 },
    );
    expect(page.items).toEqual([{ id: 'a', prompt: 'question', reference: '7', line: 1 }]);
    expect(page.problems.map((p) => p.message)).toEqual([
      'custom.jsonl:2: field "q" is empty',
      'custom.jsonl:2: field "gold" is missing',
    ]);
  });

  it('a page holds at most pageSize entries, problems included, and a file without a final newline ends cleanly', async () => {
    const file = path.join(dir, 'nonl.jsonl');
    await fsp.writeFile(file, [row(1, 'a'), 'oops', row(3, 'c')].join('\n'));
    const p1 = await readDatasetPage({ path: file }, { cursor: 0, pageSize: 2 });
    expect([p1.items.length, p1.problems.length]).toEqual([1, 1]);
    const p2 = await readDatasetPage({ path: file }, { cursor: p1.nextCursor!, pageSize: 2 });
    expect(p2.items).toEqual([{ id: '3', prompt: 'c', line: 3 }]);
    expect(p2.nextCursor).toBeNull();
  });

  it('reports an unreadable file, a bad cursor and an empty selection', async () => {
    await expect(readDatasetPage({ path: path.join(dir, 'missing.jsonl') }, { cursor: 0, pageSize: 1 })).rejects.toThrow(
      DatasetError,
    );
    expect(await validateDataset({ path: path.join(dir, 'missing.jsonl') })).toEqual([
      { line: 0, message: expect.stringMatching(/^missing\.jsonl: cannot open .*ENOENT/) },
    ]);
    const file = await write('small.jsonl', [row(1, 'a'), row(2, 'b')]);
    await expect(readDatasetPage({ path: file }, { cursor: 3, pageSize: 1 })).rejects.toThrow(/not at the start of a line/);
    expect(await validateDataset({ path: file, offset: 5 })).toEqual([
      { line: 0, message: 'small.jsonl: the dataset selection is empty (offset 5)' },
    ]);
  });
});
