/**
 * The worker allow-list (src/activities/allowList.ts): which URLs, key variables and paths a
 * worker's own configuration covers. Paths are checked on a real temp folder with real symlinks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allowListFor, allowListOfSweep, explicitAllowList, mergeAllowLists } from '../../src/activities';
import { checkEndpoint, checkPath, checkPlay, urlUnder } from '../../src/activities/allowList';
import { parseSweepText } from '../../src/config/load';
import { rewardSchema } from '../../src/config/schema';
import { fakeAgent } from '../support/agents';
import { expectFailure } from '../support/failures';
import { tmpDir } from '../support/tmp';

/** checkEndpoint/checkPlay throw synchronously; as a promise for expectFailure. */
const attempt = (fn: () => void) => Promise.resolve().then(fn);

describe('URL prefixes', () => {
  test.each([
    ['https://api.openai.com/v1', 'https://api.openai.com/v1/chat/completions', true],
    ['https://api.openai.com/v1/', 'https://api.openai.com/v1/chat/completions', true],
    ['https://api.openai.com/v1', 'https://api.openai.com/v1', true],
    ['https://api.openai.com', 'https://api.openai.com/anything', true],
    ['https://api.openai.com/v1', 'https://api.openai.com/v10/chat/completions', false],
    ['https://api.openai.com/v1', 'https://api.openai.com.evil.example/v1/chat/completions', false],
    ['https://api.openai.com/v1', 'http://api.openai.com/v1/chat/completions', false],
    ['https://api.openai.com/v1', 'https://api.openai.com:8443/v1/chat/completions', false],
    ['https://api.openai.com/v1', 'https://api.openai.com/v1/../admin', false],
    ['http://127.0.0.1:9000/reward', 'http://127.0.0.1:9000/reward?x=1', true],
    ['http://127.0.0.1:9000/reward', 'file:///etc/passwd', false],
    ['not a url', 'http://127.0.0.1:9000/', false],
  ])('%s covers %s: %s', (prefix, url, expected) => {
    expect(urlUnder(prefix, url)).toBe(expected);
  });
});

describe('endpoints and key variables', () => {
  const allow = mergeAllowLists(
    allowListFor({
      agents: [fakeAgent('http://127.0.0.1:9001/v1', { apiKeyEnv: 'MODEL_KEY' })],
      reward: rewardSchema.parse({ type: 'http', url: 'http://127.0.0.1:9002/score' }),
      source: 'sweep file a.yaml',
    }),
    explicitAllowList({ endpoints: ['http://judge.local/v1'], keys: ['JUDGE_KEY=http://judge.local/v1'] }),
  );

  test('an allowed endpoint with its own key variable, or with none, passes', () => {
    expect(() => checkEndpoint(allow, 'agent', 'http://127.0.0.1:9001/v1/chat/completions', 'MODEL_KEY')).not.toThrow();
    expect(() => checkEndpoint(allow, 'agent', 'http://127.0.0.1:9001/v1/chat/completions', undefined)).not.toThrow();
    expect(() => checkEndpoint(allow, 'reward', 'http://127.0.0.1:9002/score', undefined)).not.toThrow();
    expect(() => checkEndpoint(allow, 'judge', 'http://judge.local/v1/chat/completions', 'JUDGE_KEY')).not.toThrow();
  });

  test('an endpoint no grant covers is NotAllowed, naming it and the flag that would allow it', async () => {
    const f = await expectFailure(attempt(() => checkEndpoint(allow, 'reward http', 'http://evil.example/collect', 'MODEL_KEY')));
    expect(f).toMatchObject({ type: 'NotAllowed', nonRetryable: true });
    expect(f.message).toContain('reward http: http://evil.example/collect is not an endpoint this worker may call');
    expect(f.message).toContain('--allow-key MODEL_KEY=http://evil.example/collect');
  });

  test('a key variable is only sent where it is configured: another allowed endpoint does not get it', async () => {
    const f = await expectFailure(attempt(() => checkEndpoint(allow, 'reward http', 'http://127.0.0.1:9002/score', 'MODEL_KEY')));
    expect(f).toMatchObject({ type: 'NotAllowed' });
    expect(f.message).toContain('does not send the key variable MODEL_KEY to http://127.0.0.1:9002/score');
    expect(f.message).toContain('MODEL_KEY is configured for http://127.0.0.1:9001/v1 only');
    const g = await expectFailure(
      attempt(() => checkEndpoint(allow, 'agent', 'http://127.0.0.1:9001/v1/chat/completions', 'HOME_SECRET')),
    );
    expect(g.message).toContain('HOME_SECRET is configured for no endpoint');
  });

  test('query secrets in refused URLs are redacted from the message', async () => {
    const f = await expectFailure(
      attempt(() => checkEndpoint(allow, 'reward http', 'http://evil.example/c?token=abc123', undefined)),
    );
    expect(f.message).not.toContain('abc123');
  });

  test('a play is checked whole: the agent, then every component of a composite reward', async () => {
    const agent = fakeAgent('http://127.0.0.1:9001/v1', { apiKeyEnv: 'MODEL_KEY' });
    const weighted = rewardSchema.parse({
      type: 'weighted',
      components: [
        { weight: 1, reward: { type: 'http', url: 'http://127.0.0.1:9002/score' } },
        {
          weight: 1,
          reward: { type: 'llm-judge', baseURL: 'http://other-judge.example/v1', model: 'j', apiKeyEnv: 'JUDGE_KEY' },
        },
      ],
    });
    const f = await expectFailure(attempt(() => checkPlay(allow, agent, weighted)));
    expect(f.message).toContain('http://other-judge.example/v1/chat/completions');
    expect(() => checkPlay(allow, agent, rewardSchema.parse({ type: 'http', url: 'http://127.0.0.1:9002/score' }))).not.toThrow();
  });

  test('bad flags are refused with the flag named', () => {
    expect(() => explicitAllowList({ endpoints: ['api.openai.com'] })).toThrow(/--allow-endpoint "api.openai.com"/);
    expect(() => explicitAllowList({ keys: ['https://x/v1'] })).toThrow(/--allow-key .*VAR=<url-prefix>/);
    expect(() => explicitAllowList({ keys: ['lower=https://x/v1'] })).toThrow(/--allow-key/);
  });
});

