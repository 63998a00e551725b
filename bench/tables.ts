/**
 * Prints the Markdown tables of docs/benchmarks.md from bench/results/*.json (so the README's
 * numbers can be regenerated from the committed results): `npm run bench:tables`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const RESULTS_DIR = path.join(process.cwd(), 'bench', 'results');

/* eslint-disable @typescript-eslint/no-explicit-any */
function load(name: string): any | null {
  const f = path.join(RESULTS_DIR, `${name}.json`);
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null;
}

function header(r: any): string {
  const m = r.machine;
  return `_\`${r.command}\`, ${r.date.slice(0, 10)}, ${m.nproc} × ${m.cpuModel}, ${m.ramGiB} GiB RAM, Node ${m.node}; load average ${r.load.loadavg1AtStart} → ${r.load.loadavg1AtEnd}._`;
}

function table(head: string[], rows: Array<Array<string | number | null>>): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map((c) => (c === null ? '–' : String(c))).join(' | ')} |`)].join('\n');
}

const out: string[] = [];
for (const [name, title] of [
  ['overhead', 'Orchestration overhead (embedded server)'],
  ['overhead-cluster', 'Orchestration overhead (local production cluster: Temporal on PostgreSQL)'],
] as const) {
  const ov = load(name);
  if (!ov) continue;
  out.push(`### ${title}`, header(ov), '');
  out.push(
    table(
      ['endpoint latency', 'plays/s in-process (a)', 'plays/s Temporal (b)', '(b)/(a)', 'slot utilisation (a)', 'slot utilisation (b)', 'per-play overhead p50 / p95 (a), ms', 'per-play overhead p50 / p95 (b), ms'],
      ov.results.map((r: any) => [
        `${r.latencyMs} ms`,
        r.throughput.inProcess.playsPerS,
        r.throughput.temporal.playsPerS,
        r.throughput.ratioTemporalOverInProcessPlaysPerS,
        r.latencyMs ? r.throughput.inProcess.utilisation : null,
        r.latencyMs ? r.throughput.temporal.utilisation : null,
        `${r.perPlay.inProcessMs.p50} / ${r.perPlay.inProcessMs.p95}`,
        `${r.perPlay.temporalMs.p50} / ${r.perPlay.temporalMs.p95}`,
      ]),
    ),
    '',
  );
  out.push(
    'CPU used during the Temporal throughput runs (cores busy on average):',
    '',
    table(
      ['endpoint latency', 'worker', 'Temporal server', 'PostgreSQL', 'fake endpoint', 'fake reward', 'bench (client)'],
      ov.results.map((r: any) => {
        const c = r.throughput.temporal.cpuByProcess ?? {};
        return [`${r.latencyMs} ms`, c.worker?.cores ?? null, c.server?.cores ?? null, c.postgres?.cores ?? null, c.fakeOpenAI?.cores ?? null, c.fakeReward?.cores ?? null, c.bench?.cores ?? null];
      }),
    ),
    '',
  );
  const withFloor = ov.results.find((r: any) => r.temporalFloor);
  if (withFloor) {
    const f = withFloor.temporalFloor;
    const t = withFloor.throughput.temporal;
    const perPlayCpu = (c: any) => (c ? Math.round(((c.cpuS * 1000) / withFloor.throughput.plays) * 10) / 10 : null);
    out.push(
      `Temporal's floor at ${withFloor.latencyMs} ms, same run, same server and worker settings: ${f.workload}; a play is one activity plus one workflow task:`,
      '',
      table(
        ['arm', 'per second', 'worker CPU ms per unit', 'server CPU ms per unit', 'PostgreSQL CPU ms per unit', 'sequential p50 / p95, ms'],
        [
          ['noop activity (floor)', f.activitiesPerS, f.cpuMsPerActivity.worker, f.cpuMsPerActivity.server, f.cpuMsPerActivity.postgres ?? null, `${f.sequentialMs.p50} / ${f.sequentialMs.p95}`],
          ['play (toa-temporal)', t.playsPerS, perPlayCpu(t.cpuByProcess?.worker), perPlayCpu(t.cpuByProcess?.server), perPlayCpu(t.cpuByProcess?.postgres), `${withFloor.perPlay.temporalMs.p50} / ${withFloor.perPlay.temporalMs.p95}`],
        ],
      ),
      '',
    );
  }
}
for (const name of ['scale', 'scale-10000']) {
  const sc = load(name);
  if (!sc) continue;
  out.push(`### Scale (${name})`, header(sc), '');
  if (sc.results.historyPerPrompt?.length) {
    out.push(
      table(
        ['method', 'budget', 'events / prompt', 'history KiB / prompt', 'bytes / generation'],
        sc.results.historyPerPrompt.map((h: any) => [h.method, h.budget, h.eventsPerPrompt, h.historyKiBPerPrompt, h.bytesPerGeneration]),
      ),
      '',
    );
  }
  if (sc.results.sweeps?.length) {
    out.push(
      table(
        ['prompts', 'generations', 'wall s', 'prompts/s', 'plays/s', 'worker peak RSS MiB', 'server peak RSS MiB', 'SQLite MiB', 'prompt history (events / KiB)', 'worker / server cores'],
        sc.results.sweeps.map((s: any) => [
          s.prompts, s.generations, s.wallS, s.promptsPerS, s.playsPerS, s.workerPeakRssMiB, s.serverPeakRssMiB, s.sqliteMiB,
          `${s.promptHistorySample[0].events} / ${(s.promptHistorySample[0].bytes / 1024).toFixed(1)}`,
          `${s.cpuByProcess.worker.cores} / ${s.cpuByProcess.server.cores}`,
        ]),
      ),
      '',
    );
  }
}
const me = load('methods');
if (me) {
  out.push('### Compute efficiency', header(me), '');
  // simulated: one entry per landscape (bench/landscapes.ts); real: one table.
  const parts = [
    ...(Array.isArray(me.results.simulated) ? me.results.simulated : []).map((l: any) => [`Simulated landscape ${l.landscape}`, l] as const),
    ['Real local models', me.results.real] as const,
  ];
  for (const [title, p] of parts) {
    if (!p?.table) continue;
    const budgets = [...new Set(p.table.map((t: any) => t.budget))].sort((a: any, b: any) => a - b) as number[];
    const methods = [...new Set(p.table.map((t: any) => t.method))] as string[];
    out.push(`${title}: mean best reward ± 95 % CI (mean true quality of the pick) and mean tokens per prompt`, '');
    out.push(
      table(
        ['method', ...budgets.map((b) => `N=${b}`)],
        methods.map((m) => [
          m,
          ...budgets.map((b) => {
            const t = p.table.find((x: any) => x.method === m && x.budget === b);
            if (!t) return null;
            const q = t.meanBestTrueQuality === null ? '' : ` (${t.meanBestTrueQuality.toFixed(3)})`;
            const tok = t.meanTokensPerPrompt === null ? '' : ` ${t.meanTokensPerPrompt} tok`;
            return `${t.meanBest.toFixed(3)} ± ${Number(t.ciBest ?? NaN).toFixed(3)}${q}${tok}`;
          }),
        ]),
      ),
      '',
      table(
        ['budget', 'ranking', `${p.verdicts[0]?.candidate ?? ''}: at least as good as all`, 'worse than'],
        p.verdicts.map((v: any) => [v.budget, v.ranking.join(', '), v.atLeastAsGoodAsAll === null ? '–' : v.atLeastAsGoodAsAll ? 'yes' : 'no', v.worseThan.join(', ') || '–']),
      ),
      '',
    );
  }
}
const cr = load('crash');
if (cr) {
  out.push('### Crash cost', header(cr), '');
  const c = cr.results.crashed;
  const b = cr.results.baseline;
  out.push(
    table(
      ['kills', 'generations expected', 'endpoint requests', 're-paid', 're-paid per kill', 'in flight at kill (mean)', 'wall s (no kill → kills)', 'records'],
      [[c.kills, c.expectedGenerations, c.endpointRequests, c.repaid, c.repaidPerKill, c.meanInFlightAtKill, `${b.wallS} → ${c.wallS}`, `${c.done} done, ${c.failed} failed`]],
    ),
    '',
  );
}
process.stdout.write(out.join('\n') + '\n');
