import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rememberSweep } from '../../src/client/sweepIndex';
import { buildReport, refineDepth, runReportCommand, spread, topKMean, type ReportSummary } from '../../src/report';
import type { PromptRecord } from '../../src/common/records';
import { AGENTS, BUDGETS, makeFixture, PROMPTS, removeFixture, SEEDS, type Fixture } from '../export/fixtures';

let fx: Fixture;
let out: string;
let report: ReportSummary;
let html: string;

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const group = (method: string, budget: number): PromptRecord[] =>
  fx.records.filter((r) => r.method === method && r.budget === budget);

beforeAll(async () => {
  fx = await makeFixture();
  out = path.join(fx.root, 'report');
  report = await buildReport({ recordsDir: fx.recordsDir, storeRoot: fx.storeRoot, sweepFile: fx.sweepFile, outDir: out });
  html = await fsp.readFile(report.html, 'utf8');
});
afterAll(() => removeFixture(fx));

const FIGURES = [
  'best_vs_generations',
  'best_vs_tokens',
  'best_vs_flops',
  'top5_vs_generations',
  'top5_vs_tokens',
  'top5_vs_flops',
  'anytime',
];

test('writes SVG and PNG for every figure, summary.json and report.html', async () => {
  expect(report.figures.map((f) => f.name)).toEqual(FIGURES);
  for (const name of FIGURES) {
    const svg = await fsp.readFile(path.join(out, `${name}.svg`), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    const png = await fsp.readFile(path.join(out, `${name}.png`));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBeGreaterThan(1000); // 2× zoom of a ~800 px wide figure
    expect(height).toBeGreaterThan(600);
  }
  const summary = JSON.parse(await fsp.readFile(path.join(out, 'summary.json'), 'utf8')) as {
    points: unknown[];
    figures: unknown[];
  };
  expect(summary.points).toHaveLength(4);
  expect(summary.figures).toHaveLength(FIGURES.length);
});

test('figures carry the expected series, titles and axis labels', async () => {
  for (const f of report.figures) {
    expect(f.svg).toContain('>toa</text>');
    expect(f.svg).toContain('>ensemble</text>');
  }
  const g = report.figures.find((f) => f.name === 'best_vs_generations')!.svg;
  expect(g).toContain('Best reward vs. generations');
  expect(g).toContain('Generations per prompt, log scale');
  expect(report.figures.find((f) => f.name === 'top5_vs_flops')!.svg).toContain('FLOPs per prompt');
  expect(report.figures.find((f) => f.name === 'top5_vs_tokens')!.svg).toContain('Mean top-5 reward');
  expect(report.figures.find((f) => f.name === 'anytime')!.svg).toContain('Anytime best-so-far');
});

test('table numbers: mean best / top-5 / tokens / FLOPs per method × budget from the fixture', () => {
  expect(report.points.map((p) => `${p.method}/${p.budget}`)).toEqual(['ensemble/8', 'ensemble/40', 'toa/8', 'toa/40']);
  for (const p of report.points) {
    const rs = group(p.method, p.budget);
    expect(p.prompts).toBe(PROMPTS.length);
    expect(p.seeds).toBe(SEEDS.length);
    expect(p.best.mean).toBeCloseTo(mean(rs.map((r) => r.result.bestReward)), 10);
    const bySeed = SEEDS.map((s) => mean(rs.filter((r) => r.seed === s).map((r) => r.result.bestReward)));
    expect(p.best.min).toBeCloseTo(Math.min(...bySeed), 10);
    expect(p.best.max).toBeCloseTo(Math.max(...bySeed), 10);
    const top5 = (r: PromptRecord): number =>
      mean(
        [...r.result.responses]
          .map((x) => x.reward)
          .sort((a, b) => b - a)
          .slice(0, 5),
      );
    expect(p.topK.mean).toBeCloseTo(mean(rs.map(top5)), 10);
    expect(p.generations).toBe(p.budget);
    expect(p.tokens).toBeCloseTo(mean(rs.map((r) => r.compute.promptTokens + r.compute.completionTokens)), 6);
    expect(p.flops).toBeCloseTo(mean(rs.map((r) => r.compute.flops)), -3);
    // the HTML table shows the same number
    const row = new RegExp(
      `<tr data-method="${p.method}" data-budget="${p.budget}">.*?<td class="best-mean">([0-9.]+)</td>`,
    ).exec(html);
    expect(row?.[1]).toBe(mean(rs.map((r) => r.result.bestReward)).toFixed(4));
  }
  // TOA beats the ensemble in this fixture (refinements improve on parents)
  expect(report.points.find((p) => p.method === 'toa' && p.budget === 40)!.best.mean).toBeGreaterThan(
    report.points.find((p) => p.method === 'ensemble' && p.budget === 40)!.best.mean,
  );
});

test('anytime curves only for methods that record them, from the largest budget', () => {
  expect(report.anytime.map((a) => [a.method, a.budget])).toEqual([['ensemble', Math.max(...BUDGETS)]]);
  const pts = report.anytime[0]!.points;
  expect(pts[pts.length - 1]!.generations).toBe(Math.max(...BUDGETS));
  // the last anytime point is the final best of those runs
  expect(pts[pts.length - 1]!.best.mean).toBeCloseTo(
    report.points.find((p) => p.method === 'ensemble' && p.budget === 40)!.best.mean,
    10,
  );
  for (let i = 1; i < pts.length; i++) expect(pts[i]!.best.mean).toBeGreaterThanOrEqual(pts[i - 1]!.best.mean - 1e-12);
});

test('agent contributions and TOA path statistics', () => {
  for (const method of ['toa', 'ensemble']) {
    const rows = report.agents.filter((a) => a.method === method);
    expect(rows.map((a) => a.agent).sort()).toEqual(AGENTS.map((a) => a.name).sort());
    const recs = fx.records.filter((r) => r.method === method);
    expect(rows.reduce((a, r) => a + r.wins, 0)).toBe(recs.length);
    for (const a of rows) {
      const wins = recs.filter((r) => r.result.responses.find((x) => x.id === r.result.bestId)!.agent === a.agent).length;
      expect(a.wins).toBe(wins);
    }
    expect(rows.reduce((a, r) => a + r.generationShare, 0)).toBeCloseTo(1, 10);
  }
  for (const p of report.paths) {
    const rs = group(p.method, p.budget);
    const bests = rs.map((r) => r.result.responses.find((x) => x.id === r.result.bestId)!);
    expect(p.winners).toBe(rs.length);
    expect(p.refine).toBeCloseTo(bests.filter((b) => b.kind === 'refine').length / rs.length, 10);
    expect(p.depthHistogram.reduce((a, b) => a + b, 0)).toBe(rs.length);
    if (p.method === 'ensemble') {
      expect(p.fresh).toBe(1);
      expect(Number.isNaN(p.meanTreeLayer)).toBe(true);
    } else {
      expect(p.meanTreeLayer).toBeGreaterThanOrEqual(1);
    }
  }
  expect(html).toContain('id="table-agents"');
  expect(html).toContain('id="table-paths"');
});

test('HTML is self-contained: inline SVGs, no external URLs or scripts, tree view of the first prompt', () => {
  expect(html).not.toMatch(/https?:\/\//);
  expect(html).not.toMatch(/<script|<link|<img/);
  expect((html.match(/<svg/g) ?? []).length).toBe(FIGURES.length);
  // ids are prefixed per figure, so no two figures share a clip-path id
  const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
  expect(new Set(ids).size).toBe(ids.length);
  expect(report.tree).toEqual({ workflowId: 'fixture-sweep/toa/b40/s0/p1', promptId: 'p1', method: 'toa', budget: 40, seed: 0 });
  const rec = fx.records.find((r) => r.workflowId === report.tree!.workflowId)!;
  expect(html).toContain(`★ ${rec.result.bestId} · `);
  expect(html).toContain('root (prompt)');
  expect(html).toContain(PROMPTS[0]!.text);
});

test('tree of a chosen prompt; unknown prompt is an error naming the ones available', async () => {
  const dir = path.join(fx.root, 'report-p3');
  const r = await buildReport({
    recordsDir: fx.recordsDir,
    storeRoot: fx.storeRoot,
    outDir: dir,
    treePromptId: 'p3',
    png: false,
  });
  expect(r.tree).toMatchObject({ promptId: 'p3', method: 'toa', budget: 40, seed: 0 });
  expect(r.figures.every((f) => f.png === undefined)).toBe(true);
  expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.png'))).toEqual([]);
  await expect(
    buildReport({ recordsDir: fx.recordsDir, storeRoot: fx.storeRoot, outDir: dir, treePromptId: 'zzz' }),
  ).rejects.toThrow(/no TOA tree for prompt "zzz" \(prompts with trees: p1, p2, p3, p4\)/);
});

test('runReportCommand finds the sweep and prints where files went', async () => {
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
    const s = await runReportCommand('fixture-sweep', { tree: 'p2', png: false }, (l) => lines.push(l));
    expect(s.outDir).toBe(path.join(fx.root, 'runs', 'fixture-sweep', 'report'));
    expect(lines.join('\n')).toContain(path.join(s.outDir, 'report.html'));
    expect(lines.join('\n')).toContain('tree view: prompt p2 (toa, budget 40, seed 0)');
  } finally {
    if (prev === undefined) delete process.env.TOA_HOME;
    else process.env.TOA_HOME = prev;
    await fsp.rm(home, { recursive: true, force: true });
  }
});

test('stats helpers', () => {
  expect(spread([1, 2, 3])).toEqual({ mean: 2, std: 1, min: 1, max: 3, n: 3 });
  expect(spread([5])).toMatchObject({ mean: 5, std: 0 });
  const rs = [0.1, 0.9, 0.5, 0.3, 0.7, 0.2].map((reward, order) => ({ reward, order }));
  expect(topKMean(rs, 5)).toBeCloseTo((0.9 + 0.7 + 0.5 + 0.3 + 0.2) / 5, 12);
  expect(topKMean(rs.slice(0, 2), 5)).toBeCloseTo(0.5, 12);
  const chain = [
    { id: 'r0', kind: 'fresh', inputs: [] },
    { id: 'r1', kind: 'refine', inputs: ['r0'] },
    { id: 'r2', kind: 'refine', inputs: ['r1'] },
  ] as unknown as PromptRecord['result']['responses'];
  expect(refineDepth(chain, 'r2')).toBe(2);
  expect(refineDepth(chain, 'r0')).toBe(0);
});
