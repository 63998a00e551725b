/**
 * Browser check of the monitoring story (docs/monitoring.md): the embedded Temporal server's Web
 * UI, opened in headless Chromium, finds one sweep's workflows through the ToaSweepId search
 * attribute, does not list another sweep's, and shows a prompt workflow's page.
 *
 * Real pieces: `temporal server start-dev` WITH its UI (startDevServer), the project's workers,
 * two small sweeps against the fake model / reward servers. Chromium is Debian's
 * (/usr/bin/chromium, or $TOA_CHROMIUM); `npm run setup -- --for-tests` (part of `npm test`)
 * installs it with apt-get when it can, and otherwise says how. A missing Chromium FAILS this
 * test (it does not skip).
 *
 * Screenshots go to test-artifacts/browser/ (git-ignored); their paths are printed.
 */
import { freePort } from '../../src/testing/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDevServer, type DevServerHandle } from '../../src/server/embedded';
import { startWorkers, type RunningWorkers } from '../../src/worker/run';
import { allowListFor } from '../../src/activities';
import { startFakeOpenAI, startFakeReward, type FakeOpenAI, type FakeReward } from '../../src/testing';
import { agentSchema, datasetSchema, methodSchema, type AgentConfig } from '../../src/config/schema';
import { sweep, type SweepInput } from '../../src/workflows/sweep';
import type { SweepPlan } from '../../src/workflows/sweepState';
import { MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { searchAttributeUpdates } from '../../src/common/searchAttributes';

const CHROMIUM = process.env.TOA_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/browser');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

jest.setTimeout(90_000);


function chromiumMissing(): string | undefined {
  try {
    fs.accessSync(CHROMIUM, fs.constants.X_OK);
    return undefined;
  } catch {
    return (
      `Chromium not found (or not executable) at ${CHROMIUM}. This browser test needs it: ` +
      `run \`npm run setup -- --for-tests\` as root (installs Debian's chromium package), ` +
      `or set TOA_CHROMIUM to a Chromium binary.`
    );
  }
}

const suffix = `${process.pid}-${Date.now().toString(36)}`;
const SWEEP = `ui-sweep-${suffix}`;
const OTHER = `ui-other-${suffix}`;
const PROMPTS_A = ['q0', 'q1', 'q2'];
const PROMPTS_B = ['z0', 'z1'];
const promptWorkflowId = (sweepId: string, promptId: string) => `${sweepId}/toa/b4/s0/${promptId}`;

let tmp: string;
let server: DevServerHandle | undefined;
let connection: Connection | undefined;
let native: NativeConnection | undefined;
let client: Client;
let workers: RunningWorkers | undefined;
let openai: FakeOpenAI | undefined;
let reward: FakeReward | undefined;
let agents: AgentConfig[];
let browser: BrowserContext | undefined;
let uiUrl: string;

function plan(sweepId: string, promptIds: string[]): SweepPlan {
  const file = path.join(tmp, `${sweepId}.jsonl`);
  fs.writeFileSync(file, promptIds.map((id) => JSON.stringify({ id, instruction: `What is ${id}?` })).join('\n') + '\n');
  return {
    name: sweepId,
    dataset: datasetSchema.parse({ path: file }),
    agents,
    reward: { type: 'http', url: reward!.url, timeoutSeconds: 20 },
    methods: [methodSchema.parse({ type: 'toa', tau: 1, alpha: 0.1 })],
    budgets: [4],
    seeds: [0],
    store: { kind: 'fs', root: path.join(tmp, 'store') },
    recordsDir: path.join(tmp, `records-${sweepId}`),
    templates: {},
    maxRunningPrompts: 3,
    pageSize: 8,
  };
}

/** Starts a sweep the way `toa sweep start` does (search attribute + static summary on the sweep too). */
async function runSweep(sweepId: string, promptIds: string[]) {
  const p = plan(sweepId, promptIds);
  return client.workflow.execute(sweep, {
    workflowId: sweepId,
    taskQueue: MAIN_TASK_QUEUE,
    args: [{ sweepId, plan: p } satisfies SweepInput],
    typedSearchAttributes: searchAttributeUpdates({ sweepId, status: 'running' }),
    staticSummary: `sweep ${p.name}: 1 methods × 1 budgets × 1 seeds`,
  });
}

async function visibleCount(query: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query })) n++;
  return n;
}

