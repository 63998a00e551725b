/**
 * Preloaded into a process the benchmarks measure (`node -r dist-bench/bench/rusage.js ...`):
 * at exit it writes its own peak RSS (getrusage ru_maxrss, KiB) and CPU seconds to
 * $BENCH_RUSAGE_FILE. Exact where sampling /proc would miss the last moments of a short command
 * (`toa export`, `toa report`) or of a worker shutting down.
 */
import * as fs from 'node:fs';

const file = process.env.BENCH_RUSAGE_FILE;
if (file) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    fs.writeFileSync(file, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, cpuS: (cpu.user + cpu.system) / 1e6 }));
  });
}
