/**
 * Workflow-test helper: a local Temporal dev server (the CLI found by `resolveTemporalCli`) with
 * the project's search attributes registered. Falls back to the SDK's own CLI download
 * (needs internet) only when no CLI is found.
 *
 * Kept out of ./index so production code does not load @temporalio/testing.
 */
import { TestWorkflowEnvironment, type LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';
import { findTemporalCli } from '../server/cli-path';
import { DEFAULT_SQLITE_PRAGMAS } from '../server/embedded';
import { serverDynamicConfig } from '../server/serverTuning';
import { TOA_SEARCH_ATTRIBUTE_KEYS } from '../common/searchAttributes';

type ServerOptions = NonNullable<LocalTestWorkflowEnvironmentOptions['server']>;

export interface TestEnvOptions {
  /** Persist to this SQLite file (default: in memory). */
  dbFilename?: string;
  namespace?: string;
  /** Extra `temporal server start-dev` arguments. */
  extraArgs?: string[];
  /** Anything else for `TestWorkflowEnvironment.createLocal` (merged last). */
  server?: Partial<ServerOptions>;
  client?: LocalTestWorkflowEnvironmentOptions['client'];
}

/** The `server.executable` option: the resolved CLI, or the SDK download when none is found. */
export function testServerExecutable(): NonNullable<ServerOptions['executable']> {
  const found = findTemporalCli();
  if (found.path) return { type: 'existing-path', path: found.path };
  if (process.env.TEMPORAL_CLI_PATH) {
    // An explicit, wrong setting is an error, not a reason to download.
    throw new Error(`TEMPORAL_CLI_PATH does not point to a Temporal CLI: ${found.tried.join('; ')}`);
  }
  process.stderr.write(
    `[toa] Temporal CLI not found (${found.tried.join('; ')}); letting @temporalio/testing download one (needs internet)\n`,
  );
  return { type: 'cached-download' };
}

/**
 * `TestWorkflowEnvironment.createLocal` with the project's CLI and search attributes.
 * Remember `await env.teardown()`.
 */
export async function createTestEnv(opts: TestEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  // The server settings toa runs with everywhere (src/server/serverTuning.ts); the caller's come after and win.
  const extraArgs = Object.entries(serverDynamicConfig()).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]);
  extraArgs.push(...(opts.extraArgs ?? []));
  if (opts.dbFilename) {
    for (const [k, v] of Object.entries(DEFAULT_SQLITE_PRAGMAS)) extraArgs.push('--sqlite-pragma', `${k}=${v}`);
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: testServerExecutable(),
      searchAttributes: TOA_SEARCH_ATTRIBUTE_KEYS,
      ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      extraArgs,
      ...opts.server,
    },
    client: opts.client,
  });
}