async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  // The artifact's path, for CI logs and for a human to look at.
  process.stdout.write(`browser test screenshot: ${file}\n`);
  return file;
}

/** Page text, as rendered (what a user sees), once `text` has appeared in it. */
async function textOnceVisible(page: Page, text: string, timeout = 20_000): Promise<string> {
  await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout });
  return page.locator('body').innerText();
}

/**
 * Text of the page and all its frames (the UI renders summaries and details in iframes), with
 * U+2044 (fraction slash) read as "/", once every pattern matches it.
 */
async function framesTextMatching(page: Page, patterns: RegExp[], timeout = 20_000): Promise<string> {
  const deadline = Date.now() + timeout;
  let text = '';
  for (;;) {
    const parts = await Promise.all(
      page.frames().map((f) =>
        f
          .locator('body')
          .innerText({ timeout: 2000 })
          .catch(() => ''),
      ),
    );
    text = parts.join('\n').replace(/\u2044/g, '/');
    const missing = patterns.filter((p) => !p.test(text));
    if (missing.length === 0) return text;
    if (Date.now() > deadline) throw new Error(`page (and its frames) never showed ${missing.join(', ')}; it shows:\n${text}`);
    await page.waitForTimeout(250);
  }
}

beforeAll(async () => {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'toa-browser-'));
  const port = await freePort();
  let uiPort = await freePort();
  while (uiPort === port) uiPort = await freePort();
  server = await startDevServer({
    dbFile: null,
    port,
    uiPort,
    recordState: false,
    logFile: path.join(tmp, 'temporal-server.log'),
  });
  uiUrl = server.uiUrl!;
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace });
  native = await NativeConnection.connect({ address: server.address });
  openai = await startFakeOpenAI({
    models: { 'fake-a': { quality: 0.4, noise: 0.2 }, 'fake-b': { quality: 0.6, noise: 0.2 } },
    seed: 1,
  });
  reward = await startFakeReward({});
  agents = ['fake-a', 'fake-b'].map((model, i) =>
    agentSchema.parse({
      name: `agent${i + 1}`,
      model,
      baseURL: openai!.url,
      maxConcurrency: 4,
      timeoutSeconds: 20,
      sampling: {},
    }),
  );
  const allow = allowListFor({ agents, reward: { type: 'http', url: reward.url, timeoutSeconds: 20 }, write: [tmp], source: 'browser test' });
  workers = await startWorkers({ connection: native, namespace: server.namespace, agents, allow, env: {} });

  const [a, b] = await Promise.all([runSweep(SWEEP, PROMPTS_A), runSweep(OTHER, PROMPTS_B)]);
  expect([a.status, a.done, b.status, b.done]).toEqual(['completed', PROMPTS_A.length, 'completed', PROMPTS_B.length]);
  // Visibility is eventually consistent: wait until both sweeps (the sweep workflow + its prompt
  // workflows) are listed as completed, as the UI will ask for them.
  for (const [id, n] of [
    [SWEEP, PROMPTS_A.length + 1],
    [OTHER, PROMPTS_B.length + 1],
  ] as const) {
    for (let i = 0; i < 100 && (await visibleCount(`ToaSweepId="${id}" AND ToaStatus="completed"`)) < n; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  browser = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'chromium-profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 1000 },
    timeout: 30_000,
  });
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await workers?.shutdown().catch(() => undefined);
  await native?.close().catch(() => undefined);
  await connection?.close().catch(() => undefined);
  await server?.stop({ graceMs: 5000 });
  await openai?.close();
  await reward?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the Temporal UI filters a sweep by ToaSweepId and lists only its workflows', async () => {
  const page = await browser!.newPage();
  const url = `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`ToaSweepId="${SWEEP}"`)}`;
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const wanted = PROMPTS_A.map((id) => promptWorkflowId(SWEEP, id));
  let text = await textOnceVisible(page, wanted[0]);
  for (const id of wanted) {
    await page.getByText(id, { exact: true }).first().waitFor({ state: 'visible', timeout: 10_000 });
  }
  text = await page.locator('body').innerText();
  await screenshot(page, 'sweep-filter.png');

  for (const id of wanted) expect(text).toContain(id);
  // The sweep workflow itself carries ToaSweepId too.
  expect(text).toMatch(new RegExp(`(^|\\s)${SWEEP}(\\s|$)`, 'm'));
  // Workflow type column.
  expect(text).toContain('promptSearch');
  // Nothing of the other sweep.
  expect(text).not.toContain(OTHER);
  // The filter the URL asked for is applied (a chip "ToaSweepId = ..."), and the rows are exactly
  // the sweep workflow + its prompt workflows.
  expect(text).toContain(`ToaSweepId = "${SWEEP}"`);
  expect(text).toMatch(new RegExp(`(^|\\s)${PROMPTS_A.length + 1}\\s+Workflows`)); // the header count
  expect(await page.locator('table tbody tr').count()).toBe(PROMPTS_A.length + 1);

  // Control: the same UI, unfiltered, does list the other sweep's workflows, so their absence
  // above is the filter's doing.
  await page.goto(`${uiUrl}/namespaces/default/workflows`, { waitUntil: 'domcontentloaded' });
  text = await textOnceVisible(page, promptWorkflowId(OTHER, PROMPTS_B[0]));
  expect(text).toContain(wanted[0]);
  await page.close();
});

