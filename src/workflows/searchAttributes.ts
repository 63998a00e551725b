/**
 * Workflow-side helper that turns a partial progress description into typed search attribute
 * pairs, so the Temporal UI can filter a sweep (ToaSweepId = "...") and sort by best reward.
 */
import type { SearchAttributePair } from '@temporalio/common';
import { ToaSearchAttributes } from '../server/searchAttributes';

/** The one definition list lives in src/server/searchAttributes.ts (it imports only @temporalio/common). */
export const SA = ToaSearchAttributes;

export interface SearchAttributeValues {
  sweepId?: string;
  method?: string;
  budget?: number;
  seed?: number;
  status?: string;
  bestReward?: number | null;
  generations?: number;
  promptId?: string;
}

export function searchAttributeUpdates(v: SearchAttributeValues): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [];
  const add = <K extends keyof typeof SA>(k: K, value: unknown) => {
    if (value !== undefined && value !== null) pairs.push({ key: SA[k], value } as unknown as SearchAttributePair);
  };
  add('sweepId', v.sweepId);
  add('method', v.method);
  add('budget', v.budget);
  add('seed', v.seed);
  add('status', v.status);
  add('bestReward', v.bestReward);
  add('generations', v.generations);
  add('promptId', v.promptId);
  return pairs;
}
