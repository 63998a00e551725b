/**
 * One place where the CLI gets its Temporal: the cluster at TEMPORAL_ADDRESS, or the embedded
 * dev server (reused, or started in the background so it outlives this command).
 */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { allowListOfSweep } from '../activities';
import type { LoadedSweep } from '../config/load';
import { connectionOptions, connectTo, describeTarget, ensureServer, readServerState, targetFromEnv, type TemporalTarget } from '../server';
import { installWorkerLogging, startWorkers } from '../worker/run';
import { defaultShutdownGraceSeconds } from '../worker/shutdown';

export interface ToaConnection {
  client: Client;
  target: TemporalTarget;
  namespace: string;
  address: string;
  uiUrl?: string;
  /** The worker-side connection (opened on first use). */
  nativeConnection(): Promise<NativeConnection>;
  close(): Promise<void>;
}

export async function connectToa(opts: { startEmbedded?: boolean } = {}): Promise<ToaConnection> {
  let target: TemporalTarget;
  if (opts.startEmbedded === false) {
    const state = readServerState();
    target = targetFromEnv() ?? (state ? { address: state.address, namespace: state.namespace, uiUrl: state.uiUrl } : { address: '127.0.0.1:7233', namespace: 'default', uiUrl: 'http://127.0.0.1:8233' });
  } else {
    target = await ensureServer();
  }
  const connection = await connectTo(target);
  const client = new Client({ connection, namespace: target.namespace });
  let native: Promise<NativeConnection> | undefined;
  return {
    client,
    target,
    namespace: target.namespace,
    address: target.address,
    uiUrl: uiBaseFor(target, process.env),
    nativeConnection() {
      installWorkerLogging(); // must precede the first native connection, which creates the runtime
      native ??= NativeConnection.connect(connectionOptions(target) as Parameters<typeof NativeConnection.connect>[0]).catch((err: Error) => {
        throw new Error(`worker cannot connect to Temporal at ${describeTarget(target)}: ${err.message}`);
      });
      return native;
    },
    async close() {
      await connection.close().catch(() => undefined);
      if (native) await (await native).close().catch(() => undefined);
    },
  };
}

/**
 * The Temporal UI for a target: the embedded server's own, else TEMPORAL_UI_URL, else Temporal
 * Cloud's for its addresses (namespace or regional API-key endpoint). A self-hosted cluster's
 * UI can be anywhere (the compose file puts it on :8080), so it is not guessed: a wrong link is
 * worse than none.
 */
export function uiBaseFor(target: Pick<TemporalTarget, 'address' | 'uiUrl'>, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env.TEMPORAL_UI_URL?.trim().replace(/\/+$/, '');
  if (target.uiUrl) return target.uiUrl;
  if (fromEnv) return fromEnv;
  return /\.(tmprl\.cloud|api\.temporal\.io)(:\d+)?$/.test(target.address) ? 'https://cloud.temporal.io' : undefined;
}

export const UNKNOWN_UI = 'unknown: set TEMPORAL_UI_URL to your Temporal UI (e.g. http://<host>:8080) to get links';

function uiList(toa: Pick<ToaConnection, 'uiUrl' | 'namespace'>, query: string): string {
  if (!toa.uiUrl) return UNKNOWN_UI;
  return `${toa.uiUrl}/namespaces/${encodeURIComponent(toa.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

export function uiWorkflowUrl(toa: Pick<ToaConnection, 'uiUrl' | 'namespace'>, workflowId: string): string {
  return uiList(toa, `WorkflowId="${workflowId}"`);
}

/** The sweep and all its prompt workflows, through the ToaSweepId search attribute. */
export function uiSweepUrl(toa: Pick<ToaConnection, 'uiUrl' | 'namespace'>, sweepId: string): string {
  return uiList(toa, `ToaSweepId="${sweepId}"`);
}

/**
 * Runs `fn` with this process also serving as a worker for the sweep file's agents (and the main
 * queue), allowed to do exactly what that file uses (src/activities/allowList.ts).
 */
export async function withInProcessWorkers<T>(toa: ToaConnection, sweep: LoadedSweep, fn: () => Promise<T>): Promise<T> {
  const running = await startWorkers({
    connection: await toa.nativeConnection(),
    namespace: toa.namespace,
    agents: sweep.config.agents,
    allow: allowListOfSweep(sweep),
    shutdownGraceSeconds: defaultShutdownGraceSeconds([sweep.config]),
  });
  try {
    return await fn();
  } finally {
    await running.shutdown();
  }
}