test("a prompt workflow's page shows its type, summary, current details and search attributes", async () => {
  const id = promptWorkflowId(SWEEP, 'q1');
  const { runId } = await client.workflow.getHandle(id).describe();
  const page = await browser!.newPage();
  await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(id)}/${runId}/history`, {
    waitUntil: 'domcontentloaded',
  });
  let text = await textOnceVisible(page, 'promptSearch');
  expect(text).toContain(id);
  expect(text).toMatch(/Workflow Type\s+promptSearch/);
  expect(text).toMatch(new RegExp(`Parent Workflow\\s+${SWEEP}(\\s|$)`));

  // The "User Metadata" tab: static summary (set by the sweep when it starts the child) and the
  // last current details the workflow set.
  await page
    .getByRole('link', { name: 'User Metadata' })
    .or(page.getByRole('tab', { name: 'User Metadata' }))
    .first()
    .click();
  // Both are rendered as markdown, each in its own iframe (/render?content=...); the renderer
  // typesets "4/4" with a fraction slash (U+2044), so compare with that normalised.
  text = await framesTextMatching(page, [/toa b4 s0 prompt q1/, /toa b4: play 4\/4, best [0-9.]+ from agent\d \(done\)/]);
  expect(text).toMatch(/Summary[\s\S]*Current Details/);
  await screenshot(page, 'prompt-metadata.png');

  // The "Search Attributes" tab: the custom attributes with their final values.
  await page
    .getByRole('link', { name: 'Search Attributes' })
    .or(page.getByRole('tab', { name: 'Search Attributes' }))
    .first()
    .click();
  text = await textOnceVisible(page, 'ToaSweepId');
  await screenshot(page, 'prompt-search-attributes.png');
  expect(text).toContain(`"ToaSweepId": "${SWEEP}"`);
  expect(text).toContain('"ToaPromptId": "q1"');
  expect(text).toContain('"ToaStatus": "completed"');
  expect(text).toMatch(/"ToaBestReward": [0-9.]+/);
  await page.close();
});
