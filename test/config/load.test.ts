import { promises as fsp, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { checkSweepEnvironment, ConfigError, loadSweepFile, parseSweepText } from '../../src/config/load';
import { sweepJsonSchema } from '../../src/config/jsonSchema';
import { tmpDir } from '../support/tmp';

const REPO = path.resolve(__dirname, '../..');
const EXAMPLES = path.join(REPO, 'examples');

const GOOD = `# a comment
name: t
dataset: { path: data.jsonl, referenceField: gold }
# math-answer scores against the reference
agents:
  - name: a
    baseURL: http://127.0.0.1:8090/v1
    model: m
  - name: b
    baseURL: http://127.0.0.1:8091/v1
    model: m
reward:
  type: math-answer
methods:
  - type: toa
  - type: random
    agent: a
budgets: [4]
`;

/** Parse text as if it were the file `sweep.yaml` (or .json) and return the ConfigError lines. */
function errorsOf(text: string, name = 'sweep.yaml'): string[] {
  try {
    parseSweepText(text, { file: path.join('/tmp/x', name), displayName: name });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => /\.(ya?ml|json)$/.test(f));
  it('has the documented example files', () => {
    expect(files.sort()).toEqual(
      ['alpacaeval-vllm.yaml', 'demo.yaml', 'gsm8k-math.yaml', 'gsm8k-smollm2.yaml', 'math500.yaml', 'openai.yaml', 'wmt22-chrf.yaml'].sort(),
    );
  });
  it.each(files)('%s validates and its dataset exists', async (f) => {
    const loaded = await loadSweepFile(path.join(EXAMPLES, f));
    expect(loaded.file).toBe(path.join(EXAMPLES, f));
    expect(loaded.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(path.isAbsolute(loaded.datasetPath)).toBe(true);
    // The data ships with the repository (data/): no example reads a file outside it.
    expect(path.relative(REPO, loaded.datasetPath)).toMatch(/^data\/[^/]+\.jsonl$/);
    expect(checkSweepEnvironment(loaded, { OPENAI_API_KEY: 'x' })).toEqual([]);
    for (const a of loaded.config.agents) expect(a.parameters).not.toBe(1e9); // parameter counts are set
  });
  it('demo.yaml is the small local sweep', async () => {
    const { config } = await loadSweepFile(path.join(EXAMPLES, 'demo.yaml'));
    expect(config.dataset.limit).toBe(4);
    expect(config.dataset.referenceField).toBe('en');
    expect(config.reward.type).toBe('chrf');
    expect(config.budgets).toEqual([3, 6]);
    expect(config.methods.map((m) => m.type)).toEqual(['toa', 'random', 'ensemble']);
    expect(config.methods[0]).toMatchObject({ tau: 10, alpha: 0.05, width: 'third' });
    expect(config.agents.every((a) => a.baseURL.startsWith('http://127.0.0.1:'))).toBe(true);
    expect(config.agents.every((a) => a.sampling.maxTokens <= 256)).toBe(true);
  });
  it('alpacaeval-vllm.yaml runs all six methods at N = 160', async () => {
    const { config } = await loadSweepFile(path.join(EXAMPLES, 'alpacaeval-vllm.yaml'));
    expect(new Set(config.methods.map((m) => m.type))).toEqual(
      new Set(['toa', 'random', 'prs', 'ensemble', 'sequential', 'moa']),
    );
    expect(config.budgets).toEqual([160]);
    expect(config.methods[0]).toMatchObject({ tau: 0.1, alpha: 0.01 });
  });
});

describe('loadSweepFile', () => {
  it('resolves paths against the sweep file folder and applies defaults', () => {
    const loaded = parseSweepText(GOOD + 'templates: { refine: t/refine.txt }\n', { file: '/srv/sweeps/s.yaml' });
    expect(loaded.datasetPath).toBe('/srv/sweeps/data.jsonl');
    expect(loaded.outputDir).toBe('/srv/sweeps/runs');
    expect(loaded.templatePaths).toEqual({ refine: '/srv/sweeps/t/refine.txt' });
    expect(loaded.config.seeds).toEqual([0]);
    expect(loaded.config.agents[0].sampling.temperature).toBe(0.7);
    expect(loaded.config.dataset.promptField).toBe('instruction');
  });

  it('hashes the canonical config: comments, formatting, key order, JSON vs YAML and spelled-out defaults do not matter', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const base = parseSweepText(GOOD, { file: path.join(dir, 'a.yaml') });
      const reformatted = parseSweepText(
        `budgets: [ 4 ]   # reordered\nmethods: [{type: toa, tau: 0.1}, {agent: a, type: random}]\n` +
          GOOD.replace(/methods:[\s\S]*$/, '').replace('# a comment\n', '') +
          'seeds: [0]\n',
        { file: path.join(dir, 'b.yaml') },
      );
      expect(reformatted.contentHash).toBe(base.contentHash);
      await fsp.writeFile(path.join(dir, 'c.json'), JSON.stringify(base.config, null, 2));
      expect((await loadSweepFile(path.join(dir, 'c.json'))).contentHash).toBe(base.contentHash);
      expect(
        parseSweepText(GOOD.replace('budgets: [4]', 'budgets: [8]'), { file: path.join(dir, 'a.yaml') }).contentHash,
      ).not.toBe(base.contentHash);
      // The same text elsewhere means other files: another id.
      expect(parseSweepText(GOOD, { file: path.join(dir, 'sub', 'a.yaml') }).contentHash).not.toBe(base.contentHash);
    } finally {
      cleanup();
    }
  });

  it('names the file in a read error and rejects unknown extensions', async () => {
    await expect(loadSweepFile('/nonexistent/sweep.yaml')).rejects.toThrow(/^\/nonexistent\/sweep\.yaml: cannot read/);
    await expect(loadSweepFile('/tmp/sweep.toml')).rejects.toThrow(ConfigError);
  });
});