describe('paths', () => {
  let tmp: ReturnType<typeof tmpDir>;
  let out: string;
  beforeEach(() => {
    tmp = tmpDir('toa-allow-');
    out = path.join(tmp.dir, 'project', 'runs');
    fs.mkdirSync(out, { recursive: true });
    fs.mkdirSync(path.join(tmp.dir, 'project', 'runs2'));
    fs.mkdirSync(path.join(tmp.dir, 'secret'));
    fs.writeFileSync(path.join(tmp.dir, 'project', 'data.jsonl'), '{"id":1,"instruction":"x"}\n');
  });
  afterEach(() => tmp.cleanup());

  const allowOf = () =>
    allowListFor({ read: [path.join(tmp.dir, 'project', 'data.jsonl')], write: [out], source: 'sweep file s.yaml' });

  test('paths at or below a write grant pass, existing or not; a read grant allows reading only', async () => {
    const allow = allowOf();
    await checkPath(allow, 'the records folder', path.join(out, 'sweep-1', 'records'), 'write');
    await checkPath(allow, 'the response store', out, 'write');
    await checkPath(allow, 'the dataset', path.join(tmp.dir, 'project', 'data.jsonl'), 'read');
    const f = await expectFailure(checkPath(allow, 'the records folder', path.join(tmp.dir, 'project', 'data.jsonl'), 'write'));
    expect(f).toMatchObject({ type: 'NotAllowed', nonRetryable: true });
    expect(f.message).toContain(
      `the records folder ${path.join(tmp.dir, 'project', 'data.jsonl')} is outside the paths this worker may write (${out})`,
    );
    expect(f.message).toContain('--allow-path');
  });

  test('a sibling whose name starts like the root is outside it', async () => {
    const f = await expectFailure(
      checkPath(allowOf(), 'the records folder', path.join(tmp.dir, 'project', 'runs2', 'x'), 'write'),
    );
    expect(f).toMatchObject({ type: 'NotAllowed' });
  });

  test('".." segments and relative paths are refused outright', async () => {
    const up = await expectFailure(checkPath(allowOf(), 'the dataset', `${out}/../../secret/notes.jsonl`, 'read'));
    expect(up.message).toContain('contains a ".." segment');
    const rel = await expectFailure(checkPath(allowOf(), 'the dataset', 'runs/x.jsonl', 'read'));
    expect(rel.message).toContain('not an absolute path');
  });

  test('a symlink inside an allowed folder that points outside it is outside', async () => {
    fs.symlinkSync(path.join(tmp.dir, 'secret'), path.join(out, 'link'));
    const f = await expectFailure(checkPath(allowOf(), 'the records folder', path.join(out, 'link', 'records'), 'write'));
    expect(f).toMatchObject({ type: 'NotAllowed' });
    // ... and an allowed folder reached through a symlink is still allowed.
    fs.symlinkSync(out, path.join(tmp.dir, 'alias'));
    await checkPath(allowOf(), 'the records folder', path.join(tmp.dir, 'alias', 'records'), 'write');
  });

  test('nothing granted: every path is refused', async () => {
    const f = await expectFailure(checkPath(explicitAllowList({}), 'the response store', out, 'write'));
    expect(f.message).toContain('(none)');
  });

  test('a sweep file grants its agents, reward, dataset (read) and output folder (write)', async () => {
    const dir = path.join(tmp.dir, 'project');
    const loaded = parseSweepText(
      [
        'name: s',
        'dataset: { path: data.jsonl }',
        'agents: [{ name: a, baseURL: "http://127.0.0.1:9001/v1", model: m, apiKeyEnv: MODEL_KEY }]',
        'reward: { type: http, url: "http://127.0.0.1:9002/score" }',
        'methods: [{ type: random, agent: a }]',
        'budgets: [1]',
      ].join('\n'),
      { file: path.join(dir, 's.yaml') },
    );
    const allow = allowListOfSweep(loaded);
    expect(allow.endpoints).toEqual([
      { prefix: 'http://127.0.0.1:9001/v1', keyEnvs: ['MODEL_KEY'], source: `sweep file ${path.join(dir, 's.yaml')}` },
      { prefix: 'http://127.0.0.1:9002/score', keyEnvs: [], source: `sweep file ${path.join(dir, 's.yaml')}` },
    ]);
    await checkPath(allow, 'the dataset', path.join(dir, 'data.jsonl'), 'read');
    await checkPath(allow, 'the records folder', path.join(dir, 'runs', 's-1', 'records'), 'write');
    await expect(checkPath(allow, 'the dataset', path.join(dir, 'other.jsonl'), 'read')).rejects.toMatchObject({
      type: 'NotAllowed',
    });
  });
});
