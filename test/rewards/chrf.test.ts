/**
 * chrF vs sacreBLEU: the fixture holds scores computed by sacreBLEU 2.6.0
 * (see fixtures/gen_chrf_sacrebleu.py and the fixture's `python_call`).
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { corpusChrf, sentenceChrf } from '../../src/rewards/chrf';
import { scoreReward } from '../support/activities';
import type { RewardSpec } from '../../src/config/schema';

interface Case {
  name: string;
  hypothesis: string;
  references: string[];
  score: number;
  charOrder?: number;
  beta?: number;
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'chrf-sacrebleu.json'), 'utf8')) as {
  sacrebleu_version: string;
  sentence: Case[];
  corpus: { hypotheses: string[]; references: string[][]; score: number };
  params: Case[];
};

describe('chrF matches sacreBLEU', () => {
  it('fixture is from sacreBLEU 2.x and has ~30 sentence pairs', () => {
    expect(fixture.sacrebleu_version).toMatch(/^2\./);
    expect(fixture.sentence.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixture.sentence.map((c) => [c.name, c] as const))('sentence: %s', (_name, c) => {
    expect(Math.abs(sentenceChrf(c.hypothesis, c.references) - c.score)).toBeLessThan(1e-6);
  });

  it.each(fixture.params.map((c) => [c.name, c] as const))('char_order=4, beta=1: %s', (_name, c) => {
    expect(Math.abs(sentenceChrf(c.hypothesis, c.references, { charOrder: c.charOrder, beta: c.beta }) - c.score)).toBeLessThan(1e-6);
  });

  it('corpus level', () => {
    const { hypotheses, references, score } = fixture.corpus;
    expect(Math.abs(corpusChrf(hypotheses, references) - score)).toBeLessThan(1e-6);
  });

  it('corpus of one sentence equals the sentence score', () => {
    const c = fixture.sentence[0];
    expect(corpusChrf([c.hypothesis], [c.references])).toBeCloseTo(sentenceChrf(c.hypothesis, c.references), 12);
  });
});

describe('chrf reward backend', () => {
  const spec: RewardSpec = { type: 'chrf', charOrder: 6, beta: 2 };
  it('returns the 0..100 sentence chrF against the reference', async () => {
    const c = fixture.sentence[0];
    const v = await scoreReward({ spec, prompt: 'translate', response: c.hypothesis, reference: c.references[0], env: {} });
    expect(Math.abs(v - c.score)).toBeLessThan(1e-6);
    await expect(scoreReward({ spec, prompt: 'p', response: 'same text', reference: 'same text', env: {} })).resolves.toBe(100);
  });
  it('missing reference -> non-retryable MissingReference naming the prompt', async () => {
    await expect(scoreReward({ spec, prompt: 'p', response: 'r', promptId: 'wmt-42', env: {} })).rejects.toMatchObject({
      type: 'MissingReference',
      nonRetryable: true,
      message: expect.stringMatching(/wmt-42.*dataset\.referenceField/),
    });
  });
});
