/** The test doubles themselves: determinism, fault scheduling, control endpoints. */
import OpenAI from 'openai';
import { FaultPlan } from '../../src/testing/common';
import { fakeAnswer, fakeControl, startFakeOpenAI } from '../support/fakeOpenAI';
import { fakeRewardControl, fakeRewardOf, startFakeReward } from '../support/fakeReward';

describe('fault plans', () => {
  test('next n, every k-th, per model, and seeded probability', () => {
    const p = new FaultPlan(
      [
        { kind: 'a', model: 'm1', next: 2 },
        { kind: 'b', every: 3 },
      ],
      0,
    );
    const got = ['m1', 'm2', 'm1', 'm1', 'm2', 'm2'].map((m) => p.pick(m)?.kind ?? '-');
    // rule b counts every request (including those rule a won): 3rd and 6th fire
    expect(got).toEqual(['a', '-', 'a', '-', '-', 'b']);
    const draw = (seed: number): string => {
      const q = new FaultPlan([{ kind: 'x', probability: 0.3 }], seed);
      return Array.from({ length: 200 }, () => (q.pick(undefined) ? '1' : '0')).join('');
    };
    expect(draw(1)).toBe(draw(1));
    expect(draw(1)).not.toBe(draw(2));
    const ones = draw(1)
      .split('')
      .filter((c) => c === '1').length;
    expect(ones).toBeGreaterThan(30);
    expect(ones).toBeLessThan(90);
    expect(() => new FaultPlan([{ kind: 'x', next: 1, every: 2 }])).toThrow(/at most one/);
    expect(() => new FaultPlan([{ kind: 'nope' }], 0, ['x'])).toThrow(/unknown fault kind/);
  });
});

describe('fake OpenAI server', () => {
  test('serves the openai client; quality tokens follow the model spec; refinement carries quality', async () => {
    const fake = await startFakeOpenAI({
      models: { good: { quality: 0.9, noise: 0 }, bad: { quality: 0.1, noise: 0, carry: 0.5, gain: 0 } },
    });
    try {
      const client = new OpenAI({ baseURL: fake.url, apiKey: 'x', maxRetries: 0 });
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).toEqual(['good', 'bad']);
      const r = await client.chat.completions.create({ model: 'good', messages: [{ role: 'user', content: 'hi' }] });
      const text = r.choices[0]!.message.content!;
      expect(text.startsWith('[q=0.900] good answer')).toBe(true);
      expect(r.usage!.completion_tokens).toBe(24);
      const refined = await client.chat.completions.create({
        model: 'bad',
        messages: [{ role: 'user', content: `improve: ${text}` }],
      });
      expect(refined.choices[0]!.message.content!.startsWith('[q=0.500]')).toBe(true);
      // without a seed, identical requests differ by their repeat count
      const again = await client.chat.completions.create({ model: 'good', messages: [{ role: 'user', content: 'hi' }] });
      expect(again.choices[0]!.message.content).not.toBe(text);
      expect(
        fakeAnswer({ model: 'good', messages: [{ role: 'user', content: 'hi' }], repeat: 1 }, { quality: 0.9, noise: 0 }).text,
      ).toBe(again.choices[0]!.message.content);
      expect(fake.stats.byModel.good).toMatchObject({ requests: 2, completions: 2 });
    } finally {
      await fake.close();
    }
  });

  test('control endpoints change faults and read counters from outside the process', async () => {
    const fake = await startFakeOpenAI();
    try {
      const ctl = fakeControl(fake.url);
      await ctl.setFaults([{ kind: 'server-error', next: 1 }]);
      const t0 = Date.now();
      const post = (): Promise<Response> =>
        fetch(`${fake.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
        });
      expect((await post()).status).toBe(500);
      expect((await post()).status).toBe(200);
      const stats = await ctl.stats();
      expect(stats).toMatchObject({ requests: 2, completions: 1, faults: { 'server-error': 1 } });
      const logged = await ctl.requests();
      expect(logged.map((r) => r.fault ?? null)).toEqual(['server-error', null]);
      // Arrival times (rate-limit measurements use them): in order, within this test's run.
      expect(logged[0]!.receivedAt).toBeGreaterThanOrEqual(t0);
      expect(logged[1]!.receivedAt).toBeGreaterThanOrEqual(logged[0]!.receivedAt);
      expect(logged[1]!.receivedAt).toBeLessThanOrEqual(Date.now());
      await ctl.reset();
      expect((await ctl.stats()).requests).toBe(0);
    } finally {
      await fake.close();
    }
  });

  test('close() ends hung requests', async () => {
    const fake = await startFakeOpenAI({ faults: [{ kind: 'hang' }] });
    const pending = fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await fake.close();
    expect(((await pending) as Error).message).toMatch(/fetch failed/);
  });
});

describe('fake reward server', () => {
  test('deterministic reward from the quality token, control endpoints', async () => {
    const fake = await startFakeReward({ scale: 2, offset: -1 });
    try {
      const res = await fetch(fake.url, { method: 'POST', body: JSON.stringify({ prompt: 'p', response: 'x [q=0.750] y' }) });
      expect(await res.json()).toEqual({ reward: 0.5 });
      expect(fakeRewardOf('no token')).toBe(fakeRewardOf('no token'));
      expect(fakeRewardOf('no token')).toBeLessThan(0.1);
      const ctl = fakeRewardControl(fake.url);
      await ctl.setFaults([{ kind: 'missing-reward', model: 'm1' }]);
      const r2 = await fetch(fake.url, { method: 'POST', body: JSON.stringify({ prompt: 'p', response: 'r', model: 'm1' }) });
      expect(await r2.json()).toEqual({});
      expect(await ctl.stats()).toMatchObject({ requests: 2, scored: 1, byModel: { m1: { requests: 1, faults: 1 } } });
      const bad = await fetch(fake.url, { method: 'POST', body: JSON.stringify({ prompt: 1 }) });
      expect(bad.status).toBe(400);
    } finally {
      await fake.close();
    }
  });
});
