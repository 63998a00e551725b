/**
 * Vega-Lite specs of the report's figures (plain data, rendered by vega in a worker: see
 * ../export/esm.ts) and the SVG → PNG step (@resvg/resvg-js, a native Rust SVG renderer with
 * prebuilt binaries: no browser, no canvas, no system libraries).
 */
import type { AnytimeStats, PointStats } from './stats';

/** Okabe–Ito: distinguishable with colour-vision deficiencies, readable on white. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

export type XAxis = 'generations' | 'tokens' | 'flops';
export type Metric = 'best' | 'topK';

export const X_TITLES: Record<XAxis, string> = {
  generations: 'Generations per prompt',
  tokens: 'Tokens per prompt (prompt + completion)',
  flops: 'FLOPs per prompt (2 × params × tokens)',
};

export function metricTitle(metric: Metric, k: number): string {
  return metric === 'best' ? 'Best reward' : `Mean top-${k} reward`;
}

const config = {
  font: FONT,
  background: 'white',
  padding: 12,
  title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e6e6e6', titlePadding: 8 },
  legend: { labelFontSize: 12, titleFontSize: 12, symbolSize: 140, symbolOpacity: 1, symbolStrokeWidth: 2, labelLimit: 220 },
  view: { stroke: '#bbb' },
};

function colorScale(methods: string[]): object {
  return { domain: methods, range: methods.map((_, i) => PALETTE[i % PALETTE.length]) };
}

/** One metric against one compute axis: a line per method (mean over seeds), a min–max band. */
export function scalingSpec(points: PointStats[], metric: Metric, x: XAxis, methods: string[], k: number): object {
  const values = points.map((p) => ({
    method: p.method,
    budget: p.budget,
    x: p[x],
    mean: p[metric].mean,
    lo: p[metric].min,
    hi: p[metric].max,
  }));
  const seeds = Math.max(0, ...points.map((p) => p.seeds));
  return {
    width: 520,
    height: 300,
    title: {
      text: `${metricTitle(metric, k)} vs. ${x === 'flops' ? 'FLOPs' : x}`,
      subtitle: `mean over prompts; line: mean over ${seeds} seed${seeds === 1 ? '' : 's'}${seeds > 1 ? ', band: min–max over seeds' : ''}; one point per budget`,
    },
    data: { values },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        scale: { type: 'log', nice: false, padding: 12 },
        axis: { format: '~s', tickCount: 6 },
        title: `${X_TITLES[x]}, log scale`,
      },
      color: { field: 'method', type: 'nominal', scale: colorScale(methods), legend: { title: 'Method', orient: 'right' } },
    },
    layer: [
      {
        mark: { type: 'area', opacity: 0.18, interpolate: 'linear' },
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        mark: { type: 'line', strokeWidth: 2.2, point: { filled: true, size: 55 } },
        encoding: {
          y: {
            field: 'mean',
            type: 'quantitative',
            scale: { zero: false, padding: 8 },
            title: metricTitle(metric, k),
            axis: { format: '.3~f' },
          },
        },
      },
    ],
    config,
  };
}

/** Best-so-far after g generations for methods with anytime curves; every method's budget points overlaid. */
export function anytimeSpec(curves: AnytimeStats[], points: PointStats[], methods: string[]): object {
  const line = curves.flatMap((c) =>
    c.points.map((p) => ({ method: c.method, g: p.generations, mean: p.best.mean, lo: p.best.min, hi: p.best.max })),
  );
  const dots = points.map((p) => ({ method: p.method, g: p.generations, mean: p.best.mean, series: 'final best at a budget' }));
  return {
    width: 520,
    height: 300,
    title: {
      text: 'Anytime best-so-far vs. generations',
      subtitle: [
        `mean over prompts; lines: best after g generations of ${curves.map((c) => `${c.method} (budget ${c.budget})`).join(', ')}`,
        "band: min–max over seeds; dots: each method's final best at its budgets",
      ],
    },
    encoding: {
      x: {
        field: 'g',
        type: 'quantitative',
        scale: { type: 'log', nice: false, padding: 12 },
        axis: { format: '~s', tickCount: 6 },
        title: 'Generations per prompt, log scale',
      },
      color: { field: 'method', type: 'nominal', scale: colorScale(methods), legend: { title: 'Method', orient: 'right' } },
    },
    layer: [
      {
        data: { values: line },
        mark: { type: 'area', opacity: 0.15 },
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: line },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          y: {
            field: 'mean',
            type: 'quantitative',
            scale: { zero: false, padding: 8 },
            title: 'Best reward so far',
            axis: { format: '.3~f' },
          },
        },
      },
      {
        data: { values: dots },
        mark: { type: 'point', filled: true, size: 80, stroke: 'white', strokeWidth: 1 },
        encoding: {
          y: { field: 'mean', type: 'quantitative' },
          shape: { field: 'series', type: 'nominal', legend: { title: null } },
        },
      },
    ],
    config,
  };
}

/** SVG → PNG at `scale` × the SVG's size (2 = crisp on high-DPI screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  // Loaded lazily: a native addon, only needed when a PNG is written.
  const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}
