/**
 * llm-judge against a REAL HTTP server on 127.0.0.1 (test double of an OpenAI-compatible
 * /v1/chat/completions endpoint, see httpDouble.ts), plus unit tests of the score parser.
 */
import type { RewardSpec } from '../../src/config/schema';
import { DEFAULT_RUBRIC, normaliseJudgeScore, parseJudgeScore } from '../../src/rewards/llmJudge';
import { scoreReward } from '../support/activities';
import { closedPort, startHttpDouble, type HttpDouble } from './httpDouble';

const completion = (content: string | null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'judge',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
});

describe('parseJudgeScore', () => {
  it.each([
    ['Score: 8', 8],
    ['The response is accurate.\nScore: 8/10', 8],
    ['**Score:** 7', 7],
    ['**8**', 8],
    ['8.5', 8.5],
    ['  9  ', 9],
    ['{"score": 8}', 8],
    ['```json\n{"reasoning": "ok", "score": "6"}\n```', 6],
    ['Rating: [[4]]', 4],
    ['I would give it a score of 8 out of 10.', 8],
    ['Initial score: 3. After reflection, Score: 7', 7],
    ['Good answer. 4/5', 8],
    ['<think>maybe a score of 2</think>Score: 9', 9],
    ['score=10', 10],
    ['Score: 1', 1],
  ])('%j -> %d', (reply, expected) => {
    expect(parseJudgeScore(reply, 10)).toBe(expected);
  });

  it.each([['No idea.'], [''], ['Score: 11'], ['Score: 0'], ['Score: -3'], ['<think>Score: 8']])('%j -> undefined', (reply) => {
    expect(parseJudgeScore(reply, 10)).toBeUndefined();
  });

  it('other scales', () => {
    expect(parseJudgeScore('Score: 5', 5)).toBe(5);
    expect(parseJudgeScore('Score: 6', 5)).toBeUndefined();
    expect(parseJudgeScore('Score: 8/10', 5)).toBe(4);
  });

  it('normalises 1..scale to [0, 1]', () => {
    expect(normaliseJudgeScore(1, 10)).toBe(0);
    expect(normaliseJudgeScore(10, 10)).toBe(1);
    expect(normaliseJudgeScore(8, 10)).toBeCloseTo(7 / 9, 12);
    expect(normaliseJudgeScore(3, 5)).toBe(0.5);
    expect(normaliseJudgeScore(1, 1)).toBe(1);
  });
});

