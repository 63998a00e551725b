/**
 * A long sweep's throughput and CPU per play, interval by interval. End-of-run averages hide a
 * per-play cost that grows with the size of the sweep (caches filling, tables growing); the
 * timeline shows it, and says which process it grows in.
 */
import { round } from './lib';

export interface TimelinePoint {
  /** Seconds since the sweep started. */
  tS: number;
  /** Prompts finished (done + failed) at that moment. */
  finished: number;
  /** Cumulative CPU seconds per process (from the caller's meter: only differences are used). */
  cpuS: Record<string, number>;
}

export interface TimelineInterval {
  fromS: number;
  toS: number;
  finishedAtEnd: number;
  playsPerS: number;
  /** CPU ms per play in this interval, per group of processes (e.g. workers, temporal). */
  cpuMsPerPlay: Record<string, number>;
}

/**
 * Consecutive points → intervals. Plays are counted as finished prompts × budget: a prompt's
 * plays land when it finishes, so an interval is measured by the prompts it completed.
 */
export function timelineIntervals(points: TimelinePoint[], budget: number, groups: Record<string, string[]>): TimelineInterval[] {
  const out: TimelineInterval[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const plays = (b.finished - a.finished) * budget;
    const seconds = b.tS - a.tS;
    if (plays <= 0 || seconds <= 0) continue;
    const cpuMsPerPlay: Record<string, number> = {};
    for (const [group, names] of Object.entries(groups)) {
      const cpu = names.reduce((sum, n) => sum + ((b.cpuS[n] ?? 0) - (a.cpuS[n] ?? 0)), 0);
      cpuMsPerPlay[group] = round((cpu * 1000) / plays, 1);
    }
    out.push({
      fromS: round(a.tS, 0),
      toS: round(b.tS, 0),
      finishedAtEnd: b.finished,
      playsPerS: round(plays / seconds, 1),
      cpuMsPerPlay,
    });
  }
  return out;
}

/**
 * Samples `finished()` and `cpu()` every `everyMs` until stopped. A sample whose read fails (a
 * query during a worker restart) is skipped: the next interval is then longer, not wrong.
 */
export function timelineSampler(finished: () => Promise<number>, cpu: () => Record<string, { cpuS: number }>, everyMs: number) {
  const t0 = performance.now();
  const points: TimelinePoint[] = [];
  const cpuNow = () => Object.fromEntries(Object.entries(cpu()).map(([k, v]) => [k, v.cpuS]));
  const sample = async (known?: number) => {
    const n = known ?? (await finished());
    const tS = (performance.now() - t0) / 1000;
    points.push({ tS: round(tS, 1), finished: n, cpuS: cpuNow() });
  };
  points.push({ tS: 0, finished: 0, cpuS: cpuNow() });
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = inFlight.then(() => sample()).catch(() => undefined);
  }, everyMs);
  return {
    /** The last point is taken now, with the count the caller knows at the end. */
    async stop(finishedAtEnd: number): Promise<TimelinePoint[]> {
      clearInterval(timer);
      await inFlight;
      await sample(finishedAtEnd);
      return points;
    },
  };
}