describe('error messages name file:line:col and the field', () => {
  it('wrong type', () => {
    expect(errorsOf(GOOD.replace('budgets: [4]', 'budgets: [4, "x"]'))).toEqual([
      'sweep.yaml:18:14: budgets[1]: expected number, received string',
    ]);
  });
  it('unknown field, at the key', () => {
    expect(errorsOf(GOOD.replace('    model: m\n  - name: b', '    model: m\n    temprature: 0.5\n  - name: b'))).toEqual([
      'sweep.yaml:9:5: agents[0].temprature: unknown field',
    ]);
  });
  it('missing required field, at the parent object', () => {
    expect(errorsOf(GOOD.replace('    baseURL: http://127.0.0.1:8091/v1\n', ''))).toEqual([
      'sweep.yaml:9:5: agents[1].baseURL: required field is missing (expected string)',
    ]);
  });
  it('bad URL', () => {
    expect(errorsOf(GOOD.replace('http://127.0.0.1:8091/v1', 'not a url'))).toEqual([
      'sweep.yaml:10:14: agents[1].baseURL: Invalid URL',
    ]);
  });
  it('duplicate agent names', () => {
    expect(errorsOf(GOOD.replace('name: b', 'name: a'))).toEqual(['sweep.yaml:9:11: agents[1].name: duplicate agent name "a"']);
  });
  it('unknown agent in a method', () => {
    expect(errorsOf(GOOD.replace('agent: a', 'agent: zz'))).toEqual(['sweep.yaml:17:12: methods[1].agent: unknown agent "zz"']);
  });
  it('unknown method and reward types', () => {
    const lines = errorsOf(GOOD.replace('type: math-answer', 'type: bleu').replace('type: toa', 'type: mcts'));
    expect(lines).toEqual([
      expect.stringMatching(/^sweep\.yaml:13:9: reward\.type: unknown value "bleu" \(expected one of "http", .*"weighted"\)$/),
      expect.stringMatching(/^sweep\.yaml:15:11: methods\[0\]\.type: unknown value "mcts" \(expected one of "toa", /),
    ]);
  });
  it('a nested weighted reward', () => {
    const text = GOOD.replace(
      'reward:\n  type: math-answer\n',
      'reward:\n  type: weighted\n  components:\n    - weight: 1\n      reward: { type: chrf, beta: -1 }\n',
    );
    expect(errorsOf(text)).toEqual([
      expect.stringMatching(/^sweep\.yaml:16:35: reward\.components\[0\]\.reward\.beta: Too small/),
    ]);
  });
  it('several problems, one line each', () => {
    const lines = errorsOf(
      GOOD.replace('http://127.0.0.1:8091/v1', 'nope').replace('budgets: [4]', 'budgets: []').replace('model: m', 'model: ""'),
    );
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => /^sweep\.yaml:\d+:\d+: \S+: /.test(l))).toBe(true);
  });
  it('YAML syntax errors', () => {
    const lines = errorsOf(GOOD.replace('    model: m\n  - name: b', '    model: m\n   bad: [1, 2\n  - name: b'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^sweep\.yaml:\d+:\d+: YAML syntax error: /);
    expect(errorsOf('name: a\nname: b\n')[0]).toMatch(/^sweep\.yaml:2:1: YAML syntax error: .*[Uu]nique/);
  });
  it('JSON syntax errors', () => {
    expect(errorsOf('{\n  "name": "x",\n  "dataset": }\n', 'sweep.json')[0]).toMatch(/^sweep\.json:\d+:\d+: JSON syntax error: /);
  });
  it('JSON files get positions too', () => {
    const json = JSON.stringify(parseSweepText(GOOD, { file: '/tmp/x/s.yaml' }).config, null, 2).replace(
      '"http://127.0.0.1:8091/v1"',
      '"nope"',
    );
    expect(errorsOf(json, 'sweep.json')).toEqual([
      expect.stringMatching(/^sweep\.json:\d+:18: agents\[1\]\.baseURL: Invalid URL$/),
    ]);
  });
  it('a file that is not a mapping', () => {
    expect(errorsOf('- 1\n- 2\n')[0]).toMatch(/^sweep\.yaml:1:1: a sweep file holds a mapping/);
    expect(errorsOf('')[0]).toMatch(/^sweep\.yaml:1:1: /);
  });
  it('caps the number of lines', () => {
    const many = GOOD.replace('budgets: [4]', `budgets: [${Array.from({ length: 30 }, () => '"x"').join(', ')}]`);
    const lines = errorsOf(many);
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe('... and 10 more problems');
  });
});

