/**
 * A production-like Temporal cluster on this machine without Docker: the Temporal server (all
 * four services in one process, built from source at the pinned version) on PostgreSQL
 * (persistence and SQL visibility), with the namespace and the project's search attributes
 * registered — what docker-compose.yml runs, as plain processes.
 *
 *   const cluster = new LocalCluster({ dir: '.toa/cluster' });
 *   const info = await cluster.up();     // idempotent: starts only what is not running
 *   process.env.TEMPORAL_ADDRESS = info.address;
 *   await cluster.restartTemporal({ signal: 'SIGKILL' });   // crash tests
 *   await cluster.restartPostgres({ mode: 'immediate' });
 *   await cluster.down();                 // stops both; data stays (down({ deleteData: true }) removes it)
 *
 * Files under `dir`:
 *   cluster.json          ports, database credentials (mode 0600), Temporal server pid
 *   temporal/config.yaml  the server's config (derived from development-postgres12.yaml, 0600)
 *   temporal/server.log   the server's log (appended to across starts)
 *   postgres/             PGDATA, socket folder and log (src/cluster/postgres.ts)
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot, stateDir } from '../server/cli-path';
import { ensureNamespace, setupSchemas } from './adminJobs';
import { withDirLock } from './lock';
import { resolvePorts, TEMPORAL_PORT_KEYS, waitForFreePorts } from './ports';
import { findPostgres, LocalPostgres, postgresOsUser, type PostgresBinaries, type PostgresOsUser } from './postgres';
import { isAlive, isProcessOf, sleep, stopPid } from './processes';
import { ensureTemporalServerTools, temporalServerProblem, type TemporalServerTools } from './serverTools';
import { startTemporalServer, waitForFrontend } from './temporalServer';
import type { ClusterPorts } from './temporalConfig';

export type { ClusterPorts } from './temporalConfig';

/** Ports a caller may choose; the internal ones (history, matching, worker, membership) are always picked free. */
export type GivenPorts = Partial<Pick<ClusterPorts, 'frontend' | 'frontendHttp' | 'metrics' | 'postgres'>>;

export interface LocalClusterOptions {
  /** Data folder (default `<TOA_HOME or ./.toa>/cluster`). */
  dir?: string;
  /** Namespace to create and register the search attributes on (default: the recorded one, else "default"). */
  namespace?: string;
  /** Fixed ports; others are chosen free on the first `up` and then kept while free. */
  ports?: GivenPorts;
  /** Workflow retention of a namespace created here (default 7 days, as in docker-compose). */
  retention?: string;
  /** Temporal server log level (default: development-postgres12.yaml's, "info"). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** How long to wait for the Temporal frontend after a start (default 120 s). */
  startTimeoutMs?: number;
}

/** What is recorded in cluster.json. */
interface ClusterState {
  temporalVersion: string;
  namespace: string;
  ports: ClusterPorts;
  postgres: { user: string; password: string };
  temporalPid: number | null;
  createdAt: string;
}

/** Where everything is (no secrets). */
export interface ClusterInfo {
  dir: string;
  temporalVersion: string;
  namespace: string;
  /** host:port of the frontend: TEMPORAL_ADDRESS. */
  address: string;
  httpUrl: string;
  metricsUrl: string;
  ports: ClusterPorts;
  temporal: { pid: number | null; running: boolean; binary: string; configFile: string; logFile: string };
  postgres: {
    pid: number | null;
    running: boolean;
    version: string;
    address: string;
    user: string;
    dataDir: string;
    logFile: string;
  };
}

export interface UpResult extends ClusterInfo {
  /** What this call did: e.g. ['initdb', 'postgres', 'schema', 'temporal', 'namespace'], [] when all was running. */
  actions: string[];
  seconds: number;
}

/**
 * Everything `up` needs that is not there, each on its own line, before anything starts (and
 * before a build of several minutes): PostgreSQL's binaries, runuser and the postgres user (as
 * root), the Temporal server or Go to build it.
 */
