/**
 * Workflow IDs of a sweep's prompt workflows: derived from (sweep, method, budget, seed, prompt),
 * so a relaunch finds the same workflow (and its record) instead of paying twice.
 */
import { methodLabelOf, type MethodSpec } from '../search/methods';

export interface JobKeyParts {
  methodIndex: number;
  budget: number;
  seed: number;
}

export function jobKey(plan: { methods: MethodSpec[] }, parts: JobKeyParts): string {
  return `${methodLabelOf(plan.methods[parts.methodIndex]!)}/b${parts.budget}/s${parts.seed}`;
}

export function promptWorkflowId(sweepId: string, key: string, promptId: string): string {
  return `${sweepId}/${key}/${promptId}`;
}
