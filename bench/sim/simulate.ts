/**
 * The fake landscapes without HTTP: a strategy driven in-process against answerQuality (the rule
 * fakeOpenAI.ts answers with) and the fake reward's rule (q + uniform noise), for fast design
 * iterations. Same distributions as the HTTP harness, different random streams.
 */
import { createStrategy, promptSearchSeed, type MethodSpec } from '../../src/search';
import { createPrng, deriveSeed } from '../../src/search/prng';
import { answerQuality, type AnswerInput } from '../../src/testing/fakeOpenAI';
import type { Landscape } from '../landscapes';
import { REWARD_NOISE } from '../landscapes';

export interface SimRun {
  best: number;
  bestQuality: number;
}

export function agentNames(l: Landscape): string[] {
  return Object.keys(l.pool).map((m, i) => `a${i + 1}-${m.slice(4)}`);
}

export function simulatePrompt(method: MethodSpec, l: Landscape, budget: number, seed: number, promptId: string): SimRun {
  const agents = agentNames(l);
  const models = Object.keys(l.pool);
  const strategy = createStrategy(method, { agents, budget, seed: promptSearchSeed(seed, promptId) });
  const noise = createPrng(deriveSeed(seed, 'sim-noise', promptId, method.label ?? method.type, budget));
  const made = new Map<string, AnswerInput>();
  const queue: Array<{ id: string; reward: number }> = [];
  while (!strategy.done()) {
    for (const a of strategy.next()) {
      const model = models[agents.indexOf(a.agent)]!;
      const inputs = a.inputs.map((id) => made.get(id)!);
      const q = Math.round(answerQuality(l.pool[model]!, inputs, noise.next()) * 1000) / 1000;
      made.set(a.id, { q, author: model });
      queue.push({ id: a.id, reward: q + REWARD_NOISE * (2 * noise.next() - 1) });
    }
    const o = queue.shift();
    if (!o) throw new Error('strategy proposed nothing while not done');
    strategy.observe({ actionId: o.id, reward: o.reward, promptTokens: 0, completionTokens: 0 });
  }
  const r = strategy.result();
  return { best: r.bestReward, bestQuality: made.get(r.bestId)!.q };
}
