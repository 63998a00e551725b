/**
 * The generate activity over real HTTP on loopback against the fake OpenAI server (a test double).
 */
import * as net from 'node:net';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { generateWith } from '../support/activities';
import type { GenerateInput, StoreSpec } from '../../src/activities/types';
import type { AgentConfig } from '../../src/config/schema';
import { AGGREGATE_V1 } from '../../src/prompts';
import type { Action } from '../../src/search/types';
import { openStore } from '../../src/store';
import { fakeAgent } from '../support/agents';
import { fakeAnswer, startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { expectFailure } from '../support/failures';
import { tmpDir, tmpStoreSpec } from '../support/tmp';

let fake: FakeOpenAI;
let tmp: ReturnType<typeof tmpDir>;
let store: StoreSpec;

beforeAll(async () => {
  fake = await startFakeOpenAI({
    models: { 'fake-a': { quality: 0.6, latencyMs: 30 }, 'fake-b': { quality: 0.3 }, 'fake-short': { words: 40 } },
    strictModels: true,
  });
});
afterAll(() => fake.close());
beforeEach(() => {
  tmp = tmpDir();
  store = tmpStoreSpec(tmp.dir);
  fake.setFaults([]);
  fake.reset();
});
afterEach(() => tmp.cleanup());

const put = (text: string): Promise<string> => openStore(store).put(text);

async function input(
  agent: AgentConfig,
  action: Partial<Action> = {},
  extra: Partial<GenerateInput> = {},
): Promise<GenerateInput> {
  return {
    agent,
    store,
    promptRef: await put('What is the capital of France?'),
    action: { id: 'r0', agent: agent.name, kind: 'fresh', inputs: [], ...action },
    inputRefs: [],
    templates: {},
    ...extra,
  };
}

const generate = generateWith({ FAKE_KEY: 'sk-secret-123456' });

describe('generate: happy path', () => {
  test('fresh call: stored text, preview, tokens, latency, finish reason, sampling parameters', async () => {
    const agent = fakeAgent(fake.url, { sampling: { temperature: 0.3, topP: 0.9, maxTokens: 100, stop: ['\n\n'] } });
    const out = await generate(await input(agent, {}, { seed: 42 }));
    const seen = fake.requests();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      model: 'fake-a',
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 100,
      stop: ['\n\n'],
      seed: 42,
    });
    const expected = fakeAnswer({ ...seen[0]!, repeat: 0 }, { quality: 0.6, latencyMs: 30 });
    expect(await openStore(store).get(out.ref)).toBe(expected.text);
    expect(out.preview).toBe(expected.text.slice(0, 79) + '…');
    expect(out.promptTokens).toBe(expected.promptTokens);
    expect(out.completionTokens).toBe(expected.completionTokens);
    expect(out.finishReason).toBe('stop');
    expect(out.latencyMs).toBeGreaterThanOrEqual(25);
    expect(fake.stats).toMatchObject({ requests: 1, completions: 1 });
    // the same seed gives the same text (a seeded endpoint); another seed another one
    expect((await generate(await input(agent, {}, { seed: 42 }))).ref).toBe(out.ref);
    expect((await generate(await input(agent, {}, { seed: 43 }))).ref).not.toBe(out.ref);
  });

  test('refine: question and earlier answer reach the server in the refine template, after the system prompt', async () => {
    const agent = fakeAgent(fake.url, { model: 'fake-b', systemPrompt: 'You are terse.' });
    const parent = await put('[q=0.900] Paris is the capital.');
    await generate(await input(agent, { kind: 'refine', inputs: ['r7'] }, { inputRefs: [parent] }));
    const [req] = fake.requests();
    expect(req!.messages).toHaveLength(2);
    expect(req!.messages[0]).toEqual({ role: 'system', content: 'You are terse.' });
    expect(req!.messages[1]!.role).toBe('user');
    expect(req!.messages[1]!.content).toContain('What is the capital of France?');
    expect(req!.messages[1]!.content).toContain('[q=0.900] Paris is the capital.');
    expect(req!.seed).toBeUndefined();
  });

  test('aggregate: the K responses in the system message, the prompt as the user message', async () => {
    const agent = fakeAgent(fake.url);
    const refs = [await put('resp one'), await put('resp two')];
    await generate(await input(agent, { kind: 'aggregate', inputs: ['r1', 'r2'] }, { inputRefs: refs }));
    const [req] = fake.requests();
    expect(req!.messages).toEqual([
      {
        role: 'system',
        content: AGGREGATE_V1.text.replace('{{responses}}', '### Response 1\n\nresp one\n\n### Response 2\n\nresp two'),
      },
      { role: 'user', content: 'What is the capital of France?' },
    ]);
  });

  test('template overrides are loaded from the store', async () => {
    const agent = fakeAgent(fake.url);
    const templates = { instruction: await put('Answer briefly: {{prompt}}') };
    await generate(await input(agent, {}, { templates }));
    expect(fake.requests()[0]!.messages).toEqual([{ role: 'user', content: 'Answer briefly: What is the capital of France?' }]);
    const bad = { refine: await put('no placeholders') };
    const f = await expectFailure(
      generate(await input(agent, { kind: 'refine', inputs: ['r1'] }, { templates: bad, inputRefs: [await put('x')] })),
    );
    expect(f).toMatchObject({ type: 'ConfigError', nonRetryable: true });
    expect(f.message).toMatch(/refine template: missing placeholder/);
  });

  test('max_tokens truncation is reported as finish reason "length"', async () => {
    const out = await generate(await input(fakeAgent(fake.url, { model: 'fake-short', sampling: { maxTokens: 5 } })));
    expect(out).toMatchObject({ finishReason: 'length', completionTokens: 5 });
  });

  test('API key from the named environment variable is sent as a bearer token', async () => {
    const keyed = await startFakeOpenAI({ apiKey: 'sk-secret-123456' });
    try {
      await generate(await input(fakeAgent(keyed.url, { apiKeyEnv: 'FAKE_KEY' })));
      expect(keyed.requests()[0]!.authorization).toBe('Bearer sk-secret-123456');
      // a wrong key: 401 → non-retryable, and the key never appears in the message
      const wrong = { generate: generateWith({ FAKE_KEY: 'sk-wrong-987654' }) };
      const f = await expectFailure(wrong.generate(await input(fakeAgent(keyed.url, { apiKeyEnv: 'FAKE_KEY' }))));
      expect(f).toMatchObject({ type: 'Unauthorized', nonRetryable: true });
      expect(f.message).toContain(`${keyed.url}/chat/completions`);
      expect(f.message).not.toContain('sk-wrong-987654');
    } finally {
      await keyed.close();
    }
  });
});

