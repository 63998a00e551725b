/**
 * E2E through the `toa` binary:
 *  - bad input fails before any spend, with one clear line per problem (no stack traces);
 *  - no secret (an agent's API key) reaches Temporal (history, memo, search attributes) or logs;
 *  - `toa run` SIGKILLed mid-search and run again attaches to the same workflow and pays for
 *    at most the generations that were in flight.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  E2E,
  sleep,
  startFake,
  sweepIdFrom,
  waitClosed,
  writeArtifact,
  writeDataset,
  writeSweep,
  type FakeProc,
  subDir,
  useE2E,
} from './helpers';

jest.setTimeout(180_000);

let e: E2E;
let openai: FakeProc;
let reward: FakeProc;

const setup = useE2E('cli', { defaultModel: { latencyMs: 5 }, seed: 4 });
beforeAll(() => {
  ({ e, openai, reward } = setup);
});

function sub(name: string): string {
  return subDir(e, name);
}

/** stderr of a failed `toa` command: its lines, and no stack trace. */
function errorLines(p: { exitCode: number | null | undefined; err: string; out: string }): string[] {
  expect(p.exitCode).not.toBe(0);
  expect(p.err).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  expect(p.err).toMatch(/^toa: /m);
  // From the `toa: <message>` line on (a `toa run` in-process worker may have logged before it).
  return p.err
    .slice(p.err.search(/^toa: /m))
    .trim()
    .split('\n');
}

