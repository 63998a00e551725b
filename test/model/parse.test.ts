/** Request validation of the local model server (pure; no model needed). */
import { parseChatRequest, RequestError } from '../../src/model/server';

const messages = [{ role: 'user', content: 'hi' }];

function err(body: unknown): RequestError {
  try {
    parseChatRequest(body);
  } catch (e) {
    if (e instanceof RequestError) return e;
    throw e;
  }
  throw new Error('expected a RequestError');
}

test('defaults follow OpenAI: temperature 1, top_p 1, one choice, random seeds', () => {
  let next = 0;
  const p = parseChatRequest({ model: 'x', messages, n: 2 }, { random: () => ++next });
  expect(p.requestedModel).toBe('x');
  expect(p.choices).toHaveLength(2);
  expect(p.choices[0]).toMatchObject({ temperature: 1, topP: 1, topK: 0, stop: [], seed: 1 });
  expect(p.choices[1]!.seed).toBe(2);
  expect(p.stream).toBe(false);
});

test('seed i-th choice is seed+i, wrapped into uint32', () => {
  expect(parseChatRequest({ messages, seed: 7, n: 3 }).choices.map((c) => c.seed)).toEqual([7, 8, 9]);
  expect(parseChatRequest({ messages, seed: -1, n: 2 }).choices.map((c) => c.seed)).toEqual([2 ** 32 - 1, 0]);
});

test('roles, content parts and stop forms', () => {
  const p = parseChatRequest({
    messages: [
      { role: 'developer', content: 'be brief' },
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { role: 'assistant', content: null },
    ],
    stop: 'END',
    max_completion_tokens: 9,
  });
  expect(p.messages).toEqual([
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'ab' },
    { role: 'assistant', content: '' },
  ]);
  expect(p.choices[0]).toMatchObject({ stop: ['END'], maxTokens: 9 });
  expect(parseChatRequest({ messages, stop: ['a', ''] }).choices[0]!.stop).toEqual(['a']);
});

test.each([
  [null, null],
  [{ messages: [] }, 'messages'],
  [{ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role'],
  [{ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }, 'messages[0].content'],
  [{ messages, temperature: 3 }, 'temperature'],
  [{ messages, top_p: 0 }, 'top_p'],
  [{ messages, max_tokens: 0 }, 'max_tokens'],
  [{ messages, max_tokens: 1.5 }, 'max_tokens'],
  [{ messages, n: 17 }, 'n'],
  [{ messages, stop: [1] }, 'stop'],
  [{ messages, tools: [{ type: 'function' }] }, 'tools'],
  [{ messages, logprobs: true }, 'logprobs'],
  [{ messages, response_format: { type: 'json_object' } }, 'response_format'],
  [{ messages, model: 3 }, 'model'],
])('rejects %j (param %s) with 400', (body, param) => {
  const e = err(body);
  expect(e.status).toBe(400);
  expect(e.type).toBe('invalid_request_error');
  expect(e.param).toBe(param);
});
