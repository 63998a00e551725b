/**
 * The score activity and the http reward backend over real HTTP on loopback against the fake
 * reward server (a test double).
 */
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRewardScorer, sentenceChrf } from '../../src/rewards';
import { scoreWith } from '../support/activities';
import type { ScoreInput, StoreSpec } from '../../src/activities/types';
import type { RewardSpec } from '../../src/config/schema';
import { openStore } from '../../src/store';
import { fakeRewardOf, startFakeReward, type FakeReward } from '../support/fakeReward';
import { expectFailure } from '../support/failures';
import { tmpDir, tmpStoreSpec } from '../support/tmp';

let fake: FakeReward;
let tmp: ReturnType<typeof tmpDir>;
let store: StoreSpec;

beforeAll(async () => {
  fake = await startFakeReward({ offset: 0.1, scale: 0.2, noise: 0.01, seed: 3 });
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
const httpSpec = (extra: Partial<Extract<RewardSpec, { type: 'http' }>> = {}): RewardSpec => ({
  type: 'http',
  url: fake.url,
  timeoutSeconds: 0.5,
  ...extra,
});

async function input(reward: RewardSpec = httpSpec(), extra: Partial<ScoreInput> = {}): Promise<ScoreInput> {
  return {
    reward,
    store,
    promptRef: await put('Translate: chat'),
    responseRef: await put('[q=0.800] cat'),
    ...extra,
  };
}

const score = scoreWith({ RM_KEY: 'rm-secret-abcdef' });

describe('score with the http backend', () => {
  test('posts prompt, response, model, promptId, reference and returns the reward', async () => {
    const out = await score(await input(httpSpec(), { model: 'fake-a', promptId: 'p17', referenceRef: await put('cat') }));
    expect(out.reward).toBeCloseTo(fakeRewardOf('[q=0.800] cat', { offset: 0.1, scale: 0.2, noise: 0.01, seed: 3 }), 12);
    expect(fake.requests()[0]!.body).toEqual({
      prompt: 'Translate: chat',
      response: '[q=0.800] cat',
      model: 'fake-a',
      promptId: 'p17',
      reference: 'cat',
    });
    expect(fake.stats).toMatchObject({ requests: 1, scored: 1 });
  });

  test('optional fields are omitted when absent; the API key is sent as a bearer token', async () => {
    await score(await input(httpSpec({ apiKeyEnv: 'RM_KEY' })));
    const [req] = fake.requests();
    expect(req!.body).toEqual({ prompt: 'Translate: chat', response: '[q=0.800] cat' });
    expect(req!.authorization).toBe('Bearer rm-secret-abcdef');
  });

  test('missing API key variable → MissingApiKey naming the variable', async () => {
    const f = await expectFailure(scoreWith({})(await input(httpSpec({ apiKeyEnv: 'RM_KEY' }))));
    expect(f).toMatchObject({ type: 'MissingApiKey', nonRetryable: true });
    expect(f.message).toMatch(/RM_KEY.*not set/);
    expect(f.message).toContain(fake.url);
  });

  test('429 with Retry-After → RateLimited with nextRetryDelay', async () => {
    fake.setFaults([{ kind: 'rate-limit', retryAfterSeconds: 2.5 }]);
    const f = await expectFailure(score(await input()));
    expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 2500 });
    expect(f.message).toContain(`reward http: POST ${fake.url}: HTTP 429`);
  });

  test('5xx → ServerError; other 4xx → BadRequest; 401 → Unauthorized without the key', async () => {
    fake.setFaults([
      { kind: 'server-error', next: 1 },
      { kind: 'bad-request', next: 1 },
    ]);
    expect(await expectFailure(score(await input()))).toMatchObject({ type: 'ServerError', nonRetryable: false });
    const bad = await expectFailure(score(await input()));
    expect(bad).toMatchObject({ type: 'BadRequest', nonRetryable: true });
    expect(bad.message).toMatch(/HTTP 400: bad request \(fake fault\)/);
    const keyed = await startFakeReward({ apiKey: 'right-key' });
    try {
      const f = await expectFailure(score(await input({ type: 'http', url: keyed.url, apiKeyEnv: 'RM_KEY', timeoutSeconds: 1 })));
      expect(f).toMatchObject({ type: 'Unauthorized', nonRetryable: true });
      expect(f.message).not.toContain('rm-secret-abcdef');
    } finally {
      await keyed.close();
    }
  });

  test('hang → Timeout; reset and closed port → Unreachable', async () => {
    fake.setFaults([
      { kind: 'hang', next: 1 },
      { kind: 'reset', next: 1 },
    ]);
    expect(await expectFailure(score(await input()))).toMatchObject({ type: 'Timeout', nonRetryable: false });
    expect(await expectFailure(score(await input()))).toMatchObject({ type: 'Unreachable', nonRetryable: false });
    const closed = await startFakeReward();
    const url = closed.url;
    await closed.close();
    const f = await expectFailure(score(await input({ type: 'http', url, timeoutSeconds: 1 })));
    expect(f).toMatchObject({ type: 'Unreachable', nonRetryable: false });
    expect(f.message).toContain(url);
  });

  test.each([
    ['malformed-json', /body is not valid JSON/],
    ['missing-reward', /field "reward" is missing/],
    ['non-numeric-reward', /field "reward" is the string "high", expected a number/],
    ['null-reward', /field "reward" is null/],
  ] as const)('%s → non-retryable MalformedResponse', async (kind, pattern) => {
    fake.setFaults([{ kind }]);
    const f = await expectFailure(score(await input()));
    expect(f).toMatchObject({ type: 'MalformedResponse', nonRetryable: true });
    expect(f.message).toMatch(pattern);
    expect(f.message).toContain(fake.url);
  });

  test('cancellation inside an activity aborts the request', async () => {
    fake.setFaults([{ kind: 'hang' }]);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 300 });
    const running = env.run(score, await input(httpSpec({ timeoutSeconds: 30 })));
    await waitFor(() => fake.stats.inFlight === 1);
    env.cancel();
    expect(await running.catch((e: unknown) => e)).toBeInstanceOf(CancelledFailure);
    await waitFor(() => fake.stats.aborted === 1);
  });
});