describe('bad input', () => {
  test('a broken dataset: one message per problem naming file:line, nothing started, nothing spent', async () => {
    const dir = sub('bad-dataset');
    const lines = [
      JSON.stringify({ id: 'a', instruction: 'What is 1+1?' }),
      '{"id": "b", "instruction": "broken', // line 2: not JSON
      JSON.stringify({ id: 'a', instruction: 'What is 2+2?' }), // line 3: duplicate id
      JSON.stringify({ id: 'c', instruction: '' }), // line 4: empty prompt
      JSON.stringify({ id: 'd', instruction: 'What is 3+3?' }),
    ];
    fs.writeFileSync(path.join(dir, 'data.jsonl'), `${lines.join('\n')}\n`);
    const file = writeSweep(dir, { name: 'baddata', openaiUrl: openai.url, rewardUrl: reward.url });
    const before = (await openai.control.stats()).requests;
    const p = await e.toaRun('bad-dataset', ['sweep', 'start', file]);
    const errs = errorLines(p);
    const data = 'data.jsonl';
    const problemLines = errs.filter((l) => l.includes('data.jsonl:'));
    expect(problemLines).toHaveLength(3);
    expect(problemLines[0]).toMatch(new RegExp(`${escape(data)}:2\\b.*JSON`, 'i'));
    expect(problemLines[1]).toMatch(new RegExp(`${escape(data)}:3\\b.*duplicate.*"?a"?`, 'i'));
    expect(problemLines[2]).toMatch(new RegExp(`${escape(data)}:4\\b.*empty`, 'i'));
    expect((await openai.control.stats()).requests).toBe(before);
    const list = await e.client.workflow.count(`WorkflowType = "sweep" AND WorkflowId STARTS_WITH "baddata"`);
    expect(list.count).toBe(0);
    console.log(`bad dataset → exit ${p.exitCode}:\n${p.err}`);
  });

  test('configuration errors of issue 11 (templates, prompt ids, encodings, aliases): all named by `config check` and `sweep start` before any spend', async () => {
    const dir = sub('config-errors');
    fs.writeFileSync(path.join(dir, 'refine.txt'), 'Improve the answer to {{prompt}}.'); // no {{response}}
    const long = 'q'.repeat(300);
    fs.writeFileSync(
      path.join(dir, 'data.jsonl'),
      Buffer.concat([
        Buffer.from(`${JSON.stringify({ id: 'a', instruction: 'What is 1+1?' })}\n${JSON.stringify({ id: long, instruction: 'What is 2+2?' })}\n`),
        Buffer.from('{"id": "c", "instruction": "caf'),
        Buffer.from([0xe9]), // Latin-1, not UTF-8
        Buffer.from('"}\n'),
      ]),
    );
    const file = writeSweep(dir, { name: 'conferr', openaiUrl: openai.url, rewardUrl: reward.url });
    fs.appendFileSync(file, 'templates:\n  refine: refine.txt\n');
    const refineLine = fs.readFileSync(file, 'utf8').split('\n').indexOf('  refine: refine.txt') + 1;
    const before = (await openai.control.stats()).requests;
    for (const cmd of [['config', 'check', file], ['sweep', 'start', file]]) {
      const errs = errorLines(await e.toaRun(`config-errors-${cmd[0]}`, cmd));
      const problems = errs.filter((l) => /^\s+\S/.test(l)).map((l) => l.trim());
      expect(problems).toEqual([
        expect.stringMatching(new RegExp(`sweep\\.yaml:${refineLine}:\\d+: templates\\.refine: .*refine\\.txt: refine template: missing placeholder \\{\\{response\\}\\}$`)),
        expect.stringMatching(/^data\.jsonl:2: field "id": the workflow ID "conferr-[0-9a-f]{10}\/random\/b4\/s0\/q+\.\.\." would be 332 bytes; the Temporal server allows 255 /),
        'data.jsonl:3: not valid UTF-8 (first bad byte at column 32): save the file as UTF-8',
      ]);
    }
    // An alias without its anchor: one line at the alias, not a ReferenceError.
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('budgets: [4]', 'budgets: *budgets'));
    const aliasLine = fs.readFileSync(file, 'utf8').split('\n').indexOf('budgets: *budgets') + 1;
    expect(errorLines(await e.toaRun('config-alias', ['config', 'check', file]))).toEqual([
      `toa: ${file}:${aliasLine}:10: YAML alias *budgets has no anchor &budgets before it`,
    ]);
    expect((await openai.control.stats()).requests).toBe(before);
    expect((await e.client.workflow.count(`WorkflowId STARTS_WITH "conferr"`)).count).toBe(0);
  });

  test('a missing API key variable: named before any spend', async () => {
    const dir = sub('missing-key');
    writeDataset(dir, 3);
    const file = writeSweep(dir, {
      name: 'nokey',
      openaiUrl: openai.url,
      rewardUrl: reward.url,
      agents: [{ name: 'alpha', model: 'model-a', apiKeyEnv: 'SOME_MISSING_KEY' }],
      methods: '  - type: random\n    agent: alpha',
    });
    const before = (await openai.control.stats()).requests;
    const env = { SOME_MISSING_KEY: '' };
    const p = await e.toaRun('missing-key', ['sweep', 'start', file], env);
    const errs = errorLines(p);
    expect(errs.join('\n')).toMatch(/SOME_MISSING_KEY/);
    expect(errs.join('\n')).toMatch(
      /sweep\.yaml:\d+:\d+: agents\[0\]\.apiKeyEnv: environment variable SOME_MISSING_KEY .* is not set/,
    );
    const run = await e.toaRun('missing-key-run', ['run', '--config', file, '--prompt', 'hi', '--budget', '2'], env);
    expect(errorLines(run).join('\n')).toMatch(/SOME_MISSING_KEY/);
    expect((await openai.control.stats()).requests).toBe(before);
  });

  test('a malformed config: one line naming file:line:col and the field, no stack trace', async () => {
    const dir = sub('bad-config');
    writeDataset(dir, 3);
    const file = writeSweep(dir, { name: 'badconf', openaiUrl: openai.url, rewardUrl: reward.url });
    const text = fs.readFileSync(file, 'utf8').replace('maxConcurrency: 4', 'maxConcurrency: lots');
    fs.writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('maxConcurrency: lots')) + 1;
    for (const cmd of [
      ['sweep', 'start', file],
      ['config', 'check', file],
      ['worker', '-c', file],
    ]) {
      const p = await e.toaRun(`bad-config-${cmd[0]}`, cmd);
      const errs = errorLines(p);
      expect(errs).toHaveLength(1);
      expect(errs[0]).toMatch(new RegExp(`sweep\\.yaml:${line}:\\d+: agents\\[0\\]\\.maxConcurrency: `));
    }
    // YAML syntax error.
    fs.writeFileSync(file, text.replace('maxConcurrency: lots', 'maxConcurrency: [4'));
    const p = await e.toaRun('bad-yaml', ['sweep', 'start', file]);
    const errs = errorLines(p);
    expect(errs.length).toBeLessThanOrEqual(3);
    expect(errs[0]).toMatch(/sweep\.yaml:\d+:\d+/);
  });

  test('an unreachable endpoint during `toa run`: a clear error naming the URL', async () => {
    const dir = sub('unreachable');
    // Port 2 on loopback: nothing listens there (a "free" ephemeral port could be taken by a
    // process of a parallel test before the request is made; port 1 is on fetch's bad-port list).
    const deadUrl = 'http://127.0.0.1:2/v1';
    const file = writeSweep(dir, {
      name: 'dead',
      openaiUrl: deadUrl,
      rewardUrl: reward.url,
      agents: [{ name: 'alpha', model: 'model-a', timeoutSeconds: 2 }],
      methods: '  - type: random\n    agent: alpha',
      retry: { maxAttempts: 2, initialIntervalSeconds: 0.2, maxIntervalSeconds: 0.5 },
    });
    writeDataset(dir, 1);
    const p = await e.toaRun(
      'unreachable-run',
      ['run', '--config', file, '--prompt', 'What is 2+2?', '--budget', '2'],
      {},
      90000,
    );
    const errs = errorLines(p).join('\n');
    expect(errs).toContain(deadUrl);
    expect(errs).toMatch(/Unreachable: .*connection refused/);
    console.log(`unreachable → exit ${p.exitCode}:\n${p.err}`);
  });
});

