/**
 * Record digests: what produced a record, so a sweep never silently reuses a record made with
 * another method spec, agent, reward, template, prompt or reference. Each digest is the sha256
 * of a canonical JSON (or of the text itself), which is also its key in the response store:
 * the record writer stores those JSON texts, so a later start can read the old spec back and
 * say which field changed.
 *
 * What counts: the method spec (defaults applied); the agents the method uses (all of them,
 * unless its options name one: random and PRS use their `agent` only), each by name, baseURL,
 * model, systemPrompt and sampling, in order; the reward spec; the template overrides' refs;
 * the prompt and reference texts. Not counted, because they do not change what a model is
 * asked or how it is scored: the agents' apiKeyEnv, maxConcurrency, requestsPerSecond,
 * timeoutSeconds, parameters and pricing (compute estimates in old records keep the old ones),
 * and the rewards' apiKeyEnv and timeoutSeconds.
 */
import { canonicalJson } from '../common/canonicalJson';
import type { MethodDigests, RecordDigests, DigestName } from '../common/reuse';
import { DIGEST_NAMES } from '../common/reuse';
import type { TemplateRefs } from '../common/store';
import type { AgentConfig, RewardSpec } from '../config/schema';
import { methodDefinition, methodLabelOf, type MethodSpec } from '../search/methods';
import { textKey, type TextStore } from '../store';

/** The agents whose settings shape a method's results. */
export function agentsUsedBy(method: MethodSpec, agents: AgentConfig[]): AgentConfig[] {
  const named = new Set((methodDefinition(method.type).agentReferences?.(method) ?? []).map((r) => r.agent));
  return named.size === 0 ? agents : agents.filter((a) => named.has(a.name));
}

/** The part of an agent that shapes its answers. */
function agentIdentity(a: AgentConfig) {
  return { name: a.name, baseURL: a.baseURL, model: a.model, systemPrompt: a.systemPrompt, sampling: a.sampling };
}

/** The reward spec without what does not change a score (key variable names, timeouts), at any depth. */
function rewardIdentity(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewardIdentity);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => k !== 'apiKeyEnv' && k !== 'timeoutSeconds')
      .map(([k, v]) => [k, rewardIdentity(v)]),
  );
}

/** The canonical texts whose sha256 are a method's digests (stored so a later diff can read them). */
export function methodDigestTexts(input: {
  method: MethodSpec;
  agents: AgentConfig[];
  reward: RewardSpec;
  templates: TemplateRefs;
}): Record<keyof MethodDigests, string> {
  return {
    method: canonicalJson(input.method),
    agents: canonicalJson(agentsUsedBy(input.method, input.agents).map(agentIdentity)),
    reward: canonicalJson(rewardIdentity(input.reward)),
    templates: canonicalJson(input.templates),
  };
}

export function methodDigestsOf(input: Parameters<typeof methodDigestTexts>[0]): MethodDigests {
  const texts = methodDigestTexts(input);
  return { method: textKey(texts.method), agents: textKey(texts.agents), reward: textKey(texts.reward), templates: textKey(texts.templates) };
}

/** Expected digests of every method of a plan, by method label. */
export function planDigestsOf(plan: { methods: MethodSpec[]; agents: AgentConfig[]; reward: RewardSpec; templates: TemplateRefs }): Record<string, MethodDigests> {
  return Object.fromEntries(plan.methods.map((m) => [methodLabelOf(m), methodDigestsOf({ ...plan, method: m })]));
}

/** The full digests of one job: its method's, and its prompt's and reference's store keys. */
export function jobDigests(method: MethodDigests, promptRef: string, referenceRef?: string): RecordDigests {
  return { ...method, prompt: promptRef, ...(referenceRef === undefined ? {} : { reference: referenceRef }) };
}

/** The names whose digests differ (a reference present on one side only differs too). */
export function changedDigests(expected: RecordDigests, actual: RecordDigests): DigestName[] {
  return DIGEST_NAMES.filter((n) => expected[n] !== actual[n]);
}

/** Stores the canonical spec texts, so a later start can name the fields that changed. */
export async function storeDigestTexts(store: TextStore, texts: Record<keyof MethodDigests, string>): Promise<void> {
  for (const t of Object.values(texts)) await store.put(t);
}
