/**
 * How long a stopping worker lets its in-flight work finish. On SIGTERM (`docker compose stop`,
 * Kubernetes, systemd) or Ctrl-C a worker stops polling at once, and its plays in flight, already
 * paid for at the endpoint, may finish within this grace period; only then are the stragglers
 * cancelled (and paid again elsewhere). Without a grace period the SDK cancels them at once.
 */
import type { AgentConfig, RewardSpec } from '../config/schema';
import { playAttemptSeconds } from '../common/timeouts';

/** Upper bound of the default: an agent's default request timeout (600 s) would keep a stop waiting for 24 minutes. */
export const MAX_DEFAULT_GRACE_SECONDS = 300;

/** A worker that serves no agent still finishes its bookkeeping (record writes are bounded at 1 minute). */
export const MAIN_ONLY_GRACE_SECONDS = 60;

/** After the grace period, cancelled activities get this long to stop before the SDK gives up on them. */
export const FORCE_AFTER_GRACE_SECONDS = 10;

/**
 * The default grace period of a worker serving these sweeps' agents: the longest per-attempt
 * limit of their plays (after which the server gives up on an attempt anyway), at most
 * MAX_DEFAULT_GRACE_SECONDS; MAIN_ONLY_GRACE_SECONDS without agents.
 */
export function defaultShutdownGraceSeconds(sweeps: Array<{ agents: AgentConfig[]; reward: RewardSpec }>): number {
  const limits = sweeps.flatMap((s) => s.agents.map((a) => playAttemptSeconds(a.timeoutSeconds, s.reward)));
  if (limits.length === 0) return MAIN_ONLY_GRACE_SECONDS;
  return Math.min(MAX_DEFAULT_GRACE_SECONDS, Math.max(...limits));
}
