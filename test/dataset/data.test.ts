/**
 * The evaluation data shipped in data/: the table in data/README.md matches the files (names,
 * row counts, fields, unique ids), and the GSM8K gold answers agree with their own reference
 * solutions (two rows had lost their minus sign in the source).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const DATA = path.resolve(__dirname, '../../data');

interface TableRow {
  file: string;
  rows: number;
  fields: string[];
}

/** The file table of data/README.md: `| \`file\` | rows | field, field | ... |`. */
function readmeTable(): TableRow[] {
  const text = readFileSync(path.join(DATA, 'README.md'), 'utf8');
  const out: TableRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^\|\s*`([^`]+\.jsonl)`\s*\|\s*(\d+)\s*\|([^|]+)\|/.exec(line);
    if (m) out.push({ file: m[1]!, rows: Number(m[2]), fields: m[3]!.split(',').map((f) => f.trim()) });
  }
  return out;
}

function load(file: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(DATA, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`data/${file}:${i + 1}: not JSON (${(err as Error).message})`);
      }
    });
}

const TABLE = readmeTable();

describe('data/ and its README', () => {
  it('the README lists every JSONL file in data/ and nothing else', () => {
    const files = readdirSync(DATA)
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
    expect(TABLE.map((r) => r.file).sort()).toEqual(files);
    expect(files).toEqual([
      'alpaca_eval.805.jsonl',
      'gsm8k.test.1319.jsonl',
      'math500.test.jsonl',
      'wmt22.cs-en.200.jsonl',
      'wmt22.de-en.200.jsonl',
      'wmt22.zh-en.200.jsonl',
    ]);
  });

  it.each(TABLE.map((r) => [r.file, r] as const))('%s has the rows and fields the README states', (file, row) => {
    const rows = load(file);
    expect(rows).toHaveLength(row.rows);
    const problems: string[] = [];
    rows.forEach((r, i) => {
      const keys = Object.keys(r).sort();
      if (keys.join(',') !== [...row.fields].sort().join(','))
        problems.push(`data/${file}:${i + 1}: fields ${keys.join(', ')} (README: ${row.fields.join(', ')})`);
      if (typeof r.instruction !== 'string' || r.instruction.trim() === '')
        problems.push(`data/${file}:${i + 1}: empty instruction`);
    });
    expect(problems).toEqual([]);
    expect(new Set(rows.map((r) => String(r.id))).size).toBe(rows.length);
  });
});

describe('GSM8K gold answers', () => {
  const rows = load('gsm8k.test.1319.jsonl') as Array<{ id: number; gold_response: string; gold_answer: string }>;

  /** The last number of a solution, sign included, thousands separators removed. */
  const lastNumber = (text: string): string | undefined =>
    text
      .match(/-?\d[\d,]*(?:\.\d+)?/g)
      ?.pop()
      ?.replace(/,/g, '');

  it('every gold_answer equals the final number of its gold_response (the "#### N" line), sign included', () => {
    const wrong: string[] = [];
    for (const r of rows) {
      const hashes = /####\s*(\S+)\s*$/.exec(r.gold_response)?.[1]?.replace(/,/g, '');
      const last = lastNumber(r.gold_response);
      if (hashes !== r.gold_answer || last !== r.gold_answer)
        wrong.push(
          `id ${r.id}: gold_answer ${JSON.stringify(r.gold_answer)}, "####" ${JSON.stringify(hashes)}, last number ${JSON.stringify(last)}`,
        );
    }
    expect(wrong).toEqual([]);
  });

  it('the two rows that had lost their minus sign are negative', () => {
    const byId = new Map(rows.map((r) => [r.id, r.gold_answer]));
    expect(byId.get(1113)).toBe('-3');
    expect(byId.get(489)).toBe('-10');
  });
});
