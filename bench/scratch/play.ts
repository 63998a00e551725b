import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAgentQueueActivities, createMainQueueActivities, allowListFor } from '../../src/activities';
import { agentSchema } from '../../src/config/schema';
import { startFakeOpenAI } from '../../src/testing/fakeOpenAI';
import { startFakeReward } from '../../src/testing/fakeReward';
import { openStore } from '../../src/store';
async function main() {
  const oa = await startFakeOpenAI({ models: { m: { quality: 0.5 } } });
  const rw = await startFakeReward({});
  const dir = fs.mkdtempSync(path.join(process.cwd(), '.toa-scratch-'));
  const store = { kind: 'fs' as const, root: path.join(dir, 'store') };
  const agents = [agentSchema.parse({ name: 'a', baseURL: oa.url, model: 'm' })];
  const reward = { type: 'http' as const, url: rw.url, timeoutSeconds: 10 };
  const allow = allowListFor({ agents, reward, write: [dir], source: 'scratch' });
  const { play } = createAgentQueueActivities({ env: {}, allow });
  const { putPlayContext } = createMainQueueActivities({ allow });
  const promptRef = await openStore(store).put('What is 6 times 7?');
  const contextRef = await putPlayContext({ store, context: { agents, reward, templates: {}, promptId: 'p', promptRef, seed: 1 } });
  const xs: number[] = [];
  for (let i = 0; i < 60; i++) {
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'wf', runId: 'r' }, activityType: 'play' });
    const t0 = performance.now();
    await env.run(play, { store, contextRef, action: { id: `r${i}`, agent: 'a', kind: 'fresh' as const, inputs: [] }, inputRefs: [] });
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  console.log('play p50', xs[30]!.toFixed(2), 'p90', xs[54]!.toFixed(2), 'min', xs[0]!.toFixed(2));
  await oa.close(); await rw.close(); fs.rmSync(dir, { recursive: true });
}
main();