describe('checkSweepEnvironment', () => {
  it('finds missing API key variables and missing files, naming field and line', () => {
    const text =
      GOOD.replace('    model: m\n  - name: b', '    model: m\n    apiKeyEnv: SOME_KEY\n  - name: b').replace(
        'type: math-answer',
        'type: llm-judge\n  baseURL: https://api.example.com/v1\n  model: j\n  apiKeyEnv: JUDGE_KEY',
      ) + 'templates:\n  refine: missing-refine.txt\n';
    const loaded = parseSweepText(text, { file: '/nonexistent-dir/sweep.yaml', displayName: 'sweep.yaml' });
    const problems = checkSweepEnvironment(loaded, { SOME_KEY: '', JUDGE_KEY: 'k' }).map(String);
    expect(problems).toEqual([
      'sweep.yaml:9:16: agents[0].apiKeyEnv: environment variable SOME_KEY (the API key of agent "a") is not set',
      'sweep.yaml:3:18: dataset.path: dataset file not found: /nonexistent-dir/data.jsonl',
      'sweep.yaml:24:11: templates.refine: template file not found: /nonexistent-dir/missing-refine.txt',
    ]);
    expect(checkSweepEnvironment(loaded, {}).map((p) => p.kind)).toEqual([
      'missing-env',
      'missing-env',
      'missing-file',
      'missing-file',
    ]);
  });
});

describe('sweepJsonSchema', () => {
  it('is a JSON Schema with the recursive reward as a named definition and defaults optional', () => {
    const s = sweepJsonSchema() as { properties: Record<string, unknown>; required: string[]; $defs: Record<string, unknown> };
    expect(s.required.sort()).toEqual(['agents', 'budgets', 'dataset', 'methods', 'name', 'reward']);
    expect(s.properties.reward).toEqual({ $ref: '#/$defs/Reward' });
    expect(JSON.stringify(s.$defs.Reward)).toContain('"#/$defs/Reward"');
    expect(JSON.stringify(s)).not.toContain('__schema');
    expect(() => JSON.parse(JSON.stringify(s))).not.toThrow();
  });
});
