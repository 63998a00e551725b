/** The self-contained HTML report: inline SVG figures, tables, the tree view; no external URLs. */
import { escapeHtml } from './tree';
import type { AgentContribution, PathStats, PointStats } from './stats';

export interface HtmlFigure {
  name: string;
  title: string;
  svg: string;
}

export interface HtmlInput {
  title: string;
  overview: Array<[string, string]>;
  figures: HtmlFigure[];
  anytime?: HtmlFigure;
  points: PointStats[];
  agents: AgentContribution[];
  paths: PathStats[];
  topK: number;
  tree?: { caption: string; prompt: string; bestText: string; html: string };
  notes: string[];
}

const fmt = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–');

/** Compact number: 1.23e12 → "1.23T". */
export function si(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const units: Array<[number, string]> = [
    [1e15, 'P'],
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, u] of units) if (Math.abs(x) >= v) return `${+(x / v).toFixed(2)}${u}`;
  return `${+x.toFixed(1)}`;
}

/**
 * Makes an SVG safe to inline next to others: drops the namespace attributes (not needed inline
 * in HTML5) and prefixes ids so clip paths of one figure do not capture another's.
 */
export function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/\s+xmlns(:xlink)?="[^"]*"/g, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

const CSS = `
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:24px auto;max-width:1240px;color:#222;padding:0 16px;line-height:1.4}
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}
.figs{display:flex;flex-wrap:wrap;gap:12px}.fig{border:1px solid #eee;padding:4px}
.fig svg{max-width:100%;height:auto}
.overview td{text-align:left}
.tree,.tree ul{list-style:none;padding-left:18px;border-left:1px dotted #bbb;margin:2px 0}
.tree summary{cursor:pointer}.node{font-weight:600}.model{color:#0072B2}.response{color:#333}.root{color:#000}
.best{color:#D55E00}.on-path>details>summary .node,.on-path>.node{background:#fff1e0}
.stats{color:#666;font-size:12px}.preview{color:#555;font-size:12px;margin-left:14px;font-style:italic;max-width:900px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.idle{color:#999;font-size:12px}
pre{white-space:pre-wrap;background:#f8f8f8;padding:8px;border:1px solid #eee;font-size:12px;max-height:240px;overflow:auto}
.notes li{margin:4px 0}
`;

export function renderHtml(input: HtmlInput): string {
  const h: string[] = [];
  h.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${CSS}</style></head><body>`,
  );
  h.push(`<h1>${escapeHtml(input.title)}</h1>`);
  h.push(
    '<table class="overview">',
    ...input.overview.map(([k, v]) => `<tr><th class="l">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
  );

  h.push('<h2>Scaling curves</h2>', '<div class="figs">');
  input.figures.forEach((f, i) => h.push(`<div class="fig" id="fig-${escapeHtml(f.name)}">${inlineSvg(f.svg, `f${i}`)}</div>`));
  h.push('</div>');
  if (input.anytime) {
    h.push(
      '<h2>Anytime curves</h2>',
      `<div class="fig" id="fig-${escapeHtml(input.anytime.name)}">${inlineSvg(input.anytime.svg, 'fa')}</div>`,
    );
  }

  h.push('<h2>Per method and budget</h2>');
  h.push(
    '<table id="table-points"><tr><th class="l">method</th><th>budget</th><th>prompts</th><th>seeds</th>' +
      `<th>mean best reward</th><th>± std (seeds)</th><th>mean top-${input.topK}</th><th>generations</th><th>mean tokens</th><th>mean FLOPs</th><th>mean cost (USD)</th></tr>`,
  );
  for (const p of input.points) {
    h.push(
      `<tr data-method="${escapeHtml(p.method)}" data-budget="${p.budget}"><td class="l">${escapeHtml(p.method)}</td><td>${p.budget}</td><td>${p.prompts}</td><td>${p.seeds}</td>` +
        `<td class="best-mean">${fmt(p.best.mean)}</td><td>${fmt(p.best.std)}</td><td>${fmt(p.topK.mean)}</td><td>${fmt(p.generations, 1)}</td>` +
        `<td>${fmt(p.tokens, 0)}</td><td>${si(p.flops)}</td><td>${fmt(p.costUsd, 4)}</td></tr>`,
    );
  }
  h.push('</table>');

  h.push('<h2>Which agents produce the winners</h2>');
  h.push(
    '<p>Per method, over all budgets and seeds: the share of prompts whose best response each agent wrote, next to its share of all generations.</p>',
  );
  h.push(
    '<table id="table-agents"><tr><th class="l">method</th><th class="l">agent</th><th>winning responses</th><th>share of winners</th><th>share of generations</th><th>mean reward</th></tr>',
  );
  for (const a of input.agents) {
    h.push(
      `<tr><td class="l">${escapeHtml(a.method)}</td><td class="l">${escapeHtml(a.agent)}</td><td>${a.wins}</td><td>${pct(a.winShare)}</td><td>${pct(a.generationShare)}</td><td>${fmt(a.meanReward)}</td></tr>`,
    );
  }
  h.push('</table>');

  h.push('<h2>How the winners were made</h2>');
  h.push(
    "<p>Per method and budget: the share of best responses that are fresh answers, refinements or aggregations; refine depth = refinement steps behind the winner (0 = fresh); tree layer = the response layer of the winner in the TOA tree (1 = directly under the root's model nodes).</p>",
  );
  h.push(
    '<table id="table-paths"><tr><th class="l">method</th><th>budget</th><th>winners</th><th>fresh</th><th>refine</th><th>aggregate</th><th>mean refine depth</th><th>max</th><th>mean tree layer</th><th>max</th><th class="l">winners per refine depth (0, 1, 2, ...)</th></tr>',
  );
  for (const p of input.paths) {
    h.push(
      `<tr><td class="l">${escapeHtml(p.method)}</td><td>${p.budget}</td><td>${p.winners}</td><td>${pct(p.fresh)}</td><td>${pct(p.refine)}</td><td>${pct(p.aggregate)}</td>` +
        `<td>${fmt(p.meanRefineDepth, 2)}</td><td>${p.maxRefineDepth}</td><td>${fmt(p.meanTreeLayer, 2)}</td><td>${Number.isFinite(p.maxTreeLayer) ? p.maxTreeLayer : '–'}</td><td class="l">${p.depthHistogram.join(', ')}</td></tr>`,
    );
  }
  h.push('</table>');

  if (input.tree) {
    h.push('<h2>Tree view</h2>', `<p>${escapeHtml(input.tree.caption)}</p>`);
    h.push('<p><b>Prompt</b></p>', `<pre>${escapeHtml(input.tree.prompt)}</pre>`);
    h.push('<p><b>Best response</b></p>', `<pre>${escapeHtml(input.tree.bestText)}</pre>`);
    h.push(
      '<p>Model nodes show agent · action, visits and value (mean of backed-up normalised rewards); response nodes show id · agent · raw reward, normalised reward, visits, value and layer. ★ marks the best response; the path to it is open and highlighted.</p>',
    );
    h.push(`<div id="tree">${input.tree.html}</div>`);
  }

  h.push('<h2>Notes</h2>', '<ul class="notes">', ...input.notes.map((n) => `<li>${escapeHtml(n)}</li>`), '</ul>');
  h.push('</body></html>');
  return `${h.join('\n')}\n`;
}
