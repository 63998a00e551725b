/**
 * The one HTTP failure classifier (src/http/failures.ts) and the one vocabulary
 * (src/common/failures.ts): every status, header and transport error maps to one type, and
 * nothing secret reaches a message (messages go to histories, logs and the UI).
 */
import { NON_RETRYABLE_FAILURES, RETRYABLE_FAILURES, failure, isPlayContentFailure, isRetryableFailure } from '../../src/common/failures';
import { NON_RETRYABLE_FAILURES as POLICY_LIST } from '../../src/common/failures';
import { toRetryPolicy } from '../../src/common/retry';
import { retryAfterMs, safeUrl, statusFailure, transportFailure, type CallSite } from '../../src/http/failures';

const site: CallSite = { what: 'agent "a" (model m)', url: 'http://127.0.0.1:9/v1/chat/completions', secrets: ['sk-live-abcdef'] };

describe('status codes', () => {
  test.each([
    [429, 'RateLimited', false],
    [408, 'Timeout', false],
    [425, 'ServerError', false], // Too Early: the server asks to be asked again
    [500, 'ServerError', false],
    [503, 'ServerError', false],
    [501, 'BadRequest', true], // Not Implemented: waiting does not implement it
    [400, 'BadRequest', true],
    [404, 'BadRequest', true],
    [422, 'BadRequest', true],
    [401, 'Unauthorized', true],
    [403, 'Unauthorized', true],
  ] as const)('HTTP %i -> %s (nonRetryable %s)', (status, type, nonRetryable) => {
    const f = statusFailure(site, status, undefined, 'nope');
    expect(f).toMatchObject({ type, nonRetryable });
    expect(isRetryableFailure(type)).toBe(!nonRetryable);
  });

  test('retry-after-ms (OpenAI) wins over Retry-After; dates and seconds work; garbage is ignored; capped at 1 h', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }, now)).toBe(10_000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '999999' }, now)).toBe(3_600_000);
    expect(retryAfterMs(new Headers({ 'Retry-After-Ms': '40' }), now)).toBe(40);
    expect(statusFailure(site, 429, { 'retry-after': '2' })).toMatchObject({ type: 'RateLimited', nextRetryDelay: 2000 });
    expect(statusFailure(site, 503, { 'retry-after-ms': '1500' })).toMatchObject({ type: 'ServerError', nextRetryDelay: 1500 });
  });
});

describe('nothing secret in messages', () => {
  test('API keys echoed by the server are replaced', () => {
    const f = statusFailure(site, 401, undefined, { error: { message: 'Incorrect API key provided: sk-live-abcdef' } });
    expect(f.message).not.toContain('sk-live-abcdef');
    expect(f.message).toContain('***');
  });

  test('URLs lose their user info and query values, in messages and in failure details', () => {
    expect(safeUrl('https://user:pa55@rm.example/v1/score?key=AIzaSECRET&x=1')).toBe('https://***@rm.example/v1/score?key=***&x=***');
    expect(safeUrl('not a url?key=SECRET')).toBe('not a url?***');
    const leaky: CallSite = { what: 'reward http', url: 'https://bob:hunter2@rm.example/score?api_key=topsecret' };
    for (const f of [statusFailure(leaky, 500), statusFailure(leaky, 400), transportFailure(leaky, Object.assign(new Error('boom'), { code: 'ECONNREFUSED' }))]) {
      const text = `${f.message} ${JSON.stringify(f.details)}`;
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('topsecret');
      expect(text).toContain('rm.example/score');
    }
  });
});

describe('the vocabulary', () => {
  test('every type is either retryable or not, never both; failure() follows it', () => {
    const all = [...RETRYABLE_FAILURES, ...NON_RETRYABLE_FAILURES];
    expect(new Set(all).size).toBe(all.length);
    for (const t of RETRYABLE_FAILURES) expect(failure(t, 'x').nonRetryable).toBe(false);
    for (const t of NON_RETRYABLE_FAILURES) expect(failure(t, 'x').nonRetryable).toBe(true);
  });

  test('failures a prompt survives (onPlayFailure: continue): non-retryable, about the play\'s content; a 404/405/501 BadRequest is not', () => {
    const survived = [...RETRYABLE_FAILURES, ...NON_RETRYABLE_FAILURES].filter((t) => isPlayContentFailure(t));
    expect(survived).toEqual(['BadRequest', 'MalformedResponse', 'JudgeUnparseable']);
    expect(survived.every((t) => !isRetryableFailure(t))).toBe(true);
    const site: CallSite = { what: 'agent "a" (model m)', url: 'http://127.0.0.1:9/v1/chat/completions' };
    const statusOf = (f: { details?: unknown[] | null }) => (f.details?.[0] as { status: number }).status;
    for (const [code, kept] of [
      [400, true],
      [413, true],
      [422, true],
      [404, false],
      [405, false],
      [501, false],
    ] as const) {
      const f = statusFailure(site, code);
      expect([f.type, isPlayContentFailure(f.type!, statusOf(f))]).toEqual(['BadRequest', kept]);
    }
    expect(isPlayContentFailure('Unauthorized', 401)).toBe(false);
  });

  test('the workflows\' retry policy lists exactly the non-retryable types (one list, no copy)', () => {
    expect(toRetryPolicy(undefined).nonRetryableErrorTypes).toEqual([...POLICY_LIST]);
    expect(toRetryPolicy(undefined, { listNonRetryableTypes: false }).nonRetryableErrorTypes).toBeUndefined();
  });
});