describe('generate: failures are classified', () => {
  const agent = (): AgentConfig => fakeAgent(fake.url, { name: 'alpha', timeoutSeconds: 0.5 });

  test('missing API key variable → MissingApiKey naming the variable and the agent, before any request', async () => {
    const g = generateWith({});
    const f = await expectFailure(g(await input(fakeAgent(fake.url, { name: 'alpha', apiKeyEnv: 'ALPHA_KEY' }))));
    expect(f).toMatchObject({ type: 'MissingApiKey', nonRetryable: true });
    expect(f.message).toContain('ALPHA_KEY');
    expect(f.message).toContain('agent "alpha"');
    expect(fake.stats.requests).toBe(0);
  });

  test('429 with Retry-After → retryable RateLimited with nextRetryDelay', async () => {
    fake.setFaults([{ kind: 'rate-limit', next: 1, retryAfterSeconds: 7 }]);
    const f = await expectFailure(generate(await input(agent())));
    expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 7000 });
    expect(f.message).toContain(`POST ${fake.url}/chat/completions`);
    expect(f.message).toMatch(/HTTP 429/);
    expect(f.message).toMatch(/retry after 7s/);
    // the fault was one-shot: the retry succeeds
    await expect(generate(await input(agent()))).resolves.toMatchObject({ finishReason: 'stop' });
  });

  test('429 without Retry-After → RateLimited, Temporal backoff (no nextRetryDelay)', async () => {
    fake.setFaults([{ kind: 'rate-limit', retryAfterSeconds: null }]);
    const f = await expectFailure(generate(await input(agent())));
    expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false });
    expect(f.nextRetryDelay ?? undefined).toBeUndefined();
  });

  test('5xx → retryable ServerError', async () => {
    fake.setFaults([{ kind: 'server-error', status: 503 }]);
    const f = await expectFailure(generate(await input(agent())));
    expect(f).toMatchObject({ type: 'ServerError', nonRetryable: false });
    expect(f.message).toMatch(/HTTP 503/);
  });

  test('4xx → non-retryable BadRequest with the server message; unknown model hints at the name', async () => {
    fake.setFaults([{ kind: 'bad-request' }]);
    const f = await expectFailure(generate(await input(agent())));
    expect(f).toMatchObject({ type: 'BadRequest', nonRetryable: true });
    expect(f.message).toMatch(/HTTP 400.*Invalid request \(fake fault\)/);
    fake.setFaults([]);
    const g = await expectFailure(generate(await input(fakeAgent(fake.url, { model: 'no-such-model' }))));
    expect(g).toMatchObject({ type: 'BadRequest', nonRetryable: true });
    expect(g.message).toMatch(/HTTP 404 \(wrong base URL or model name\?\).*no-such-model/);
    expect(g.message).not.toMatch(/\n/);
  });

  test('a hanging server → retryable Timeout after timeoutSeconds', async () => {
    fake.setFaults([{ kind: 'hang' }]);
    const t0 = Date.now();
    const f = await expectFailure(generate(await input(agent())));
    expect(f).toMatchObject({ type: 'Timeout', nonRetryable: false });
    expect(f.message).toContain(`${fake.url}/chat/completions`);
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitFor(() => fake.stats.aborted === 1);
  });

  test('connection reset → retryable Unreachable', async () => {
    fake.setFaults([{ kind: 'reset' }]);
    const f = await expectFailure(generate(await input(agent())));
    expect(f).toMatchObject({ type: 'Unreachable', nonRetryable: false });
    expect(f.message).toContain(`${fake.url}/chat/completions`);
  });

  test('closed port → retryable Unreachable naming the URL', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/v1`;
    const f = await expectFailure(generate(await input(fakeAgent(url))));
    expect(f).toMatchObject({ type: 'Unreachable', nonRetryable: false });
    expect(f.message).toContain(`POST ${url}/chat/completions`);
    expect(f.message).toMatch(/connection refused/);
  });

  test.each([
    ['malformed-json', /malformed answer: body is not valid JSON/],
    ['usage-missing', /"usage" is missing/],
    ['usage-strings', /"usage.prompt_tokens" is the string "\d+", expected a non-negative integer/],
    ['no-content', /"choices\[0\].message.content" is null/],
  ] as const)('%s → non-retryable MalformedResponse naming the problem', async (kind, pattern) => {
    fake.setFaults([{ kind }]);
    const f = await expectFailure(generate(await input(agent())));
    expect(f).toMatchObject({ type: 'MalformedResponse', nonRetryable: true });
    expect(f.message).toMatch(pattern);
    expect(f.message).toContain(`${fake.url}/chat/completions`);
  });

  test('a missing text in the store → non-retryable StoreError naming the path', async () => {
    const inp = await input(agent());
    inp.promptRef = 'f'.repeat(64);
    const f = await expectFailure(generate(inp));
    expect(f).toMatchObject({ type: 'StoreError', nonRetryable: true });
    expect(f.message).toContain(`${store.root}/texts/ff/${'f'.repeat(64)}.txt`);
  });

  test('input refs that do not match the action inputs → ConfigError', async () => {
    const f = await expectFailure(generate(await input(agent(), { kind: 'refine', inputs: ['r1'] })));
    expect(f).toMatchObject({ type: 'ConfigError', nonRetryable: true });
  });
});

describe('generate inside an activity context', () => {
  test('heartbeats while waiting; cancellation aborts the HTTP request and fails with CancelledFailure', async () => {
    fake.setFaults([{ kind: 'hang' }]);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 300 });
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const inp = await input(fakeAgent(fake.url, { timeoutSeconds: 30 }));
    const running = env.run(generate, inp);
    await waitFor(() => fake.stats.inFlight === 1);
    await new Promise((r) => setTimeout(r, 400));
    env.cancel();
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(beats).toBeGreaterThanOrEqual(2);
    await waitFor(() => fake.stats.aborted === 1 && fake.stats.inFlight === 0);
  });

  test('works normally inside a context', async () => {
    const env = new MockActivityEnvironment();
    await expect(env.run(generate, await input(fakeAgent(fake.url)))).resolves.toMatchObject({ finishReason: 'stop' });
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
