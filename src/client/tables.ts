/** Plain-text summary tables for the terminal. */
import type { SweepProgress } from '../workflows/sweepState';
import type { PromptSummary } from '../common/records';

export function sweepTable(p: SweepProgress): string {
  const rows = [...p.cells].sort((a, b) => a.method.localeCompare(b.method) || a.budget - b.budget);
  const lines = ['method       budget  prompts  mean best  max best'];
  for (const c of rows) {
    const mean = c.done > 0 ? (c.sumBest / c.done).toFixed(4) : '-';
    lines.push(`${c.method.padEnd(12)} ${String(c.budget).padStart(6)}  ${String(c.done).padStart(7)}  ${mean.padStart(9)}  ${(c.maxBest ?? NaN).toFixed(4).padStart(8)}`);
  }
  if (p.failed > 0) {
    lines.push('', `${p.failed} failed prompts (\`toa sweep retry ${p.sweepId}\` re-runs them):`);
    for (const f of p.recentFailures.slice(-5)) lines.push(`  ${f.workflowId}: ${f.error.type}: ${f.error.message}`);
  }
  if (p.datasetProblemCount > 0) {
    lines.push('', `${p.datasetProblemCount} dataset lines skipped:`);
    for (const d of p.datasetProblems.slice(0, 5)) lines.push(`  ${d.message}`);
  }
  return lines.join('\n');
}

export function printSweepTable(p: SweepProgress, out: NodeJS.WritableStream = process.stdout): void {
  out.write(`${sweepTable(p)}\n`);
}

/** Methods side by side at equal budget: reward and the compute each one spent. */
export function computeTable(rows: PromptSummary[]): string {
  const lines = ['method       budget  best reward  generations  prompt tok  completion tok        FLOPs'];
  for (const r of rows) {
    const c = r.compute;
    lines.push(
      `${r.method.padEnd(12)} ${String(r.budget).padStart(6)}  ${r.bestReward.toFixed(4).padStart(11)}  ${String(c.generations).padStart(11)}  ` +
        `${String(c.promptTokens).padStart(10)}  ${String(c.completionTokens).padStart(14)}  ${c.flops.toExponential(2).padStart(11)}`,
    );
  }
  return lines.join('\n');
}
