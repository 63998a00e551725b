/**
 * vllm-reward against a REAL HTTP server on 127.0.0.1 (test double of vLLM's /pooling,
 * /classify and /score endpoints, see httpDouble.ts; shapes from vLLM's protocol classes).
 */
import type { RewardSpec } from '../../src/config/schema';
import { extractVllmReward } from '../../src/rewards/vllmReward';
import { scoreReward } from '../support/activities';
import { closedPort, startHttpDouble, type HttpDouble } from './httpDouble';

const pooling = (data: unknown) => ({ id: 'pool-1', object: 'list', created: 1, model: 'rm', data: [{ index: 0, object: 'pooling', data }], usage: {} });

describe('extractVllmReward (response shapes)', () => {
  it.each([
    ['pooling scalar', 'pooling', pooling(1.25), 1.25],
    ['pooling [r] (sequence reward head)', 'pooling', pooling([-3.28]), -3.28],
    ['pooling multi-objective (ArmoRM-style): first element', 'pooling', pooling([0.12, 0.5, 0.7]), 0.12],
    ['pooling per-token [[r],...]: last token', 'pooling', pooling([[0.1], [0.2], [0.9]]), 0.9],
    ['classify 1 class', 'classify', { data: [{ index: 0, label: 'LABEL_0', probs: [2.5], num_classes: 1 }] }, 2.5],
    ['classify 2 classes: positive', 'classify', { data: [{ index: 0, label: 'good', probs: [0.2, 0.8], num_classes: 2 }] }, 0.8],
    ['score', 'score', { data: [{ index: 0, object: 'score', score: 0.73 }] }, 0.73],
  ] as const)('%s', (_n, api, body, expected) => {
    expect(extractVllmReward(api, body)).toBe(expected);
  });

  it.each([
    ['no data', 'pooling', {}],
    ['empty data', 'pooling', { data: [] }],
    ['base64 string', 'pooling', pooling('AAAA')],
    ['NaN-ish', 'pooling', pooling([null])],
    ['3 classes', 'classify', { data: [{ probs: [0.1, 0.2, 0.7] }] }],
    ['score missing', 'score', { data: [{ index: 0 }] }],
  ] as const)('malformed: %s', (_n, api, body) => {
    expect(typeof extractVllmReward(api, body)).toBe('string');
  });
});

