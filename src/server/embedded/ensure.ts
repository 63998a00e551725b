/** Finding or starting the Temporal server a `toa` command talks to. */
import { targetFromEnv, type TemporalTarget } from '../connection';
import { ensureNamespace, probeFrontend } from './health';
import { withStartLock } from './lock';
import type { DevServerOptions } from './options';
import { startDevServer } from './start';
import { readServerState } from './state';

/** Result of {@link ensureServer}: where to connect and how the server was obtained. */
export interface EnsuredServer extends TemporalTarget {
  /** `cluster`: TEMPORAL_ADDRESS; `reused`: an embedded server already running; `started`: just started (detached). */
  mode: 'cluster' | 'reused' | 'started';
  /** pid of the embedded server (not for `cluster`). */
  pid?: number;
  logFile?: string;
  dbFile?: string | null;
}

export function envPort(name: string): number | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name}=${v} is not a valid port`);
  return n;
}

/**
 * Make sure a Temporal server is available and say where it is:
 * 1. TEMPORAL_ADDRESS set → that cluster (TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* honoured; nothing spawned);
 * 2. this project's embedded server already running (`<stateDir>/server.json` names a live pid
 *    and its frontend answers) → reuse it;
 * 3. otherwise start one **detached** (it outlives the caller), logging to `<stateDir>/temporal-server.log`.
 *
 * Ports for case 3 come from `opts`, else TOA_TEMPORAL_PORT / TOA_TEMPORAL_UI_PORT, else 7233 / 8233.
 */
export async function ensureServer(opts: DevServerOptions = {}): Promise<EnsuredServer> {
  const cluster = targetFromEnv();
  if (cluster) return { ...cluster, mode: 'cluster' };

  const reuse = async (): Promise<EnsuredServer | null> => {
    const s = readServerState();
    if (!s) return null;
    const r = await probeFrontend(s.address, s.namespace, 3000);
    if (r instanceof Error) return null;
    await r.close().catch(() => undefined);
    if (opts.namespace && opts.namespace !== s.namespace) {
      // Same server, other namespace: make sure it exists with our attributes.
      await ensureNamespace(s.address, opts.namespace);
      return {
        address: s.address,
        namespace: opts.namespace,
        uiUrl: s.uiUrl,
        mode: 'reused',
        pid: s.pid,
        logFile: s.logFile,
        dbFile: s.dbFile,
      };
    }
    return {
      address: s.address,
      namespace: s.namespace,
      uiUrl: s.uiUrl,
      mode: 'reused',
      pid: s.pid,
      logFile: s.logFile,
      dbFile: s.dbFile,
    };
  };

  const fast = await reuse();
  if (fast) return fast;
  return withStartLock((opts.startTimeoutMs ?? 60000) + 15000, async () => {
    const again = await reuse();
    if (again) return again;
    const handle = await startDevServer({
      ...opts,
      port: opts.port ?? envPort('TOA_TEMPORAL_PORT') ?? 7233,
      uiPort: opts.uiPort !== undefined ? opts.uiPort : (envPort('TOA_TEMPORAL_UI_PORT') ?? 8233),
      detached: opts.detached ?? true,
      recordState: true,
    });
    return {
      address: handle.address,
      namespace: handle.namespace,
      uiUrl: handle.uiUrl,
      mode: 'started',
      pid: handle.pid,
      logFile: handle.logFile,
      dbFile: handle.dbFile,
    };
  });
}

