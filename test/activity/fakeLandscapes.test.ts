/**
 * The fake OpenAI server (a TEST DOUBLE) as a landscape for the methods benchmark: aggregation
 * of answers by different models gains `synergy` per extra author; the default (0) leaves every
 * earlier answer unchanged. Real HTTP to the double through the openai client.
 */
import OpenAI from 'openai';
import { answerInputs, answerQuality, fakeAnswer, startFakeOpenAI } from '../support/fakeOpenAI';
import { LANDSCAPES } from '../../bench/landscapes';

describe('fake model landscapes', () => {
  test('answerInputs reads the quality token and the author of each quoted answer', () => {
    expect(answerInputs('x [q=0.700] sim-a answer 1: y\n[q=0.5] sim-b answer 2: z')).toEqual([
      { q: 0.7, author: 'sim-a' },
      { q: 0.5, author: 'sim-b' },
    ]);
  });

  test('the quality rule: carry·max + (1 − carry)·quality + gain + synergy·(authors − 1) + noise', () => {
    const spec = { quality: 0.5, noise: 0.1, carry: 0.8, gain: 0.02, synergy: 0.06 };
    // u = 0.5: no noise. Three inputs, two authors: .8·.7 + .2·.5 + .02 + .06 = .74
    expect(
      answerQuality(
        spec,
        [
          { q: 0.7, author: 'a' },
          { q: 0.6, author: 'b' },
          { q: 0.2, author: 'a' },
        ],
        0.5,
      ),
    ).toBeCloseTo(0.74, 12);
    // One author: no synergy (a refinement).
    expect(answerQuality(spec, [{ q: 0.7, author: 'a' }], 0.5)).toBeCloseTo(0.68, 12);
    // Fresh: quality ± noise, clamped.
    expect(answerQuality(spec, [], 0)).toBeCloseTo(0.4, 12);
    expect(answerQuality({ quality: 0.95, noise: 0.1 }, [], 0.99)).toBe(1);
  });

  test('without synergy (the default) aggregation is a refinement of the best input, as before', () => {
    const messages = [
      { role: 'system', content: 'Responses:\n1. [q=0.600] m1 answer a: x\n2. [q=0.300] m2 answer b: y' },
      { role: 'user', content: 'Task' },
    ];
    const spec = { quality: 0.5, noise: 0, carry: 0.7, gain: 0.05 };
    expect(fakeAnswer({ model: 'm', messages, seed: 1 }, spec).quality).toBeCloseTo(0.7 * 0.6 + 0.3 * 0.5 + 0.05, 3);
  });

  test('over HTTP: an aggregate of three authors gains 2 × synergy over a refine of the same best answer', async () => {
    const fake = await startFakeOpenAI({ models: { agg: { quality: 0.5, noise: 0, carry: 0.8, gain: 0, synergy: 0.05 } } });
    try {
      const client = new OpenAI({ baseURL: fake.url, apiKey: 'test' });
      const ask = async (content: string) => {
        const r = await client.chat.completions.create({
          model: 'agg',
          messages: [
            { role: 'system', content },
            { role: 'user', content: 'Task' },
          ],
        });
        return answerInputs(r.choices[0]!.message.content!)[0]!;
      };
      const refine = await ask('[q=0.600] m1 answer a: x');
      const aggregate = await ask('[q=0.600] m1 answer a: x\n[q=0.400] m2 answer b: y\n[q=0.300] m3 answer c: z');
      expect(refine).toEqual({ q: 0.58, author: 'agg' });
      expect(aggregate.q).toBeCloseTo(0.68, 3);
    } finally {
      await fake.close();
    }
  });

  test('the benchmark landscapes are well-formed: four agents each, strongest fresh quality first', () => {
    expect(LANDSCAPES.map((l) => l.name)).toEqual(['refine-helps', 'refine-hurts', 'aggregate-helps', 'one-strong']);
    for (const l of LANDSCAPES) {
      const qualities = Object.values(l.pool).map((s) => s.quality ?? 0.5);
      expect(qualities).toHaveLength(4);
      expect(qualities[0]).toBe(Math.max(...qualities));
      expect(l.optimum.trueQuality).toBeGreaterThan(0);
      expect(l.optimum.trueQuality).toBeLessThanOrEqual(1);
    }
  });
});