describe('llm-judge backend (HTTP test double)', () => {
  let srv: HttpDouble;
  beforeAll(async () => {
    srv = await startHttpDouble();
  });
  afterAll(() => srv.close());

  const spec = (over: Partial<Extract<RewardSpec, { type: 'llm-judge' }>> = {}): RewardSpec => ({
    type: 'llm-judge',
    baseURL: `${srv.url}/v1`,
    model: 'judge-model',
    apiKeyEnv: 'JUDGE_KEY',
    scale: 10,
    timeoutSeconds: 5,
    ...over,
  });
  const env = { JUDGE_KEY: 'sk-secret-123' };
  const call = (s: RewardSpec = spec()) =>
    scoreReward({ spec: s, prompt: 'What is 2+2?', response: '4', env, promptId: 'p1' });

  it('sends a temperature-0 chat request with the rubric and returns the normalised score', async () => {
    srv.script({ body: completion('Correct and concise.\nScore: 8') });
    await expect(call()).resolves.toBeCloseTo(7 / 9, 12);
    expect(srv.requests).toHaveLength(1);
    const r = srv.requests[0];
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/v1/chat/completions');
    expect(r.headers.authorization).toBe('Bearer sk-secret-123');
    const body = r.body as { model: string; temperature: number; messages: Array<{ role: string; content: string }> };
    expect(body.model).toBe('judge-model');
    expect(body.temperature).toBe(0);
    expect(body.messages[0]).toEqual({ role: 'system', content: DEFAULT_RUBRIC });
    expect(body.messages[1].content).toContain('What is 2+2?');
    expect(body.messages[1].content).toContain('1 to 10');
  });

  it('uses a custom rubric and scale', async () => {
    srv.script({ body: completion('{"score": 3}') });
    await expect(call(spec({ rubric: 'Judge only politeness.', scale: 5 }))).resolves.toBe(0.5);
    const body = srv.requests[0].body as { messages: Array<{ content: string }> };
    expect(body.messages[0].content).toBe('Judge only politeness.');
  });

  it('unparseable reply -> one follow-up in the same attempt, then the score', async () => {
    srv.script({ body: completion('The answer looks right to me.') }, { body: completion('Score: 10') });
    await expect(call()).resolves.toBe(1);
    expect(srv.requests).toHaveLength(2);
    const msgs = (srv.requests[1].body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(msgs[2]).toEqual({ role: 'assistant', content: 'The answer looks right to me.' });
    expect(msgs[3].role).toBe('user');
  });

  it('still unparseable -> non-retryable JudgeUnparseable quoting the reply', async () => {
    srv.script({ body: completion('I refuse to rate this.') });
    await expect(call()).rejects.toMatchObject({
      type: 'JudgeUnparseable',
      nonRetryable: true,
      message: expect.stringContaining('I refuse to rate this.'),
    });
    expect(srv.requests).toHaveLength(2);
  });

  it('null content counts as unparseable', async () => {
    srv.script({ body: completion(null) });
    await expect(call()).rejects.toMatchObject({ type: 'JudgeUnparseable', nonRetryable: true });
  });

  it('429 -> retryable RateLimited, Retry-After honoured', async () => {
    srv.script({ status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'slow down' } } });
    const err = await call().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ApplicationFailure', type: 'RateLimited', nonRetryable: false, nextRetryDelay: 7000 });
    expect((err as Error).message).toContain(`${srv.url}/v1/chat/completions`);
    expect(srv.requests).toHaveLength(1); // maxRetries 0: Temporal retries, not the client
  });

  it('500 / 503 -> retryable ServerError', async () => {
    for (const status of [500, 503]) {
      srv.script({ status, body: { error: { message: 'boom' } } });
      await expect(call()).rejects.toMatchObject({ type: 'ServerError', nonRetryable: false });
    }
  });

  it('400 / 401 / 404 -> non-retryable, one line naming the URL, never the key', async () => {
    for (const [status, type] of [[400, 'BadRequest'], [401, 'Unauthorized'], [404, 'BadRequest']] as const) {
      srv.script({ status, body: { error: { message: 'bad key sk-secret-123' } } });
      const err = (await call().catch((e: unknown) => e)) as Error & { type: string; nonRetryable: boolean };
      expect(err).toMatchObject({ type, nonRetryable: true });
      expect(err.message).toContain(`${srv.url}/v1/chat/completions`);
      expect(err.message).toContain(`HTTP ${status}`);
      expect(err.message).not.toContain('sk-secret-123');
      expect(err.message).not.toContain('\n');
    }
  });

  it('200 without choices -> non-retryable MalformedResponse', async () => {
    srv.script({ body: { id: 'x', object: 'chat.completion', choices: [] } });
    await expect(call()).rejects.toMatchObject({ type: 'MalformedResponse', nonRetryable: true });
  });

  it('timeout -> retryable Timeout', async () => {
    srv.script({ delayMs: 1500, body: completion('Score: 5') });
    await expect(call(spec({ timeoutSeconds: 0.3 }))).rejects.toMatchObject({ type: 'Timeout', nonRetryable: false });
  });

  it('connection refused -> retryable Unreachable', async () => {
    const port = await closedPort();
    await expect(call(spec({ baseURL: `http://127.0.0.1:${port}/v1` }))).rejects.toMatchObject({
      type: 'Unreachable',
      nonRetryable: false,
    });
  });

  it('apiKeyEnv not set on the worker -> non-retryable MissingApiKey naming the variable', async () => {
    await expect(scoreReward({ spec: spec(), prompt: 'p', response: 'r', env: {} })).rejects.toMatchObject({
      type: 'MissingApiKey',
      nonRetryable: true,
      message: expect.stringContaining('JUDGE_KEY'),
    });
  });

  it('caller cancellation is propagated, not turned into a retryable failure', async () => {
    srv.script({ delayMs: 1000, body: completion('Score: 5') });
    const ac = new AbortController();
    const p = scoreReward({ spec: spec(), prompt: 'p', response: 'r', env, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('activity cancelled')), 50);
    await expect(p).rejects.toThrow('activity cancelled');
  });
});
