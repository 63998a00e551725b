/**
 * The activities, grouped by the task queue that serves them, each group built by a factory that
 * receives its dependencies (no global state besides caches). Workflows proxy them with
 * `proxyActivities<MainQueueActivities | AgentQueueActivities>` (type-only imports).
 */
export { createMainQueueActivities, type MainQueueActivities, type MainQueueDeps } from './mainQueue';
export { createAgentQueueActivities, type AgentQueueActivities, type AgentQueueDeps } from './agentQueue';
export {
  allowListFor,
  allowListOfSweep,
  explicitAllowList,
  mergeAllowLists,
  type AllowList,
  type EndpointGrant,
  type PathGrant,
} from './allowList';
export type * from './types';
