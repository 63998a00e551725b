/**
 * Design-iteration runner (no HTTP): node dist-bench/bench/sim/run.js [landscape,...] [budgets] [prompts] [seeds]
 * Methods from SIM_METHODS (JSON list of method specs) or the default list.
 */
import { methodSchema, type MethodSpec } from '../../src/config/methodSchema';
import { LANDSCAPES } from '../landscapes';
import { agentNames, simulatePrompt } from './simulate';

const args = process.argv.slice(2);
const lands = args[0] ? LANDSCAPES.filter((l) => args[0]!.split(',').includes(l.name)) : LANDSCAPES;
const budgets = (args[1] ?? '8,16,32,64').split(',').map(Number);
const prompts = Number(args[2] ?? 40);
const seeds = Number(args[3] ?? 3);

function methods(single: string): MethodSpec[] {
  const extra = process.env.SIM_METHODS ? (JSON.parse(process.env.SIM_METHODS.replaceAll('$single', single)) as unknown[]) : [];
  const base: unknown[] = process.env.SIM_ONLY
    ? []
    : [
        { type: 'toa', tau: 1, alpha: 0.05 },
        { type: 'random', agent: single },
        { type: 'prs', agent: single },
        { type: 'ensemble' },
        { type: 'sequential' },
        { type: 'moa', layers: 3 },
        { type: 'abmcts' },
      ];
  return [...base, ...extra].map((m) => methodSchema.parse(m));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ci = (xs: number[]) => {
  const m = mean(xs);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return (1.96 * sd) / Math.sqrt(xs.length);
};

for (const l of lands) {
  const ms = methods(agentNames(l)[0]!);
  console.log(`\n== ${l.name} (optimum ${l.optimum.trueQuality})`);
  console.log(['budget', ...ms.map((m) => (m.label ?? m.type).padStart(14))].join(' '));
  for (const b of budgets) {
    const cells = ms.map((m) => {
      const q: number[] = [];
      for (let s = 0; s < seeds; s++) for (let p = 0; p < prompts; p++) q.push(simulatePrompt(m, l, b, s, `p${p}`).bestQuality);
      return `${mean(q).toFixed(3)}±${ci(q).toFixed(3)}`.padStart(14);
    });
    console.log([String(b).padStart(6), ...cells].join(' '));
  }
}
