/** weighted: sum of weight x component reward, components resolved in the registry given to makeWeighted. */
import type { RewardSpec } from '../../src/config/schema';
import { makeRewardBackends, makeWeighted, rewardBackends, sentenceChrf } from '../../src/rewards';
import type { RewardArgs, RewardRegistry } from '../../src/rewards';
import { startHttpDouble } from './httpDouble';

const httpSpec: RewardSpec = { type: 'http', url: 'http://127.0.0.1:1/reward', timeoutSeconds: 5 };

describe('weighted reward', () => {
  it('the default map has the five built-in backends', () => {
    expect(Object.keys(rewardBackends).sort()).toEqual(['chrf', 'llm-judge', 'math-answer', 'vllm-reward', 'weighted']);
  });

  it('combines math-answer, chrf and an injected http backend', async () => {
    const seen: RewardArgs[] = [];
    const http = async (a: RewardArgs) => {
      seen.push(a);
      return 0.25;
    };
    const registry = makeRewardBackends({ http });
    const spec: RewardSpec = {
      type: 'weighted',
      components: [
        { weight: 2, reward: { type: 'math-answer' } },
        { weight: 0.01, reward: { type: 'chrf', charOrder: 6, beta: 2 } },
        { weight: -4, reward: httpSpec },
      ],
    };
    const response = 'so the answer is \\boxed{42}';
    const v = await registry.weighted({ spec, prompt: 'q', response, reference: '42', promptId: 'x', env: {} });
    expect(v).toBeCloseTo(2 * 1 + 0.01 * sentenceChrf(response, '42') - 4 * 0.25, 12);
    expect(seen).toHaveLength(1);
    expect(seen[0].spec).toBe(httpSpec); // the component's own spec, other args passed through
    expect(seen[0]).toMatchObject({ prompt: 'q', response, reference: '42', promptId: 'x' });
  });

  it('makeWeighted takes the full registry (e.g. the http owner\'s) and resolves lazily; nested weighted works', async () => {
    const registry: RewardRegistry = {};
    registry.weighted = makeWeighted(registry);
    registry.http = async () => 3; // added after makeWeighted
    const spec: RewardSpec = {
      type: 'weighted',
      components: [
        { weight: 0.5, reward: httpSpec },
        { weight: 1, reward: { type: 'weighted', components: [{ weight: 2, reward: httpSpec }] } },
      ],
    };
    await expect(registry.weighted({ spec, prompt: 'q', response: 'r', env: {} })).resolves.toBe(0.5 * 3 + 2 * 3);
  });

  it('weight 0 skips the component (no call)', async () => {
    let calls = 0;
    const registry = makeRewardBackends({ http: async () => (calls++, 1) });
    const spec: RewardSpec = { type: 'weighted', components: [{ weight: 0, reward: httpSpec }, { weight: 1, reward: { type: 'math-answer' } }] };
    await expect(registry.weighted({ spec, prompt: 'q', response: '#### 5', reference: '5', env: {} })).resolves.toBe(1);
    expect(calls).toBe(0);
  });

  it('a component type missing from the registry -> non-retryable InvalidRewardSpec', async () => {
    const spec: RewardSpec = { type: 'weighted', components: [{ weight: 1, reward: httpSpec }] };
    await expect(rewardBackends.weighted({ spec, prompt: 'q', response: 'r', env: {} })).rejects.toMatchObject({
      type: 'InvalidRewardSpec',
      nonRetryable: true,
      message: expect.stringContaining('"http"'),
    });
  });

  it('a failing component fails the weighted reward with its own failure', async () => {
    const spec: RewardSpec = { type: 'weighted', components: [{ weight: 1, reward: { type: 'chrf', charOrder: 6, beta: 2 } }] };
    await expect(rewardBackends.weighted({ spec, prompt: 'q', response: 'r', promptId: 'row-9', env: {} })).rejects.toMatchObject({
      type: 'MissingReference',
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
      await expect(rewardBackends.weighted({ spec, prompt: 'q', response: '\\boxed{7}', reference: '7', env: {} })).resolves.toBe(1.75);
    } finally {
      await srv.close();
    }
  });

  it('backends reject a spec of another type', async () => {
    await expect(rewardBackends.chrf({ spec: { type: 'math-answer' }, prompt: 'q', response: 'r', reference: 'r', env: {} })).rejects.toMatchObject({
      type: 'InvalidRewardSpec',
      nonRetryable: true,
    });
  });
});