describe('reward backend registry', () => {
  test('an unknown backend → non-retryable ConfigError naming it and the available ones', async () => {
    const f = await expectFailure(score(await input({ type: 'nope' } as unknown as RewardSpec)));
    expect(f).toMatchObject({ type: 'ConfigError', nonRetryable: true });
    expect(f.message).toMatch(/reward backend "nope" is not available \(available: http, vllm-reward, llm-judge, math-answer, chrf, weighted\)/);
  });

  test('a composite reward scores its components through the same registry', async () => {
    const weighted: RewardSpec = {
      type: 'weighted',
      components: [
        { weight: 2, reward: { type: 'chrf', charOrder: 6, beta: 2 } },
        { weight: 1, reward: httpSpec() },
        { weight: 0, reward: { type: 'math-answer' } }, // weight 0: never called (it would fail without a number)
      ],
    };
    const out = await score(await input(weighted, { referenceRef: await put('cat') }));
    expect(out.reward).toBeCloseTo(
      2 * sentenceChrf('[q=0.800] cat', 'cat') + fakeRewardOf('[q=0.800] cat', { offset: 0.1, scale: 0.2, noise: 0.01, seed: 3 }),
      12,
    );
  });

  test('a backend returning a non-finite number fails as MalformedResponse', async () => {
    const real = createRewardScorer({ env: {} });
    const s = scoreWith({}, async (spec, args) => (spec.type === 'math-answer' ? Number.NaN : real(spec, args)));
    const f = await expectFailure(s(await input({ type: 'math-answer' })));
    expect(f).toMatchObject({ type: 'MalformedResponse', nonRetryable: true });
    expect(f.message).toMatch(/math-answer.*NaN/);
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