test('no secret reaches Temporal or the logs', async () => {
  const SECRET = 'sk-toa-e2e-SECRET-7f3a9c1e5b';
  const keyed = await startFake(e, 'openai', 'fake-openai-keyed', { apiKey: SECRET, defaultModel: { latencyMs: 5 } });
  const dir = sub('secrets');
  writeDataset(dir, 4);
  const file = writeSweep(dir, {
    name: 'secret',
    openaiUrl: keyed.url,
    rewardUrl: reward.url,
    agents: [
      { name: 'alpha', model: 'model-a', apiKeyEnv: 'TOA_TEST_SECRET' },
      { name: 'beta', model: 'model-b', apiKeyEnv: 'TOA_TEST_SECRET' },
    ],
    budgets: [3],
  });
  const env = { TOA_TEST_SECRET: SECRET, TOA_LOG_LEVEL: 'DEBUG' };
  const worker = e.toa('secret-worker', ['worker', '-c', file], env);
  await worker.waitFor(/worker ready/, 60000);
  const start = await e.toaRun('secret-start', ['sweep', 'start', file], env);
  const sweepId = sweepIdFrom(start.out);
  expect(await waitClosed(e.client, sweepId, 60000)).toBe('COMPLETED');
  const ks = await keyed.control.stats();
  expect(ks.completions).toBe(4 * 2 * 3); // the key was used (the server rejects requests without it)
  await worker.kill9();

  const dump = async (workflowId: string) => {
    const h = e.client.workflow.getHandle(workflowId);
    const [history, d] = await Promise.all([h.fetchHistory(), h.describe()]);
    return decodePayloads(
      JSON.stringify({ history, memo: d.memo, searchAttributes: d.searchAttributes, typed: d.typedSearchAttributes, raw: d.raw }),
    );
  };
  const children: string[] = [];
  for await (const wf of e.client.workflow.list({ query: `ToaSweepId = "${sweepId}"` })) children.push(wf.workflowId);
  expect(children.length).toBeGreaterThanOrEqual(2);
  const texts = [await dump(sweepId), ...(await Promise.all(children.slice(0, 3).map(dump)))];
  for (const t of texts) {
    expect(t.length).toBeGreaterThan(500);
    expect(t).not.toContain(SECRET);
    expect(t).toContain('TOA_TEST_SECRET'); // the variable name travels, the value does not
  }
  // Logs of every toa process of this file (the fake server's own log holds its --options, key included).
  const logs = fs
    .readdirSync(e.logs)
    .filter((f) => !f.startsWith('fake-'))
    .map((f) => fs.readFileSync(path.join(e.logs, f), 'utf8'));
  expect(logs.length).toBeGreaterThanOrEqual(3);
  for (const l of logs) expect(l).not.toContain(SECRET);
  // The Temporal server's own log, and the SQLite file (histories at rest).
  expect(fs.readFileSync(path.join(e.logs, 'temporal-server.log'), 'utf8')).not.toContain(SECRET);
  const db = Buffer.concat([e.dbFile, `${e.dbFile}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
  expect(db.includes(SECRET)).toBe(false);
  expect(worker.out + worker.err).not.toContain(SECRET);
});

test('`toa run` SIGKILLed mid-search: run again attaches and finishes with exactly 12 responses', async () => {
  const slow = await startFake(e, 'openai', 'fake-openai-slow', { defaultModel: { latencyMs: 300 }, seed: 5 });
  const dir = sub('run-kill');
  const file = writeSweep(dir, {
    name: 'runkill',
    openaiUrl: slow.url,
    rewardUrl: reward.url,
    agents: [
      { name: 'alpha', model: 'model-a', maxConcurrency: 2, timeoutSeconds: 3 },
      { name: 'beta', model: 'model-b', maxConcurrency: 2, timeoutSeconds: 3 },
    ],
    methods: '  - type: toa\n    parallelPlays: 2',
    budgets: [12],
  });
  writeDataset(dir, 1);
  const args = ['run', '--config', file, '--prompt', 'What is 17 * 23?', '--budget', '12'];
  const t0 = Date.now();
  const first = e.toa('run-first', args);
  const m = await first.waitFor(/^workflow (\S+)$/m, 60000);
  const workflowId = m[1];
  // After ~5 generations, at a moment when a request is in flight (the worst case: it is re-paid).
  for (;;) {
    const s = await slow.control.stats();
    if (s.completions >= 5 && s.inFlight > 0) break;
    await sleep(20);
  }
  const atKill = await slow.control.stats();
  await first.kill9();
  const second = await e.toaRun('run-second', args, {}, 120000);
  if (second.exitCode !== 0) throw new Error(second.tail());
  expect(second.out).toContain(`workflow ${workflowId}`);
  expect(second.err).toContain(`workflow ${workflowId}`);
  expect(second.out).toMatch(/after 12 generations/);
  const result = await e.client.workflow.getHandle(workflowId).result();
  expect(result.generations).toBe(12);
  // One run of the workflow: the second command attached, it did not start another.
  const runs = await e.client.workflow.count(`WorkflowId = "${workflowId}"`);
  expect(runs.count).toBe(1);
  const stats = await slow.control.stats();
  const slots = 2 + 2;
  expect(stats.requests).toBeLessThanOrEqual(12 + slots);
  const r = {
    test: '`toa run` SIGKILL mid-search, then the same command again',
    budget: 12,
    completionsAtKill: atKill.completions,
    inFlightAtKill: atKill.inFlight,
    generationRequests: stats.requests,
    repaidGenerations: stats.requests - 12,
    bound: 12 + slots,
    wallSeconds: (Date.now() - t0) / 1000,
  };
  writeArtifact('e2e-run-kill.json', r);
  console.log(`run-kill: ${JSON.stringify(r)}`);
});

/** The JSON text plus the decoded form of every base64 payload `data` in it (payloads are base64 JSON). */
function decodePayloads(json: string): string {
  const decoded: string[] = [];
  JSON.parse(json, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return `${json}\n${decoded.join('\n')}`;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
