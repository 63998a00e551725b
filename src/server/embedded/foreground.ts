/** `toa server start`: the embedded server in the foreground until Ctrl-C. */
import { describeTarget } from '../connection';
import { envPort } from './ensure';
import type { DevServerOptions } from './options';
import { startDevServer } from './start';
import { readServerState } from './state';

/**
 * Run the embedded server in the foreground until SIGINT/SIGTERM (for `toa server`). Prints the
 * address and UI URL through `log`. Resolves after the server has stopped.
 */
export async function runServerForeground(
  opts: DevServerOptions = {},
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  const existing = readServerState();
  if (existing) {
    throw new Error(
      `an embedded Temporal server from this project is already running (pid ${existing.pid}, ${existing.address}); ` +
        'stop it first with `toa server stop`',
    );
  }
  const server = await startDevServer({
    ...opts,
    port: opts.port ?? envPort('TOA_TEMPORAL_PORT') ?? 7233,
    uiPort: opts.uiPort !== undefined ? opts.uiPort : (envPort('TOA_TEMPORAL_UI_PORT') ?? 8233),
    detached: false,
  });
  log(`Temporal server: ${describeTarget(server)} (pid ${server.pid})`);
  if (server.uiUrl) log(`Temporal UI:     ${server.uiUrl}`);
  log(`Database:        ${server.dbFile ?? '(in memory)'}`);
  log(`Log:             ${server.logFile}`);
  log('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void server.stop().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void server.exited.then(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log(`Temporal server exited; see ${server.logFile}`);
      resolve();
    });
  });
}
