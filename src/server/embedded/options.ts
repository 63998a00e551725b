/** What the embedded server is started with, and the `temporal server start-dev` arguments that follow. */
import { devServerSearchAttributeArgs } from '../../common/searchAttributes';
import type { TemporalTarget } from '../connection';

/**
 * Default SQLite pragmas. WAL + synchronous=NORMAL: a committed transaction survives any crash of
 * the server process (or of `toa`); only an OS crash / power loss can roll back the last few
 * transactions (the database stays consistent). See docs/deployment.md for the measurements
 * against synchronous=OFF.
 */
export const DEFAULT_SQLITE_PRAGMAS: Readonly<Record<string, string>> = Object.freeze({
  journal_mode: 'WAL',
  synchronous: 'NORMAL',
});

export interface DevServerOptions {
  /** SQLite file; default `<stateDir>/temporal.sqlite`. `null` = in-memory (nothing persists). */
  dbFile?: string | null;
  /** Frontend gRPC port (default 7233). */
  port?: number;
  /** Web UI port (default 8233); `null` = no UI (`--headless`). */
  uiPort?: number | null;
  /** Namespace to create and register search attributes on (default "default"). */
  namespace?: string;
  /** SQLite pragmas (default {@link DEFAULT_SQLITE_PRAGMAS}); ignored for an in-memory server. */
  sqlitePragmas?: Readonly<Record<string, string>>;
  /** IP to bind (default 127.0.0.1). */
  ip?: string;
  /** Server log file (appended to); default `<stateDir>/temporal-server.log`. */
  logFile?: string;
  /** Server log level (default: the CLI's default, "warn"). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Start in its own process group and do not keep this process alive, so the server outlives
   * the caller (what `ensureServer()` does). Default false (foreground, e.g. `toa server`).
   */
  detached?: boolean;
  /** Write `<stateDir>/server.json` so later `ensureServer()` calls reuse this server (default true). */
  recordState?: boolean;
  /** Temporal CLI binary; default {@link resolveTemporalCli}. */
  cliPath?: string;
  /** How long to wait for the frontend to answer (default 60 s). */
  startTimeoutMs?: number;
  /** `--dynamic-config-value KEY=JSON` pairs. */
  dynamicConfig?: Readonly<Record<string, unknown>>;
  /** Extra raw arguments for `temporal server start-dev`. */
  extraArgs?: string[];
}

/** A running embedded server. */
export interface DevServerHandle extends TemporalTarget {
  /** Web UI URL, or undefined when headless. */
  uiUrl?: string;
  pid: number;
  /** Absolute SQLite path, or null for in-memory. */
  dbFile: string | null;
  logFile: string;
  /** Stop the server: SIGTERM, then SIGKILL after `graceMs` (default 10 s). Resolves when it has exited. */
  stop(opts?: { graceMs?: number }): Promise<void>;
  /** Resolves with the exit code (or signal name) when the server process exits. */
  exited: Promise<number | string | null>;
}

/** Build the `temporal server start-dev` argument list (exported for tests and docs). */
export function devServerArgs(o: {
  dbFile: string | null;
  port: number;
  uiPort: number | null;
  namespace: string;
  ip: string;
  sqlitePragmas: Readonly<Record<string, string>>;
  logLevel?: string;
  dynamicConfig?: Readonly<Record<string, unknown>>;
  extraArgs?: string[];
}): string[] {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(o.port), '--namespace', o.namespace];
  if (o.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort));
  if (o.dbFile) {
    args.push('--db-filename', o.dbFile);
    for (const [k, v] of Object.entries(o.sqlitePragmas)) args.push('--sqlite-pragma', `${k}=${v}`);
  }
  // Only applied when the database is created; registerSearchAttributes() covers existing files.
  args.push(...devServerSearchAttributeArgs());
  if (o.logLevel) args.push('--log-level', o.logLevel);
  for (const [k, v] of Object.entries(o.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  args.push(...(o.extraArgs ?? []));
  return args;
}

/** The host a client connects to for a bind address (a wildcard bind is reached on loopback). */
export function connectHost(ip: string): string {
  return ip === '0.0.0.0' || ip === '::' ? '127.0.0.1' : ip;
}

