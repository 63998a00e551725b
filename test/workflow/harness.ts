/**
 * Workflow-test harness: a real Temporal dev server (the CLI binary), the project's real
 * workers, and the fake OpenAI / reward servers (test doubles on loopback HTTP).
 */
import * as path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createTestEnv } from '../../src/testing/testEnv';
import { startWorkers, workflowBundle, type RunningWorkers } from '../../src/worker/run';
import { allowListFor } from '../../src/activities';
import type { AgentConfig, MethodSpec, RewardSpec } from '../../src/config/schema';
import type { PromptSearchInput } from '../../src/workflows/promptSearch';
import type { StoreSpec } from '../../src/activities/types';
import { openStore } from '../../src/store';
import { fakeAgent, startFakeOpenAI, startFakeReward, tmpDir, type FakeModelSpec } from '../support';
import type { FakeOpenAI } from '../../src/testing/fakeOpenAI';
import type { FakeReward } from '../../src/testing/fakeReward';

export interface Harness {
  env: TestWorkflowEnvironment;
  openai: FakeOpenAI;
  reward: FakeReward;
  agents: AgentConfig[];
  rewardSpec: RewardSpec;
  store: StoreSpec;
  dir: string;
  recordsDir: string;
  bundle: WorkflowBundleWithSourceMap;
  workers?: RunningWorkers;
  startWorkers(): Promise<RunningWorkers>;
  stopWorkers(): Promise<void>;
  putText(text: string): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_MODELS: Record<string, FakeModelSpec> = {
  'fake-a': { quality: 0.3, noise: 0.2 },
  'fake-b': { quality: 0.5, noise: 0.2 },
  'fake-c': { quality: 0.6, noise: 0.2 },
  // Slow on purpose: keeps a sweep running while a test acts on it.
  'fake-slow': { quality: 0.4, noise: 0.2, latencyMs: 2500 },
};

export async function startHarness(opts: { agents?: number; models?: Record<string, FakeModelSpec>; maxConcurrency?: number } = {}): Promise<Harness> {
  const env = await createTestEnv();
  const openai = await startFakeOpenAI({ models: opts.models ?? DEFAULT_MODELS, seed: 1 });
  const reward = await startFakeReward({});
  const names = Object.keys(opts.models ?? DEFAULT_MODELS).slice(0, opts.agents ?? 4);
  const agents = names.map((model, i) => fakeAgent(openai.url, { name: `agent${i + 1}`, model, maxConcurrency: opts.maxConcurrency ?? 4, timeoutSeconds: 20 }));
  const tmp = tmpDir('toa-wf-');
  const store: StoreSpec = { kind: 'fs', root: path.join(tmp.dir, 'store') };
  const bundle = await workflowBundle();
  const h: Harness = {
    env,
    openai,
    reward,
    agents,
    rewardSpec: { type: 'http', url: reward.url, timeoutSeconds: 20 },
    store,
    dir: tmp.dir,
    recordsDir: path.join(tmp.dir, 'records'),
    bundle,
    async startWorkers() {
      // Allowed: what the tests use (these agents, this reward, the test's temp folder).
      const allow = allowListFor({ agents, reward: h.rewardSpec, write: [tmp.dir], source: 'workflow test harness' });
      h.workers = await startWorkers({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', agents, allow, workflowBundle: bundle, env: {} });
      return h.workers;
    },
    async stopWorkers() {
      await h.workers?.shutdown();
      h.workers = undefined;
    },
    putText: (text) => openStore(store).put(text),
    async close() {
      await h.stopWorkers();
      await env.teardown();
      await openai.close();
      await reward.close();
      tmp.cleanup();
    },
  };
  return h;
}

/** A promptSearch input on the harness's first three agents, its reward, store and records folder. */
export async function promptInput(
  h: Harness,
  method: MethodSpec,
  budget: number,
  promptId: string,
  over: Partial<PromptSearchInput> = {},
): Promise<PromptSearchInput> {
  return {
    promptId,
    promptRef: await h.putText(`Question ${promptId}: what is 6 times 7?`),
    method,
    budget,
    seed: 7,
    agents: h.agents.slice(0, 3),
    reward: h.rewardSpec,
    store: h.store,
    templates: {},
    recordsDir: h.recordsDir,
    ...over,
  };
}
