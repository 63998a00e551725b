/**
 * Live progress of a sweep: a progress bar with rates, ETA, cost and errors on a terminal, one
 * plain line per change otherwise (logs, CI). Polls the sweep's progress query; a sweep outlives
 * its watcher, so `watch` can be stopped and re-attached at any time.
 */
import { SingleBar } from 'cli-progress';
import type { SweepProgress } from '../workflows/sweepState';
import type { RunningPrompts } from './runningPrompts';

export interface WatchOptions {
  /** Expected jobs (prompts × jobs per prompt) when known; else the bar grows as pages load. */
  totalJobs?: number;
  intervalMs?: number;
  tty?: boolean;
  out?: NodeJS.WritableStream;
  /**
   * What the running prompts have done so far (src/client/runningPrompts.ts); their generations
   * count in the progress, so it moves between prompt completions. Failures to read it are ignored.
   */
  running?: () => Promise<RunningPrompts>;
}

export function finishedJobs(p: SweepProgress): number {
  return p.done + p.reused + p.failed;
}

/** Generations of finished prompts plus those of running prompts (when known). */
export function generationsOf(p: SweepProgress, running?: RunningPrompts): number {
  return p.compute.generations + (running?.generations ?? 0);
}

export function describeProgress(p: SweepProgress, rates?: { genPerSec: number; tokPerSec: number }, running?: RunningPrompts): string {
  const tokens = p.compute.promptTokens + p.compute.completionTokens;
  const parts = [
    `${p.status}`,
    `${p.done + p.reused} done (${p.reused} reused)`,
    `${p.running} running`,
    `${p.failed} failed`,
    running ? `${generationsOf(p, running)} generations (${running.generations} in running prompts)` : `${p.compute.generations} generations`,
    `${tokens} tokens`,
  ];
  if (rates) parts.push(`${rates.genPerSec.toFixed(2)} gen/s`, `${Math.round(rates.tokPerSec)} tok/s`);
  if (p.compute.costUsd > 0) parts.push(`$${p.compute.costUsd.toFixed(4)}`);
  const errors = Object.entries(p.errorsByType).filter(([, n]) => n > 0);
  if (errors.length > 0) parts.push(`errors: ${errors.map(([k, n]) => `${k}×${n}`).join(', ')}`);
  if (p.failedPlays) parts.push(`${p.failedPlays} failed plays in completed prompts: ${failedPlayTypes(p)}`);
  if (p.pauseReason) parts.push(p.pauseReason);
  return parts.join(' | ');
}

/** `BadRequest×2, MalformedResponse×1`: a sweep's failed plays by type. */
export function failedPlayTypes(p: Pick<SweepProgress, 'failedPlaysByType'>): string {
  return Object.entries(p.failedPlaysByType ?? {})
    .map(([k, n]) => `${k}×${n}`)
    .join(', ');
}

export async function watchSweep(poll: () => Promise<SweepProgress>, opts: WatchOptions = {}): Promise<SweepProgress> {
  const out = opts.out ?? process.stdout;
  const tty = opts.tty ?? Boolean((out as NodeJS.WriteStream).isTTY);
  const interval = opts.intervalMs ?? 1000;
  let last: { at: number; gens: number; tokens: number } | undefined;
  let lastLine = '';
  const bar = tty
    ? new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} jobs | ETA {eta_formatted} | {detail}', hideCursor: true, stream: out as NodeJS.WriteStream, etaBuffer: 50 })
    : undefined;
  let started = false;
  for (;;) {
    let p: SweepProgress;
    try {
      p = await poll();
    } catch (err) {
      // No worker right now (e.g. it crashed and is being restarted): keep watching.
      if ((err as Error).name !== 'NoWorkerError') throw err;
      const line = (err as Error).message;
      if (line !== lastLine) out.write(`${new Date().toISOString()} waiting: ${line}\n`);
      lastLine = line;
      await new Promise((r) => setTimeout(r, interval));
      continue;
    }
    const active = p.status === 'running' || p.status === 'paused';
    const running = active && opts.running ? await opts.running().catch(() => undefined) : undefined;
    const now = Date.now();
    const gens = generationsOf(p, running);
    const tokens = p.compute.promptTokens + p.compute.completionTokens;
    const rates = last && now > last.at ? { genPerSec: ((gens - last.gens) * 1000) / (now - last.at), tokPerSec: ((tokens - last.tokens) * 1000) / (now - last.at) } : undefined;
    last = { at: now, gens, tokens };
    const total = Math.max(opts.totalJobs ?? 0, p.promptsSeen * p.jobsPerPrompt, finishedJobs(p) + p.running + p.queued, 1);
    const detail = describeProgress(p, rates, running);
    if (bar) {
      if (!started) bar.start(total, finishedJobs(p), { detail });
      started = true;
      bar.setTotal(total);
      bar.update(finishedJobs(p), { detail });
    } else {
      const line = describeProgress(p, undefined, running);
      if (line !== lastLine) out.write(`${new Date().toISOString()} ${line}\n`);
      lastLine = line;
    }
    if (p.status !== 'running' && p.status !== 'paused') {
      bar?.stop();
      return p;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
