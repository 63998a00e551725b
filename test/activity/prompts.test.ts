import { AGGREGATE_V1, REFINE_V1, TemplateError, buildMessages, render, templateIds, validateTemplate } from '../../src/prompts';

describe('buildMessages', () => {
  test('fresh: the prompt as the user message, with the agent system prompt when set', () => {
    expect(buildMessages({ kind: 'fresh', prompt: 'What is 2+2?', inputs: [] })).toEqual([
      { role: 'user', content: 'What is 2+2?' },
    ]);
    expect(buildMessages({ kind: 'fresh', prompt: 'Q', inputs: [], systemPrompt: 'Be brief.' })).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Q' },
    ]);
  });

  test('refine: question and earlier answer in one user message, asking for an improved, relevant-only answer', () => {
    const msgs = buildMessages({ kind: 'refine', prompt: 'Name a prime.', inputs: ['9 is prime.'], systemPrompt: 'S' });
    expect(msgs).toHaveLength(2);
    expect(msgs[0]).toEqual({ role: 'system', content: 'S' });
    expect(msgs[1]!.role).toBe('user');
    const c = msgs[1]!.content;
    expect(c).toContain('Name a prime.');
    expect(c).toContain('9 is prime.');
    expect(c.indexOf('Name a prime.')).toBeLessThan(c.indexOf('9 is prime.'));
    expect(c).toMatch(/improved answer/);
    expect(c).toMatch(/only content that is relevant to the question/);
  });

  test('aggregate: the K responses in the system message, the prompt as the user message, no agent system prompt', () => {
    const msgs = buildMessages({ kind: 'aggregate', prompt: 'P?', inputs: ['one', 'two', 'three'], systemPrompt: 'ignored' });
    expect(msgs).toHaveLength(2);
    expect(msgs[0]!.role).toBe('system');
    expect(msgs[0]!.content).toMatch(/synthesize these responses into a single high-quality response/);
    expect(msgs[0]!.content).toContain('### Response 1\n\none\n\n### Response 2\n\ntwo\n\n### Response 3\n\nthree');
    expect(msgs[1]).toEqual({ role: 'user', content: 'P?' });
  });

  test('overrides replace defaults; instruction wraps the prompt everywhere; substitution is single-pass', () => {
    const templates = {
      instruction: 'Task: {{prompt}}',
      refine: 'Q={{prompt}} A={{ response }}',
      aggregate: 'Merge:\n{{responses}}',
    };
    expect(buildMessages({ kind: 'fresh', prompt: 'x {{response}}', inputs: [], templates })[0]!.content).toBe(
      'Task: x {{response}}',
    );
    expect(buildMessages({ kind: 'refine', prompt: 'q', inputs: ['{{prompt}}'], templates })[0]!.content).toBe(
      'Q=Task: q A={{prompt}}',
    );
    const agg = buildMessages({ kind: 'aggregate', prompt: 'q', inputs: ['r'], templates });
    expect(agg).toEqual([
      { role: 'system', content: 'Merge:\n### Response 1\n\nr' },
      { role: 'user', content: 'Task: q' },
    ]);
    expect(render('$& $1 {{a}}', { a: '$`' })).toBe('$& $1 $`');
    expect(templateIds('refine')).toEqual(['instruction.v1', 'refine.v1']);
    expect(templateIds('aggregate', templates)).toEqual(['custom', 'custom']);
  });

  test('bad templates and input counts are TemplateErrors with clear messages', () => {
    expect(() => validateTemplate('refine', 'only {{prompt}}')).toThrow(/missing placeholder \{\{response\}\}/);
    expect(() => validateTemplate('aggregate', '{{responses}} {{respones}}')).toThrow(/unknown placeholder \{\{respones\}\}/);
    expect(() => validateTemplate('refine', REFINE_V1.text)).not.toThrow();
    expect(() => validateTemplate('aggregate', AGGREGATE_V1.text)).not.toThrow();
    expect(() => buildMessages({ kind: 'refine', prompt: 'p', inputs: [] })).toThrow(TemplateError);
    expect(() => buildMessages({ kind: 'fresh', prompt: 'p', inputs: ['x'] })).toThrow(/no inputs/);
    expect(() => buildMessages({ kind: 'aggregate', prompt: 'p', inputs: [] })).toThrow(/at least 1/);
  });
});