export function preflight(): { bins: PostgresBinaries; os: PostgresOsUser } {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const bins = attempt(findPostgres);
  const os = attempt(postgresOsUser);
  const temporal = temporalServerProblem();
  if (temporal) problems.push(temporal);
  if (problems.length || !bins || !os)
    throw new Error(`cannot bring the local cluster up:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { bins, os };
}

/** Default data folder: `<TOA_HOME or ./.toa>/cluster`. */
export function defaultClusterDir(): string {
  return path.join(stateDir(), 'cluster');
}

export class LocalCluster {
  readonly dir: string;
  private readonly stateFile: string;
  private readonly temporalDir: string;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: LocalClusterOptions = {}) {
    this.dir = path.resolve(opts.dir ?? defaultClusterDir());
    this.stateFile = path.join(this.dir, 'cluster.json');
    this.temporalDir = path.join(this.dir, 'temporal');
    this.log = opts.log ?? (() => undefined);
  }

  get configFile(): string {
    return path.join(this.temporalDir, 'config.yaml');
  }

  get temporalLogFile(): string {
    return path.join(this.temporalDir, 'server.log');
  }

  /**
   * Bring the cluster up: build the server if needed, initdb on first use, start PostgreSQL,
   * create/upgrade the schemas, start the Temporal server, create the namespace and register the
   * search attributes. Each step is skipped when already done, so a second call only checks.
   */
  async up(): Promise<UpResult> {
    const t0 = Date.now();
    const { bins, os } = preflight();
    return withDirLock(this.dir, async () => {
      const actions: string[] = [];
      const tools = ensureTemporalServerTools({ quiet: !this.opts.log });
      fs.mkdirSync(this.dir, { recursive: true });
      this.letOthersEnter(os);
      let state = this.readState();
      const pgRunning = (await this.postgres(state, bins, os).status()).running;
      const temporalRunning = !!state?.temporalPid && isProcessOf(state.temporalPid, tools.server);
      const ports = await resolvePorts({
        recorded: state?.ports,
        given: this.opts.ports ?? {},
        postgresRunning: pgRunning,
        temporalRunning,
        dir: this.dir,
        log: this.log,
      });
      state = {
        temporalVersion: tools.version,
        namespace: this.opts.namespace ?? state?.namespace ?? 'default',
        ports,
        postgres: state?.postgres ?? { user: 'temporal', password: randomBytes(18).toString('base64url') },
        temporalPid: temporalRunning ? state!.temporalPid : null,
        createdAt: state?.createdAt ?? new Date().toISOString(),
      };
      this.writeState(state);
      const pg = this.postgres(state, bins, os);
      if (!pg.initialised()) {
        this.log(`initialising PostgreSQL ${bins.version} in ${pg.dataDir}`);
        await pg.init();
        actions.push('initdb');
      }
      if (!pgRunning) {
        this.log(`starting PostgreSQL on ${pg.address}`);
        await pg.start();
        actions.push('postgres');
      }
      if (!temporalRunning) {
        this.log('creating/upgrading the Temporal schemas (temporal-sql-tool)');
        await setupSchemas(pg, tools);
        actions.push('schema');
        this.log(`starting Temporal server ${tools.version} on 127.0.0.1:${ports.frontend}`);
        state.temporalPid = await this.startTemporalProcess(tools, state);
        this.writeState(state);
        actions.push('temporal');
      }
      await this.waitForFrontend(state, tools);
      const address = `127.0.0.1:${state.ports.frontend}`;
      if (
        await ensureNamespace({ address, namespace: state.namespace, retention: this.opts.retention ?? '7 days', log: this.log })
      )
        actions.push('namespace');
      return { ...(await this.infoFrom(state, tools, bins, os)), actions, seconds: (Date.now() - t0) / 1000 };
    });
  }

  /** Stop the Temporal server (SIGTERM, SIGKILL after 20 s) and PostgreSQL (fast shutdown). Data stays unless `deleteData`. */
  async down(o: { deleteData?: boolean } = {}): Promise<{ stopped: string[] }> {
    return withDirLock(this.dir, async () => {
      const stopped: string[] = [];
      const state = this.readState();
      if (state?.temporalPid && isAlive(state.temporalPid)) {
        this.log(`stopping Temporal server (pid ${state.temporalPid})`);
        await stopPid(state.temporalPid, 'SIGTERM', 20000);
        stopped.push('temporal');
      }
      if (state) {
        state.temporalPid = null;
        this.writeState(state);
      }
      if (fs.existsSync(path.join(this.dir, 'postgres', 'data'))) {
        const pg = this.postgres(state, findPostgres(), postgresOsUser());
        if ((await pg.status()).running) {
          this.log('stopping PostgreSQL');
          await pg.stop('fast');
          stopped.push('postgres');
        }
      }
      if (o.deleteData) {
        this.log(`deleting ${this.dir}`);
        fs.rmSync(this.dir, { recursive: true, force: true });
      }
      return { stopped };
    });
  }

  /** Where everything is and what runs; null when this folder holds no cluster. */
  async status(): Promise<ClusterInfo | null> {
    const state = this.readState();
    if (!state) return null;
    const tools = ensureTemporalServerTools({ quiet: true });
    const bins = findPostgres();
    return this.infoFrom(state, tools, bins, postgresOsUser());
  }

  /** `TEMPORAL_ADDRESS` and `TEMPORAL_NAMESPACE` for toa commands and workers. */
  async env(): Promise<Record<string, string>> {
    const state = this.readState();
    if (!state)
      throw new Error(
        `no local cluster in ${this.dir}: run \`npm run cluster -- up${this.opts.dir ? ` --dir ${this.opts.dir}` : ''}\` first`,
      );
    return { TEMPORAL_ADDRESS: `127.0.0.1:${state.ports.frontend}`, TEMPORAL_NAMESPACE: state.namespace };
  }

  /** Stop the Temporal server process with `signal` (SIGKILL = crash) and wait until it is gone. */
  async stopTemporal(o: { signal?: NodeJS.Signals } = {}): Promise<void> {
    const state = this.requireState();
    if (state.temporalPid) await stopPid(state.temporalPid, o.signal ?? 'SIGTERM', 20000);
    state.temporalPid = null;
    this.writeState(state);
  }

  /** Start the Temporal server again on the same ports and database, and wait until it answers. */
  async startTemporal(): Promise<void> {
    const state = this.requireState();
    const tools = ensureTemporalServerTools({ quiet: true });
    if (state.temporalPid && isProcessOf(state.temporalPid, tools.server)) return;
    state.temporalPid = await this.startTemporalProcess(tools, state);
    this.writeState(state);
    await this.waitForFrontend(state, tools);
  }

  /** Restart the Temporal server process (crash it with `signal: 'SIGKILL'`). */
  async restartTemporal(o: { signal?: NodeJS.Signals } = {}): Promise<void> {
    await this.stopTemporal(o);
    await this.startTemporal();
  }

  /** Stop PostgreSQL: `immediate` is a crash (recovery on next start), `fast` a clean shutdown. */
  async stopPostgres(o: { mode?: 'fast' | 'immediate' } = {}): Promise<void> {
    await this.postgres(this.requireState(), findPostgres(), postgresOsUser()).stop(o.mode ?? 'fast');
  }

  async startPostgres(): Promise<void> {
    const pg = this.postgres(this.requireState(), findPostgres(), postgresOsUser());
    if (!(await pg.status()).running) await pg.start();
  }

  async restartPostgres(o: { mode?: 'fast' | 'immediate'; downMs?: number } = {}): Promise<void> {
    await this.stopPostgres(o);
    if (o.downMs) await sleep(o.downMs);
    await this.startPostgres();
  }

  /**
   * Run one SQL statement on the cluster's PostgreSQL as the database superuser (psql over TCP);
   * returns its unaligned output. For measurements, e.g. `SELECT pg_database_size('temporal')`.
   */
  async query(sql: string, database = 'postgres'): Promise<string> {
    return this.postgres(this.requireState(), findPostgres(), postgresOsUser()).query(sql, database);
  }

  // --- internals -------------------------------------------------------------------------------

  private postgres(state: ClusterState | null, bins: PostgresBinaries, os: PostgresOsUser): LocalPostgres {
    return new LocalPostgres({
      dir: path.join(this.dir, 'postgres'),
      port: state?.ports.postgres ?? 0,
      user: state?.postgres.user ?? 'temporal',
      password: state?.postgres.password ?? '',
      bins,
      os,
    });
  }

  /** As root the server runs as `postgres`, which must be able to enter the cluster folder. */
  private letOthersEnter(os: PostgresOsUser): void {
    if (!os.prefix.length) return;
    const mode = fs.statSync(this.dir).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(this.dir, (mode & 0o777) | 0o001);
  }

  private readState(): ClusterState | null {
    try {
      return JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as ClusterState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`${this.stateFile}: ${(err as Error).message}`);
    }
  }

  private requireState(): ClusterState {
    const s = this.readState();
    if (!s) throw new Error(`no local cluster in ${this.dir}`);
    return s;
  }

  private writeState(state: ClusterState): void {
    const tmp = `${this.stateFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.stateFile);
  }

  /** Start the server process (after the ports a stopped one may still hold are free); returns its pid. */
  private async startTemporalProcess(tools: TemporalServerTools, state: ClusterState): Promise<number> {
    await waitForFreePorts(state.ports, TEMPORAL_PORT_KEYS);
    return startTemporalServer({
      tools,
      configFile: this.configFile,
      logFile: this.temporalLogFile,
      config: {
        ports: state.ports,
        postgresUser: state.postgres.user,
        postgresPassword: state.postgres.password,
        dynamicConfigFile: path.join(projectRoot(), 'deploy', 'temporal', 'dynamicconfig', 'toa.yaml'),
        logLevel: this.opts.logLevel,
      },
    });
  }

  private async waitForFrontend(state: ClusterState, tools: TemporalServerTools): Promise<void> {
    if (!state.temporalPid) throw new Error('the Temporal server is not running');
    await waitForFrontend({
      address: `127.0.0.1:${state.ports.frontend}`,
      pid: state.temporalPid,
      binary: tools.server,
      logFile: this.temporalLogFile,
      timeoutMs: this.opts.startTimeoutMs ?? 120000,
    });
  }

  private async infoFrom(
    state: ClusterState,
    tools: TemporalServerTools,
    bins: PostgresBinaries,
    os: PostgresOsUser,
  ): Promise<ClusterInfo> {
    const pg = this.postgres(state, bins, os);
    const pgStatus = await pg.status();
    const temporalRunning = !!state.temporalPid && isProcessOf(state.temporalPid, tools.server);
    return {
      dir: this.dir,
      temporalVersion: state.temporalVersion,
      namespace: state.namespace,
      address: `127.0.0.1:${state.ports.frontend}`,
      httpUrl: `http://127.0.0.1:${state.ports.frontendHttp}`,
      metricsUrl: `http://127.0.0.1:${state.ports.metrics}/metrics`,
      ports: state.ports,
      temporal: {
        pid: temporalRunning ? state.temporalPid : null,
        running: temporalRunning,
        binary: tools.server,
        configFile: this.configFile,
        logFile: this.temporalLogFile,
      },
      postgres: {
        pid: pgStatus.pid ?? null,
        running: pgStatus.running,
        version: bins.version,
        address: pg.address,
        user: state.postgres.user,
        dataDir: pg.dataDir,
        logFile: pg.logFile,
      },
    };
  }
}
