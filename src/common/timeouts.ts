/**
 * How long one attempt of a play may take: the workflow schedules plays with this limit, and a
 * worker asked to stop gracefully waits no longer than this for its in-flight plays (after it,
 * the server has given up on the attempt anyway). Workflow-safe.
 */

/** Rewards without a request timeout (local ones: math-answer, chrF, weighted) are given 120 s. */
export function rewardTimeoutSeconds(reward: { type: string; timeoutSeconds?: number }): number {
  return 'timeoutSeconds' in reward ? (reward.timeoutSeconds as number) : 120;
}

/**
 * A play waits at its endpoint's gate for at most one request, sends its own and scores the
 * answer: twice the agent's request timeout plus twice the reward's.
 */
export function playAttemptSeconds(agentTimeoutSeconds: number, reward: { type: string; timeoutSeconds?: number }): number {
  return agentTimeoutSeconds * 2 + rewardTimeoutSeconds(reward) * 2;
}
