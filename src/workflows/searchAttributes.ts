/**
 * Workflow-side helper that turns a partial progress description into typed search attribute
 * pairs, so the Temporal UI can filter a sweep (ToaSweepId = "...") and sort by best reward.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const SA = {
  sweepId: defineSearchAttributeKey('ToaSweepId', SearchAttributeType.KEYWORD),
  method: defineSearchAttributeKey('ToaMethod', SearchAttributeType.KEYWORD),
  budget: defineSearchAttributeKey('ToaBudget', SearchAttributeType.INT),
  seed: defineSearchAttributeKey('ToaSeed', SearchAttributeType.INT),
  status: defineSearchAttributeKey('ToaStatus', SearchAttributeType.KEYWORD),
  bestReward: defineSearchAttributeKey('ToaBestReward', SearchAttributeType.DOUBLE),
  generations: defineSearchAttributeKey('ToaGenerations', SearchAttributeType.INT),
  promptId: defineSearchAttributeKey('ToaPromptId', SearchAttributeType.KEYWORD),
} as const;

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
    if (value !== undefined && value !== null) pairs.push({ key: SA[k], value } as SearchAttributePair);
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
