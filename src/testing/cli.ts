#!/usr/bin/env node
/**
 * TEST DOUBLE launcher: runs the fake OpenAI server or the fake reward server in its own
 * process (crash tests, benchmarks, the demo).
 *
 *   node dist/testing/cli.js openai [--port N] [--host H] [--options '<json>' | --options-file f.json]
 *   node dist/testing/cli.js reward [--port N] [--host H] [--options '<json>' | --options-file f.json]
 *
 * Prints one JSON line when listening — {"kind":"openai","url":"http://127.0.0.1:N/v1","port":N,"pid":P} —
 * then serves until SIGTERM / SIGINT. Options are FakeOpenAIOptions / FakeRewardOptions as JSON
 * (without `script`). Faults can be changed and counters read at <origin>/__control/*.
 */
import { readFileSync } from 'node:fs';
import { startFakeOpenAI, type FakeOpenAIOptions } from './fakeOpenAI';
import { startFakeReward, type FakeRewardOptions } from './fakeReward';

function usage(msg?: string): never {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write("usage: cli.js openai|reward [--port N] [--host H] [--options '<json>' | --options-file file.json]\n");
  process.exit(2);
}

export async function main(argv: string[]): Promise<void> {
  const [kind, ...rest] = argv;
  if (kind !== 'openai' && kind !== 'reward') usage(kind ? `unknown server kind ${JSON.stringify(kind)}` : undefined);
  let options: Record<string, unknown> = {};
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = rest[i + 1];
    if (value === undefined) usage(`missing value after ${flag}`);
    i++;
    try {
      if (flag === '--port') options.port = Number(value);
      else if (flag === '--host') options.host = value;
      else if (flag === '--options') options = { ...options, ...(JSON.parse(value) as Record<string, unknown>) };
      else if (flag === '--options-file')
        options = { ...options, ...(JSON.parse(readFileSync(value, 'utf8')) as Record<string, unknown>) };
      else usage(`unknown flag ${flag}`);
    } catch (err) {
      usage(`${flag}: ${(err as Error).message}`);
    }
  }
  const server =
    kind === 'openai' ? await startFakeOpenAI(options as FakeOpenAIOptions) : await startFakeReward(options as FakeRewardOptions);
  process.stdout.write(`${JSON.stringify({ kind, url: server.url, port: server.port, pid: process.pid })}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
