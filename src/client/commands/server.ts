/**
 * `toa server start|stop|register-search-attributes`: the embedded Temporal server, and the
 * search attributes of a cluster. `toa server` alone starts it; `toa server-stop` and
 * `toa register-search-attributes` are kept as aliases of the first names these commands had.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { connectTo, registerSearchAttributes, runServerForeground, stopEmbeddedServer, targetFromEnv } from '../../server';
import { int, print } from './options';

async function start(o: { port: number; uiPort: number; db: string }): Promise<void> {
  await runServerForeground({ port: o.port, uiPort: o.uiPort, dbFile: path.resolve(o.db) }, print);
}

async function stop(): Promise<void> {
  print((await stopEmbeddedServer()) ? 'embedded Temporal server stopped' : 'no embedded Temporal server is running');
}

async function registerAttributes(): Promise<void> {
  const target = targetFromEnv();
  if (!target) throw new Error('TEMPORAL_ADDRESS is not set: the embedded server registers its search attributes itself');
  const connection = await connectTo(target);
  try {
    print(JSON.stringify(await registerSearchAttributes(connection, target.namespace)));
  } finally {
    await connection.close();
  }
}

export function registerServerCommands(program: Command): void {
  const server = program.command('server').description('the embedded Temporal server (SQLite under .toa/, UI on :8233); cluster setup');
  server
    .command('start', { isDefault: true })
    .description('start the embedded Temporal dev server in the foreground (what `toa server` alone does)')
    .option('--port <n>', 'frontend port', int('--port'), 7233)
    .option('--ui-port <n>', 'UI port', int('--ui-port'), 8233)
    .option('--db <file>', 'SQLite file', '.toa/temporal.sqlite')
    .action(start);
  server.command('stop').description('stop the embedded Temporal server a toa command started in the background').action(stop);
  server
    .command('register-search-attributes')
    .description('register the custom search attributes on the cluster at TEMPORAL_ADDRESS (idempotent)')
    .action(registerAttributes);

  program.command('server-stop', { hidden: true }).description('alias of `toa server stop`').action(stop);
  program.command('register-search-attributes', { hidden: true }).description('alias of `toa server register-search-attributes`').action(registerAttributes);
}
