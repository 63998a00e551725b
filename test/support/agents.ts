/** Test helper: agent configurations pointing at a fake OpenAI server (defaults filled by the real schema). */
import { agentSchema, type AgentConfig } from '../../src/config/schema';

export function fakeAgent(
  baseURL: string,
  overrides: Partial<Omit<AgentConfig, 'sampling'>> & { sampling?: Partial<AgentConfig['sampling']> } = {},
): AgentConfig {
  const { sampling, ...rest } = overrides;
  return agentSchema.parse({
    name: rest.name ?? 'a1',
    model: rest.model ?? 'fake-a',
    baseURL,
    ...rest,
    sampling: sampling ?? {},
  });
}
