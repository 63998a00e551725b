/** weighted: sum of weight × component reward, components scored through the same registry. */
import type { RewardSpec } from '../../src/config/schema';
import { createRewardScorer, rewardEndpoints, rewardNeedsReference, REWARD_BACKENDS, rewardSchema, sentenceChrf } from '../../src/rewards';
import { scoreReward } from '../support/activities';
import { startHttpDouble } from './httpDouble';

const httpSpec: RewardSpec = { type: 'http', url: 'http://127.0.0.1:1/reward', timeoutSeconds: 5 };

describe('the reward registry', () => {
  it('has the six backends, each with a summary and a strict schema', () => {
    expect(REWARD_BACKENDS.map((b) => b.type)).toEqual(['http', 'vllm-reward', 'llm-judge', 'math-answer', 'chrf', 'weighted']);
    for (const b of REWARD_BACKENDS) expect(b.summary.length).toBeGreaterThan(10);
    expect(rewardSchema.safeParse({ type: 'chrf', bogus: 1 }).success).toBe(false);
    expect(rewardSchema.parse({ type: 'chrf' })).toEqual({ type: 'chrf', charOrder: 6, beta: 2 });
  });

  it('knows which specs need a reference and which endpoints they call, through composites', () => {
    const spec = rewardSchema.parse({
      type: 'weighted',
      components: [
        { weight: 1, reward: { type: 'http', url: 'http://rm.local/score', apiKeyEnv: 'RM_KEY' } },
        { weight: 1, reward: { type: 'weighted', components: [{ weight: 1, reward: { type: 'chrf' } }] } },
      ],
    });
    expect(rewardNeedsReference(spec)).toBe(true);
    expect(rewardNeedsReference(httpSpec)).toBe(false);
    expect(rewardEndpoints(spec)).toEqual([{ url: 'http://rm.local/score', apiKeyEnv: 'RM_KEY' }]);
    expect(rewardEndpoints(rewardSchema.parse({ type: 'vllm-reward', baseURL: 'http://v.local:8000/v1', model: 'rm' }))).toEqual([
      { url: 'http://v.local:8000/pooling', apiKeyEnv: undefined },
    ]);
  });
});

describe('weighted reward', () => {
  it('combines math-answer, chrf and an http component, each with its own spec', async () => {
    const score = createRewardScorer({ env: {} });
    const spec: RewardSpec = {
      type: 'weighted',
      components: [
        { weight: 2, reward: { type: 'math-answer' } },
        { weight: 0.01, reward: { type: 'chrf', charOrder: 6, beta: 2 } },
        { weight: -4, reward: httpSpec },
      ],
    };
    // The http component is answered by a local double below; check what each component received.
    const srv = await startHttpDouble();
    try {
      srv.script({ body: { reward: 0.25 } });
      const withDouble: RewardSpec = { ...spec, components: spec.components.map((c) => (c.reward.type === 'http' ? { ...c, reward: { ...httpSpec, url: `${srv.url}/reward` } } : c)) };
      const response = 'so the answer is \\boxed{42}';
      const v = await score(withDouble, { prompt: 'q', response, reference: '42', promptId: 'x' });
      expect(v).toBeCloseTo(2 * 1 + 0.01 * sentenceChrf(response, '42') - 4 * 0.25, 12);
      expect(srv.requests).toHaveLength(1);
      expect(srv.requests[0]!.body).toEqual({ prompt: 'q', response, reference: '42', promptId: 'x' });
    } finally {
      await srv.close();
    }
  });

  it('nested weighted works', async () => {
    const spec: RewardSpec = {
      type: 'weighted',
      components: [
        { weight: 0.5, reward: { type: 'math-answer' } },
        { weight: 1, reward: { type: 'weighted', components: [{ weight: 2, reward: { type: 'math-answer' } }] } },
      ],
    };
    await expect(scoreReward({ spec, prompt: 'q', response: '#### 5', reference: '5' })).resolves.toBe(0.5 + 2);
  });

  it('weight 0 skips the component (no call)', async () => {
    const srv = await startHttpDouble();
    try {
      const spec: RewardSpec = {
        type: 'weighted',
        components: [
          { weight: 0, reward: { ...httpSpec, url: `${srv.url}/reward` } },
          { weight: 1, reward: { type: 'math-answer' } },
        ],
      };
      await expect(scoreReward({ spec, prompt: 'q', response: '#### 5', reference: '5' })).resolves.toBe(1);
      expect(srv.requests).toHaveLength(0);
    } finally {
      await srv.close();
    }
  });

  it('a failing component fails the weighted reward with its own failure', async () => {
    const spec: RewardSpec = { type: 'weighted', components: [{ weight: 1, reward: { type: 'chrf', charOrder: 6, beta: 2 } }] };
    await expect(scoreReward({ spec, prompt: 'q', response: 'r', promptId: 'row-9' })).rejects.toMatchObject({
      type: 'MissingReference',
      nonRetryable: true,
    });
  });

  it('with an HTTP component (vllm-reward test double on 127.0.0.1)', async () => {
    const srv = await startHttpDouble();
    try {
      srv.script({ body: { data: [{ index: 0, object: 'pooling', data: [1.5] }] } });
      const spec: RewardSpec = {
        type: 'weighted',
        components: [
          { weight: 0.5, reward: { type: 'vllm-reward', baseURL: srv.url, model: 'rm', api: 'pooling', timeoutSeconds: 5 } },
          { weight: 1, reward: { type: 'math-answer' } },
        ],
      };
      await expect(scoreReward({ spec, prompt: 'q', response: '\\boxed{7}', reference: '7' })).resolves.toBe(1.75);
    } finally {
      await srv.close();
    }
  });
});
