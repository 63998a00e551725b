/**
 * The dataset card (README.md) written next to the exported files: a Hugging Face dataset card
 * whose YAML header lists one config per exported table (`configs: [{config_name, data_files}]`),
 * so `load_dataset(<folder or repo>, "<config>")` finds each file, followed by how the data was
 * produced: sweep, agents, reward backend, methods, budgets, seeds, counts, the DPO rule and the
 * sweep config itself. The sweep file holds no secrets (only names of environment variables);
 * user:password parts of URLs are masked anyway.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { ExportedFile, ExportOptions, ExportSummary } from './exportSweep';
import type { SweepData } from './load';
import { COLUMNS, EXPORT_FORMATS, type ExportFormat } from './rows';
import { typeText } from './schema';

const FORMAT_TITLES: Record<ExportFormat, string> = {
  sft: 'SFT (TRL conversational: `messages`)',
  dpo: 'Preference / DPO (TRL conversational: `prompt`, `chosen`, `rejected`)',
  responses: 'All scored responses',
  trees: 'TOA search trees',
};

/** Config name of a table: `sft-toa-b160-s0`, or `sft` for an unsplit export. */
export function configName(f: Pick<ExportedFile, 'format' | 'combination'>): string {
  const c = f.combination;
  return c ? `${f.format}-${c.method}-b${c.budget}-s${c.seed}` : f.format;
}

/** Masks user:password@ in URL strings, recursively. */
export function redactUrls(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/i, '$1***@');
  if (Array.isArray(value)) return value.map(redactUrls);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUrls(v)]));
  return value;
}

