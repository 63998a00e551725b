/**
 * Task queue names. Workflows, reward scoring and bookkeeping share the main queue; each
 * agent gets its own queue so that its concurrency (worker slots) and request rate (the task
 * queue's server-side limit) hold globally, however many workers poll it.
 */
import type { AgentConfig } from '../config/schema';
import { fnv1a } from './hash';

export const MAIN_TASK_QUEUE = 'toa';

/**
 * The queue of one agent. The endpoint and model are part of the name, so two sweeps that
 * reuse an agent name for different endpoints never share limits by accident.
 */
export function agentTaskQueue(agent: Pick<AgentConfig, 'name' | 'baseURL' | 'model'>): string {
  return `toa.agent.${agent.name}.${fnv1a(`${agent.baseURL}|${agent.model}`).slice(0, 8)}`;
}
