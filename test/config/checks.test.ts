/**
 * Configuration errors found before any spend (issue 11, items 6 and 8): every check here used
 * to be found one paid prompt at a time, or threw without a file and line. Real files in a temp
 * folder; the messages name file, line, column and field.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadSweepFile, parseSweepText, type ParseOptions } from '../../src/config/load';
import { historyEventsOf, maxPlaysInFlight, temporalLimitsFrom, DEFAULT_TEMPORAL_LIMITS } from '../../src/config/limits';
import { methodSchema } from '../../src/config/schema';
import { preflightSweep } from '../../src/client/preflight';
import { tmpDir } from '../support/tmp';

const BASE = `name: t
dataset:
  path: data.jsonl
agents:
  - name: a
    baseURL: http://127.0.0.1:8090/v1
    model: m
  - name: b
    baseURL: http://127.0.0.1:8091/v1
    model: m
reward:
  type: http
  url: http://127.0.0.1:8092/score
methods:
  - type: toa
  - type: random
    agent: a
budgets: [4]
`;

function errorsOf(text: string, opts: Partial<ParseOptions> = {}): string[] {
  try {
    parseSweepText(text, { file: '/tmp/x/sweep.yaml', displayName: 'sweep.yaml', ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('a reward that needs a reference', () => {
  it('math-answer without dataset.referenceField is rejected at the dataset, naming the reward', () => {
    const text = BASE.replace('  type: http\n  url: http://127.0.0.1:8092/score\n', '  type: math-answer\n');
    expect(errorsOf(text)).toEqual([
      'sweep.yaml:3:3: dataset.referenceField: the math-answer reward (reward.type, line 12) scores against a reference: name the dataset field that holds it',
    ]);
    expect(() => parseSweepText(text.replace('  path: data.jsonl\n', '  path: data.jsonl\n  referenceField: gold\n'), { file: '/tmp/x/s.yaml' })).not.toThrow();
  });
  it('chrf inside a weighted reward too', () => {
    const text = BASE.replace(
      '  type: http\n  url: http://127.0.0.1:8092/score\n',
      '  type: weighted\n  components:\n    - weight: 1\n      reward: { type: http, url: "http://127.0.0.1:1/s" }\n    - weight: 1\n      reward: { type: chrf }\n',
    );
    expect(errorsOf(text)).toEqual([expect.stringMatching(/^sweep\.yaml:3:3: dataset\.referenceField: the chrf reward \(reward\.components\[1\]\.reward\.type, line 17\) scores against a reference/)]);
  });
});

describe('duplicates', () => {
  it('duplicate budgets and seeds are named at the second occurrence', () => {
    expect(errorsOf(BASE.replace('budgets: [4]', 'budgets: [4, 8, 4]\nseeds: [1, 1]'))).toEqual([
      'sweep.yaml:18:17: budgets[2]: duplicate budget 4 (also budgets[0]): each budget runs once per prompt',
      'sweep.yaml:19:12: seeds[1]: duplicate seed 1 (also seeds[0]): each seed runs once per prompt',
    ]);
  });
});

describe("Temporal's limits", () => {
  it("a budget whose prompt history would pass half of Temporal's event limit is rejected, naming the largest that fits", () => {
    const lines = errorsOf(BASE.replace('budgets: [4]', 'budgets: [4, 5000]'));
    expect(lines).toEqual([
      expect.stringMatching(
        /^sweep\.yaml:18:14: budgets\[1\]: budget 5000 would write up to 35,040 events to each prompt's workflow history; the limit is 51,200 \(limit\.historyCount\.error\) and a sweep keeps under half of it: budgets up to 3,651 fit/,
      ),
    ]);
    // Budget 3651 is the largest that fits (toa keeps one play in flight).
    expect(() => parseSweepText(BASE.replace('budgets: [4]', 'budgets: [3651]').replace('  - type: random\n    agent: a\n', ''), { file: '/tmp/x/s.yaml' })).not.toThrow();
  });

  it('plays in flight per prompt must stay below the pending-activity limit (random issues all N at once, toa one)', () => {
    expect(errorsOf(BASE.replace('budgets: [4]', 'budgets: [2500]'))).toEqual([
      "sweep.yaml:18:11: budgets[0]: methods[1] (random) at budget 2500 keeps up to 2500 plays in flight per prompt; Temporal allows 2,000 pending activities per workflow (limit.numPendingActivities.error, TOA_LIMIT_PENDING_ACTIVITIES)",
    ]);
    // A cluster with a raised limit: the same file passes.
    const limits = { ...DEFAULT_TEMPORAL_LIMITS, pendingActivities: 5000 };
    expect(() => parseSweepText(BASE.replace('budgets: [4]', 'budgets: [2500]'), { file: '/tmp/x/s.yaml', limits })).not.toThrow();
  });

  it('maxRunningPrompts must stay below the pending child-workflow limit', () => {
    expect(errorsOf(BASE + 'maxRunningPrompts: 2500\n')).toEqual([
      'sweep.yaml:19:20: maxRunningPrompts: 2500 running prompt workflows per sweep; Temporal allows 2,000 pending child workflows per workflow (limit.numPendingChildExecutions.error, TOA_LIMIT_PENDING_CHILDREN)',
    ]);
  });

  it('limits come from the environment, with the compose value 255 as the default ID length', () => {
    expect(temporalLimitsFrom({}).maxIdLength).toBe(255);
    expect(temporalLimitsFrom({ TOA_LIMIT_MAX_ID_LENGTH: '1000', TOA_LIMIT_PENDING_ACTIVITIES: '4000' })).toMatchObject({ maxIdLength: 1000, pendingActivities: 4000 });
    expect(() => temporalLimitsFrom({ TOA_LIMIT_MAX_ID_LENGTH: 'lots' })).toThrow(/TOA_LIMIT_MAX_ID_LENGTH: expected a whole number > 0, got "lots"/);
  });

  it('the history formula bounds the recorded promptSearch histories (budget 8) and is not far above them', () => {
    for (const m of ['toa', 'moa', 'sequential']) {
      const h = JSON.parse(readFileSync(path.join(__dirname, `../fixtures/histories/promptSearch-${m}.json`), 'utf8')) as { events: unknown[] };
      expect(h.events.length).toBeLessThanOrEqual(historyEventsOf(8));
      expect(historyEventsOf(8) - h.events.length).toBeLessThan(60);
    }
  });

  it('plays in flight are measured by running the strategy', () => {
    const agents = ['a', 'b', 'c', 'd'];
    expect(maxPlaysInFlight(methodSchema.parse({ type: 'toa' }), agents, 3000)).toBe(1);
    expect(maxPlaysInFlight(methodSchema.parse({ type: 'toa', parallelPlays: 8 }), agents, 3000)).toBe(8);
    expect(maxPlaysInFlight(methodSchema.parse({ type: 'random', agent: 'a' }), agents, 3000)).toBe(3000);
    expect(maxPlaysInFlight(methodSchema.parse({ type: 'prs', agent: 'a' }), agents, 3000)).toBe(1500);
  });
});

describe('YAML aliases', () => {
  it('an unresolved alias is a ConfigError at the alias, not a raw ReferenceError', () => {
    expect(errorsOf(BASE.replace('budgets: [4]', 'budgets: *budgets'))).toEqual([
      'sweep.yaml:18:10: YAML alias *budgets has no anchor &budgets before it',
    ]);
  });
  it('an alias bomb is refused with the alias named', () => {
    const bomb =
      'x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n' +
      Array.from({ length: 6 }, (_, i) => `x${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`).join('\n') +
      '\n';
    const lines = errorsOf(BASE + bomb);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sweep\.yaml:25:\d+: YAML aliases expand to more than 1000 nodes \(an alias bomb\?\): /);
  });
});

describe('files that are not UTF-8', () => {
  let tmp: ReturnType<typeof tmpDir>;
  beforeEach(() => (tmp = tmpDir('toa-checks-')));
  afterEach(() => tmp.cleanup());

  it('a sweep file with invalid UTF-8 names line and column', async () => {
    const file = path.join(tmp.dir, 'sweep.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from('name: t\n# caf'), Buffer.from([0xe9]), Buffer.from(`\n${BASE.slice('name: t\n'.length)}`)]));
    await expect(loadSweepFile(file)).rejects.toThrow(`${file}:2:6: not valid UTF-8: save the file as UTF-8`);
  });
});

describe('preflight: templates, prompt ids and the dataset, before anything is spent', () => {
  let tmp: ReturnType<typeof tmpDir>;
  beforeEach(() => (tmp = tmpDir('toa-checks-')));
  afterEach(() => tmp.cleanup());

  const row = (id: string, text = 'hi') => JSON.stringify({ id, instruction: text });

  function sweepIn(extra = '', dataLines = [row('p1'), row('p2')]): string {
    writeFileSync(path.join(tmp.dir, 'data.jsonl'), dataLines.join('\n') + '\n');
    const file = path.join(tmp.dir, 'sweep.yaml');
    writeFileSync(file, BASE + extra);
    return file;
  }

  async function problemsOf(file: string, opts?: Parameters<typeof preflightSweep>[2]): Promise<string[]> {
    try {
      await preflightSweep(file, {}, opts);
    } catch (err) {
      return (err as Error).message.split('\n').slice(1).map((l) => l.trim());
    }
    throw new Error('expected preflight to fail');
  }

  it('a refine template without {{response}} names the sweep file line, the field and the template file', async () => {
    writeFileSync(path.join(tmp.dir, 'refine.txt'), 'Improve the answer to {{prompt}}.');
    const file = sweepIn('templates:\n  refine: refine.txt\n');
    expect(await problemsOf(file)).toEqual([
      `${file}:20:11: templates.refine: ${path.join(tmp.dir, 'refine.txt')}: refine template: missing placeholder {{response}}`,
    ]);
  });

  it('a template that is not UTF-8 names its line', async () => {
    writeFileSync(path.join(tmp.dir, 'instr.txt'), Buffer.concat([Buffer.from('line one\n{{prompt}} '), Buffer.from([0xff, 0xfe])]));
    const file = sweepIn('templates:\n  instruction: instr.txt\n');
    expect(await problemsOf(file)).toEqual([
      `${file}:20:16: templates.instruction: ${path.join(tmp.dir, 'instr.txt')}:2:12: not valid UTF-8: save the file as UTF-8`,
    ]);
  });

  it("a prompt id that makes a workflow ID longer than the cluster's limit names the dataset line", async () => {
    const long = 'x'.repeat(240);
    const file = sweepIn('', [row('p1'), row(long)]);
    const problems = await problemsOf(file);
    expect(problems).toEqual([
      expect.stringMatching(
        new RegExp(`^data\\.jsonl:2: field "id": the workflow ID "t-[0-9a-f]{10}/random/b4/s0/x{34}\\.\\.\\." would be 266 bytes; the Temporal server allows 255 \\(limit\\.maxIDLength; TOA_LIMIT_MAX_ID_LENGTH sets the value checked\\)$`),
      ),
    ]);
    // The same dataset passes with the server's own default limit.
    await expect(preflightSweep(file, { TOA_LIMIT_MAX_ID_LENGTH: '1000' })).resolves.toBeDefined();
  });

  it('an explicit --id is checked too', async () => {
    const file = sweepIn();
    const problems = await problemsOf(file, { sweepId: 'y'.repeat(250) });
    expect(problems[0]).toMatch(/^data\.jsonl:1: field "id": the workflow ID "y{60}\.\.\." would be 266 bytes; the Temporal server allows 255 /);
  });
});