export function datasetCard(
  summary: ExportSummary,
  data: SweepData,
  opts: Pick<ExportOptions, 'method' | 'budget' | 'seed' | 'recordsDir'>,
): string {
  // One config per table; it points at the Parquet file when there is one (JSONL sits alongside).
  const tables = new Map<string, ExportedFile>();
  for (const f of summary.files) {
    const name = configName(f);
    const prev = tables.get(name);
    if (!prev || f.fileType === 'parquet') tables.set(name, f);
  }
  const defaultName = defaultConfig([...tables.values()], data);
  const configs = [...tables.entries()].map(([name, f]) => ({
    config_name: name,
    ...(name === defaultName ? { default: true } : {}),
    data_files: [{ split: 'train', path: f.name }],
  }));
  const header = {
    pretty_name: `${data.sweep?.config.name ?? 'toa-temporal'} synthetic data`,
    language: ['en'],
    task_categories: ['text-generation'],
    tags: ['synthetic', 'toa', 'multi-agent-sampling', 'dpo', 'sft', 'trl'],
    size_categories: [sizeCategory(Math.max(summary.sft.rows, summary.dpo.rows, summary.trees.rows, summary.records))],
    configs,
  };

  const sweep = data.sweep;
  const { tally } = data;
  const methods = tally.methods;
  const budgets = [...tally.budgets].sort((a, b) => a - b);
  const seeds = [...tally.seeds].sort((a, b) => a - b);
  const lines: string[] = [];
  lines.push('---', stringify(header).trimEnd(), '---', '');
  lines.push(`# ${header.pretty_name}`, '');
  lines.push(
    'Synthetic training data produced by [toa-temporal](https://arxiv.org/abs/2412.17061): several language models ("agents") answer each prompt, a reward model scores every response, and a search method (TOA, the tree-search-based orchestration of agents, or a baseline) decides who generates next and which earlier response it builds on. Each prompt was run as a durable Temporal workflow that wrote one record; this folder was exported from those records by `toa export`.',
    '',
  );
  lines.push('## Summary', '');
  lines.push(`| | |`, `| --- | --- |`);
  if (sweep) lines.push(`| sweep | \`${sweep.config.name}\` (config hash \`${sweep.contentHash.slice(0, 12)}\`) |`);
  lines.push(`| prompts (per run) | ${tally.prompts} |`);
  lines.push(`| prompt records | ${summary.records} |`);
  lines.push(`| methods | ${[...methods.keys()].map((m) => `\`${m}\``).join(', ')} |`);
  lines.push(`| budgets (generations per prompt) | ${budgets.join(', ')} |`);
  lines.push(`| seeds | ${seeds.join(', ')} |`);
  if (sweep) {
    lines.push(
      `| agents | ${sweep.config.agents.map((a) => `\`${a.name}\` (${a.model}, ${fmtParams(a.parameters)})`).join(', ')} |`,
    );
    lines.push(`| reward | ${rewardText(sweep.config.reward)} |`);
  } else {
    const agents = [...tally.agents].sort();
    lines.push(`| agents | ${agents.map((a) => `\`${a}\``).join(', ')} |`);
    lines.push(`| reward | (sweep file not given: see the sweep's configuration) |`);
  }
  const filters = [
    opts.method !== undefined && `method = ${opts.method}`,
    opts.budget !== undefined && `budget = ${opts.budget}`,
    opts.seed !== undefined && `seed = ${opts.seed}`,
  ].filter(Boolean);
  if (filters.length) lines.push(`| filter | ${filters.join(', ')} |`);
  lines.push('');

  lines.push('## Files', '');
  lines.push('| config | file | rows |', '| --- | --- | --- |');
  for (const f of summary.files) lines.push(`| \`${configName(f)}\` | [${f.name}](${f.name}) | ${f.rows} |`);
  lines.push('');
  lines.push(
    'Each (method, budget, seed) run is its own file, named `<format>.<method>.b<budget>.s<seed>.<jsonl|parquet>`, unless the export was made with one file per format. JSONL and Parquet files of the same table hold the same rows and the same nested columns; the `configs` above point at the Parquet file when both exist.',
    '',
    '```python',
    'from datasets import load_dataset',
    `ds = load_dataset("json", data_files="${summary.files.find((f) => f.fileType === 'jsonl')?.name ?? summary.files[0]?.name ?? 'sft.jsonl'}", split="train")`,
    '```',
    '',
  );

  lines.push('## How the rows are built', '');
  lines.push(
    '- **SFT**: one row per prompt and run: the user message is the dataset prompt, the assistant message is the highest-reward response (argmax raw reward, the earliest on ties). Loads directly in TRL `SFTTrainer` (conversational format).',
    `- **DPO**: responses ranked by raw reward (ties by generation order). \`chosen\` = rank 1, \`rejected\` = rank ${summary.rejectedRank} (as the paper, which used 30). When a prompt has fewer than ${summary.rejectedRank} responses, \`rejected\` is the lowest-ranked one (\`rejected_rank\` tells which rank was used; ${summary.dpo.fallbackToLast} rows). Prompts with a single response (${summary.dpo.skipped['single-response']}) or whose chosen and rejected rewards tie (${summary.dpo.skipped.tie}) are skipped. Loads directly in TRL \`DPOTrainer\` (conversational preference format, with \`score_chosen\` / \`score_rejected\`).`,
    '- **responses**: every scored response with its agent, kind (fresh / refine / aggregate), inputs (parent ids), order, raw and normalised reward, rank, token counts and text.',
    '- **trees**: one row per TOA prompt: the search tree (root, model and response nodes with visits, backed-up rewards and values; [parent, child] edges).',
    '',
    'The user message is the raw dataset prompt (any `templates.instruction` wrapper used at generation time is not applied here).',
    '',
  );

  lines.push('## Columns', '');
  for (const format of EXPORT_FORMATS) {
    if (!summary.files.some((f) => f.format === format)) continue;
    lines.push(`### ${FORMAT_TITLES[format]}`, '', '| column | type | description |', '| --- | --- | --- |');
    for (const c of COLUMNS[format]) lines.push(`| \`${c.name}\` | \`${typeText(c.type)}\` | ${c.description} |`);
    lines.push('');
  }

  lines.push('## Methods', '');
  lines.push('```yaml', stringify(redactUrls(Object.fromEntries(methods))).trimEnd(), '```', '');
  if (sweep) {
    lines.push('## Sweep configuration', '');
    lines.push(
      'The sweep file as loaded (defaults filled in). API keys are never in it: agents name the environment variable holding theirs.',
      '',
    );
    lines.push('```yaml', stringify(redactUrls(sweep.config)).trimEnd(), '```', '');
  }
  lines.push('## Provenance', '');
  lines.push(
    `Exported by \`toa export\` (toa-temporal) from ${summary.records} records on ${new Date().toISOString().slice(0, 10)}.`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

export async function writeDatasetCard(summary: ExportSummary, data: SweepData, opts: ExportOptions): Promise<void> {
  await fsp.writeFile(path.join(summary.outDir, 'README.md'), datasetCard(summary, data, opts));
}

/** The default config: SFT of TOA (else the first method) at the largest budget, lowest seed. */
function defaultConfig(files: ExportedFile[], data: SweepData): string | undefined {
  const toa = data.tally.toaMethods;
  const rank = (f: ExportedFile): number[] => [
    EXPORT_FORMATS.indexOf(f.format),
    f.combination && toa.has(f.combination.method) ? 0 : 1,
    -(f.combination?.budget ?? 0),
    f.combination?.seed ?? 0,
  ];
  const sorted = [...files].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
    return 0;
  });
  return sorted[0] ? configName(sorted[0]) : undefined;
}

function sizeCategory(n: number): string {
  if (n < 1000) return 'n<1K';
  if (n < 10_000) return '1K<n<10K';
  if (n < 100_000) return '10K<n<100K';
  if (n < 1_000_000) return '100K<n<1M';
  return '1M<n<10M';
}

function fmtParams(p: number): string {
  return p >= 1e9 ? `${+(p / 1e9).toFixed(1)}B params` : `${+(p / 1e6).toFixed(0)}M params`;
}

function rewardText(r: unknown): string {
  const x = r as {
    type: string;
    model?: string;
    url?: string;
    api?: string;
    components?: Array<{ weight: number; reward: unknown }>;
  };
  switch (x.type) {
    case 'vllm-reward':
      return `vLLM reward model \`${x.model}\` (${x.api ?? 'pooling'})`;
    case 'llm-judge':
      return `LLM judge \`${x.model}\``;
    case 'http':
      return `HTTP reward service`;
    case 'math-answer':
      return 'math answer check (1 = correct final answer)';
    case 'chrf':
      return 'chrF against the reference';
    case 'weighted':
      return `weighted: ${(x.components ?? []).map((c) => `${c.weight} × ${rewardText(c.reward)}`).join(' + ')}`;
    default:
      return `\`${x.type}\``;
  }
}