describe('vllm-reward backend (HTTP test double)', () => {
  let srv: HttpDouble;
  beforeAll(async () => {
    srv = await startHttpDouble();
  });
  afterAll(() => srv.close());

  type VSpec = Extract<RewardSpec, { type: 'vllm-reward' }>;
  const spec = (over: Partial<VSpec> = {}): VSpec => ({
    type: 'vllm-reward',
    baseURL: srv.url,
    model: 'Skywork/Skywork-Reward-V2',
    api: 'pooling',
    timeoutSeconds: 5,
    ...over,
  });
  const call = (s: RewardSpec = spec(), env: NodeJS.ProcessEnv = {}) =>
    scoreReward({ spec: s, prompt: 'Say hi', response: 'Hi!', env, promptId: 'p7' });

  it('pooling: POST /pooling with chat messages, returns the scalar', async () => {
    srv.script({ body: pooling([4.5]) });
    await expect(call()).resolves.toBe(4.5);
    const r = srv.requests[0];
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/pooling');
    expect(r.body).toEqual({
      model: 'Skywork/Skywork-Reward-V2',
      messages: [
        { role: 'user', content: 'Say hi' },
        { role: 'assistant', content: 'Hi!' },
      ],
    });
    expect(r.headers.authorization).toBeUndefined();
  });

  it('classify: POST /classify, positive-class probability; bearer key from apiKeyEnv; /v1 suffix tolerated', async () => {
    srv.script({ body: { data: [{ index: 0, label: 'pos', probs: [0.3, 0.7], num_classes: 2 }] } });
    await expect(call(spec({ api: 'classify', baseURL: `${srv.url}/v1/`, apiKeyEnv: 'RM_KEY' }), { RM_KEY: 'k-123' })).resolves.toBe(0.7);
    expect(srv.requests[0].path).toBe('/classify');
    expect(srv.requests[0].headers.authorization).toBe('Bearer k-123');
    expect((srv.requests[0].body as { messages: unknown[] }).messages).toHaveLength(2);
  });

  it('score: POST /score with text_1 = prompt, text_2 = response', async () => {
    srv.script({ body: { data: [{ index: 0, object: 'score', score: -1.5 }] } });
    await expect(call(spec({ api: 'score' }))).resolves.toBe(-1.5);
    expect(srv.requests[0].path).toBe('/score');
    expect(srv.requests[0].body).toEqual({ model: 'Skywork/Skywork-Reward-V2', text_1: 'Say hi', text_2: 'Hi!' });
  });

  it('429 -> retryable RateLimited with Retry-After as nextRetryDelay', async () => {
    srv.script({ status: 429, headers: { 'retry-after': '2' }, body: { error: 'too many' } });
    await expect(call()).rejects.toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 2000 });
  });

  it('500 / 502 / 503 -> retryable ServerError', async () => {
    for (const status of [500, 502, 503]) {
      srv.script({ status, body: 'upstream error' });
      await expect(call()).rejects.toMatchObject({ type: 'ServerError', nonRetryable: false });
    }
  });

  it('400 / 404 -> non-retryable BadRequest, one line with the URL and the server message, no key', async () => {
    srv.script({ status: 404, body: { object: 'error', message: 'The model `x` does not exist.\nCheck k-123', code: 404 } });
    const err = (await call(spec({ apiKeyEnv: 'RM_KEY' }), { RM_KEY: 'k-123' }).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ type: 'BadRequest', nonRetryable: true });
    expect(err.message).toContain(`vllm-reward: POST ${srv.url}/pooling: HTTP 404`);
    expect(err.message).toContain('does not exist');
    expect(err.message).not.toContain('k-123');
    expect(err.message).not.toContain('\n');
    srv.script({ status: 400, body: { message: 'bad request' } });
    await expect(call()).rejects.toMatchObject({ type: 'BadRequest', nonRetryable: true });
  });

  it('200 with a non-JSON body or the wrong shape -> non-retryable MalformedResponse', async () => {
    srv.script({ status: 200, body: '<html>proxy login</html>' });
    await expect(call()).rejects.toMatchObject({ type: 'MalformedResponse', nonRetryable: true });
    srv.script({ body: { data: [{ index: 0, probs: [0.1, 0.2, 0.7] }] } });
    await expect(call(spec({ api: 'classify' }))).rejects.toMatchObject({
      type: 'MalformedResponse',
      nonRetryable: true,
      message: expect.stringContaining('3 classes'),
    });
    srv.script({ body: { data: [{ index: 0, score: 'high' }] } });
    await expect(call(spec({ api: 'score' }))).rejects.toMatchObject({ type: 'MalformedResponse', nonRetryable: true });
  });

  it('timeout -> retryable Timeout', async () => {
    srv.script({ delayMs: 1500, body: pooling(1) });
    await expect(call(spec({ timeoutSeconds: 0.3 }))).rejects.toMatchObject({ type: 'Timeout', nonRetryable: false });
  });

  it('connection refused -> retryable Unreachable', async () => {
    const port = await closedPort();
    await expect(call(spec({ baseURL: `http://127.0.0.1:${port}` }))).rejects.toMatchObject({
      type: 'Unreachable',
      nonRetryable: false,
    });
  });

  it('caller cancellation is propagated as is', async () => {
    srv.script({ delayMs: 1000, body: pooling(1) });
    const ac = new AbortController();
    const p = scoreReward({ spec: spec(), prompt: 'p', response: 'r', env: {}, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('activity cancelled')), 50);
    await expect(p).rejects.toThrow('activity cancelled');
  });
});
