/**
 * Issue 15.0: sequential refinement shuffles per prompt. Every driver passes
 * promptSearchSeed(sweepSeed, promptId) as the strategy's seed, so two prompts of one sweep get
 * their own round orders (the authors shuffle per prompt), and one prompt always gets the same.
 */
import { methodSchema } from '../../../src/config/methodSchema';
import { createStrategy, promptSearchSeed } from '../../../src/search';
import { sequentialRounds } from '../../../src/search/baselines/sequential';
import { drive } from './drive';

const AGENTS = ['A', 'B', 'C', 'D'];

describe('sequential refinement: per-prompt round orders', () => {
  test('same sweep seed, two prompts: different orders; same prompt: the same orders', () => {
    const p1 = sequentialRounds(AGENTS, 16, promptSearchSeed(0, 'p1'));
    const p2 = sequentialRounds(AGENTS, 16, promptSearchSeed(0, 'p2'));
    expect(p1).not.toEqual(p2);
    expect(sequentialRounds(AGENTS, 16, promptSearchSeed(0, 'p1'))).toEqual(p1);
    // Seeding with the sweep seed alone (the old behaviour) gives every prompt the same orders.
    expect(sequentialRounds(AGENTS, 16, 0)).toEqual(sequentialRounds(AGENTS, 16, 0));
  });

  test('over a sweep of 40 prompts the first round order varies (24 orders of 4 agents)', () => {
    const firsts = new Set(
      Array.from({ length: 40 }, (_, i) => sequentialRounds(AGENTS, 4, promptSearchSeed(7, `prompt-${i}`))[0]!.join('')),
    );
    expect(firsts.size).toBeGreaterThan(8);
  });

  test('through the method registry: the strategy built with the per-prompt seed follows those orders', async () => {
    const spec = methodSchema.parse({ type: 'sequential' });
    const orderOf = async (promptId: string) => {
      const log = await drive(createStrategy(spec, { agents: AGENTS, budget: 8, seed: promptSearchSeed(3, promptId) }), 8, {
        reward: () => 0,
      });
      return log.actions.map((a) => a.agent);
    };
    const rounds = (promptId: string) => sequentialRounds(AGENTS, 8, promptSearchSeed(3, promptId));
    // Rounds run side by side: first every round's first agent, then the second agents, ...
    const interleaved = (r: string[][]) => [0, 1, 2, 3].flatMap((step) => r.map((round) => round[step]!));
    expect(await orderOf('x')).toEqual(interleaved(rounds('x')));
    expect(await orderOf('y')).toEqual(interleaved(rounds('y')));
    expect(await orderOf('x')).not.toEqual(await orderOf('y'));
  });
});
