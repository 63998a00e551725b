/**
 * Default prompt templates and the pure function that turns an action into chat messages.
 * Documented in docs/templates.md; change a default only together with its version (`refine.v1`
 * → `refine.v2`), because records name the version that produced them.
 *
 * Placeholders are `{{name}}`, filled in one pass: text substituted into a template (a prompt
 * that itself contains "{{response}}", say) is never expanded again.
 */
import type { ActionKind } from '../search/types';

export type TemplateName = 'refine' | 'aggregate' | 'instruction';

export interface Template {
  /** Versioned id, e.g. `refine.v1`; `custom` for user overrides. */
  id: string;
  text: string;
}

/** Placeholders each template must contain, and the only ones it may contain. */
export const TEMPLATE_PLACEHOLDERS: Record<TemplateName, readonly string[]> = {
  refine: ['prompt', 'response'],
  aggregate: ['responses'],
  instruction: ['prompt'],
};

export const REFINE_V1: Template = {
  id: 'refine.v1',
  text: `Below are a question and an earlier answer to it. Write an improved answer to the question.

Keep what the earlier answer gets right, correct its mistakes and fill in what it misses. Reply with the improved answer only: include only content that is relevant to the question, and do not mention the earlier answer, this request or what you changed.

## Question

{{prompt}}

## Earlier answer

{{response}}`,
};

export const AGGREGATE_V1: Template = {
  id: 'aggregate.v1',
  text: `You are given several responses to the user's latest message, written by different assistants. Your task is to synthesize these responses into a single high-quality response.

Evaluate them critically: some of their content may be wrong, biased or incomplete. Do not simply copy one of them; combine their strengths, correct their errors and give an accurate, complete and well-organised answer to the user's message. Reply with that answer only, without mentioning the responses or these instructions.

Responses:

{{responses}}`,
};

/** Identity: the dataset prompt is sent as it is. */
export const INSTRUCTION_V1: Template = { id: 'instruction.v1', text: '{{prompt}}' };

export const DEFAULT_TEMPLATES: Readonly<Record<TemplateName, Template>> = Object.freeze({
  refine: REFINE_V1,
  aggregate: AGGREGATE_V1,
  instruction: INSTRUCTION_V1,
});

/** Template texts supplied by the caller (user overrides, already loaded); absent = default. */
export type TemplateOverrides = Partial<Record<TemplateName, string>>;

/** A template that cannot be used (missing or unknown placeholder); the caller's configuration is wrong. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface BuildMessagesArgs {
  kind: ActionKind;
  /** The original (dataset) prompt. */
  prompt: string;
  /** Texts of the action's inputs: [] for fresh, [parent] for refine, the K responses for aggregate. */
  inputs: string[];
  templates?: TemplateOverrides;
  /** The agent's system prompt: prepended to fresh and refine calls (aggregate uses its own system message). */
  systemPrompt?: string;
}

const PLACEHOLDER_RE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Checks that `text` has every required placeholder of `name` and no unknown one. */
export function validateTemplate(name: TemplateName, text: string): void {
  const allowed = TEMPLATE_PLACEHOLDERS[name];
  const seen = new Set<string>();
  for (const m of text.matchAll(PLACEHOLDER_RE)) seen.add(m[1]!);
  const unknown = [...seen].filter((p) => !allowed.includes(p));
  if (unknown.length > 0) {
    throw new TemplateError(
      `${name} template: unknown placeholder ${unknown.map((p) => `{{${p}}}`).join(', ')} (allowed: ${allowed.map((p) => `{{${p}}}`).join(', ')})`,
    );
  }
  const missing = allowed.filter((p) => !seen.has(p));
  if (missing.length > 0) {
    throw new TemplateError(`${name} template: missing placeholder ${missing.map((p) => `{{${p}}}`).join(', ')}`);
  }
}

/** Resolves the template to use: the override when given (validated), else the default. */
export function resolveTemplate(name: TemplateName, overrides?: TemplateOverrides): Template {
  const text = overrides?.[name];
  if (text === undefined) return DEFAULT_TEMPLATES[name];
  validateTemplate(name, text);
  return { id: 'custom', text };
}

/** Fills `{{name}}` placeholders in one pass. */
export function render(text: string, vars: Record<string, string>): string {
  return text.replace(PLACEHOLDER_RE, (whole, key: string) =>
    Object.prototype.hasOwnProperty.call(vars, key) ? vars[key]! : whole,
  );
}

/** How the K responses are listed in the aggregation system message. */
export function formatResponses(responses: string[]): string {
  return responses.map((r, i) => `### Response ${i + 1}\n\n${r.trim()}`).join('\n\n');
}

/** The prompt as shown to a model: the instruction template applied to the dataset prompt. */
export function instructionFor(prompt: string, overrides?: TemplateOverrides): string {
  return render(resolveTemplate('instruction', overrides).text, { prompt });
}

/**
 * Chat messages for one generation:
 * - fresh:     [system?] user = instruction(prompt)
 * - refine:    [system?] user = refine(prompt = instruction(prompt), response = inputs[0])
 * - aggregate: system = aggregate(responses = inputs), user = instruction(prompt)
 */
export function buildMessages(args: BuildMessagesArgs): ChatMessage[] {
  const { kind, prompt, inputs, templates, systemPrompt } = args;
  const question = instructionFor(prompt, templates);
  const system: ChatMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  switch (kind) {
    case 'fresh':
      if (inputs.length !== 0) throw new TemplateError(`fresh action takes no inputs, got ${inputs.length}`);
      return [...system, { role: 'user', content: question }];
    case 'refine': {
      if (inputs.length !== 1) throw new TemplateError(`refine action takes exactly 1 input, got ${inputs.length}`);
      const t = resolveTemplate('refine', templates);
      return [...system, { role: 'user', content: render(t.text, { prompt: question, response: inputs[0]! }) }];
    }
    case 'aggregate': {
      if (inputs.length < 1) throw new TemplateError('aggregate action needs at least 1 input, got 0');
      const t = resolveTemplate('aggregate', templates);
      return [
        { role: 'system', content: render(t.text, { responses: formatResponses(inputs) }) },
        { role: 'user', content: question },
      ];
    }
    default: {
      const never: never = kind;
      throw new TemplateError(`unknown action kind ${JSON.stringify(never)}`);
    }
  }
}

/** Versioned ids of the templates a call of this kind uses (for records and logs). */
export function templateIds(kind: ActionKind, overrides?: TemplateOverrides): string[] {
  const ids = [resolveTemplate('instruction', overrides).id];
  if (kind === 'refine') ids.push(resolveTemplate('refine', overrides).id);
  if (kind === 'aggregate') ids.push(resolveTemplate('aggregate', overrides).id);
  return ids;
}
