/**
 * The shortened demo, end to end, as a user runs it: real processes (the CLI, the embedded
 * Temporal server it starts), the real SmolLM2 weights behind the local OpenAI-compatible
 * endpoint, the real chrF reward on real WMT22 sentences.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { freePort } from '../../src/testing/common';

const ROOT = path.resolve(__dirname, '..', '..');

test('npm run demo (2 prompts, budget 2) produces real records from a real model', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'toa-demo-'));
  const env = {
    ...process.env,
    TOA_HOME: home,
    TOA_TEMPORAL_PORT: String(await freePort()),
    TOA_TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_ADDRESS: '',
  };
  try {
    const run = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'bin', 'toa.js'),
        'demo',
        '--prompts',
        '2',
        '--budgets',
        '2',
        '--threads',
        '2',
        '--output',
        path.join(home, 'runs'),
      ],
      {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    const output = `${run.stdout}\n${run.stderr}`;
    if (run.status !== 0) throw new Error(`demo failed (exit ${run.status}):\n${output.slice(-3000)}`);
    // The summary table: one row per method at budget 2, two prompts each.
    for (const method of ['toa', 'random', 'ensemble'])
      expect(run.stdout).toMatch(new RegExp(`^${method}\\s+2\\s+2\\s+[0-9.]+`, 'm'));
    expect(run.stdout).toMatch(/generations 12, tokens \d+/);
    // Training data and the report come out of the same run.
    const exportDir = run.stdout.match(/^export:\s+(\S+)/m)![1];
    const exported = readdirSync(exportDir);
    expect(exported).toEqual(expect.arrayContaining(['README.md', 'sft.toa.b2.s0.jsonl', 'sft.toa.b2.s0.parquet']));
    const sft = readFileSync(path.join(exportDir, 'sft.toa.b2.s0.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(sft).toHaveLength(2);
    expect(sft[0].messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    const reportHtml = run.stdout.match(/^report:\s+(\S+)/m)![1];
    expect(readFileSync(reportHtml, 'utf8')).toMatch(/<svg/);
    const recordsDir = run.stdout.match(/^records:\s+(\S+)/m)![1];
    const files = (readdirSync(recordsDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
    expect(files).toHaveLength(6);
    for (const f of files) {
      const { record } = JSON.parse(readFileSync(path.join(recordsDir, f), 'utf8'));
      expect(record.result.responses).toHaveLength(2);
      expect(record.bestText.trim().length).toBeGreaterThan(0);
      // chrF against the reference translation: a real, graded score.
      expect(record.result.bestReward).toBeGreaterThan(0);
      expect(record.compute.completionTokens).toBeGreaterThan(0);
    }
  } finally {
    spawnSync(process.execPath, [path.join(ROOT, 'bin', 'toa.js'), 'server-stop'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    rmSync(home, { recursive: true, force: true });
  }
}, 360_000);
