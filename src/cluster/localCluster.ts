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
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { projectRoot, stateDir } from '../server/cli-path';
import { registerSearchAttributes } from '../server/registerSearchAttributes';
import { findPostgres, LocalPostgres, postgresOsUser, type PostgresBinaries, type PostgresOsUser } from './postgres';
import { freePort, isAlive, isPortFree, isProcessOf, runChecked, sleep, stopPid, tailFile } from './processes';
import { ensureTemporalServerTools, temporalServerProblem, type TemporalServerTools } from './serverTools';
import { deriveTemporalConfig, type ClusterPorts } from './temporalConfig';

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

const PORT_LABELS: Record<keyof ClusterPorts, string> = {
  frontend: 'Temporal frontend gRPC',
  frontendHttp: 'Temporal frontend HTTP',
  frontendMembership: 'frontend membership',
  history: 'history gRPC',
  historyMembership: 'history membership',
  matching: 'matching gRPC',
  matchingMembership: 'matching membership',
  worker: 'worker gRPC',
  workerMembership: 'worker membership',
  metrics: 'Prometheus metrics',
  postgres: 'PostgreSQL',
};
const TEMPORAL_PORT_KEYS = (Object.keys(PORT_LABELS) as Array<keyof ClusterPorts>).filter((k) => k !== 'postgres');
const GRPC_ALREADY_EXISTS = 6;
const GRPC_NOT_FOUND = 5;
const HEALTH_SERVING = 1;

/**
 * The server logs one JSON object per line with stack traces: keep level, message and error of
 * the last warnings/errors (else of the last lines), one short line each.
 */
export function serverLogSummary(text: string, lines = 6): string {
  const parsed = text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        const j = JSON.parse(l) as { level?: string; msg?: string; error?: string };
        return { level: j.level ?? '', line: `${j.level}: ${j.msg}${j.error ? `: ${j.error}` : ''}` };
      } catch {
        return { level: '', line: l };
      }
    });
  const bad = parsed.filter((p) => ['warn', 'error', 'fatal', 'panic', 'dpanic'].includes(p.level));
  return (bad.length ? bad : parsed)
    .slice(-lines)
    .map((p) => `  ${p.line.slice(0, 300)}`)
    .join('\n');
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
    return this.withLock(async () => {
      const actions: string[] = [];
      const tools = ensureTemporalServerTools({ quiet: !this.opts.log });
      fs.mkdirSync(this.dir, { recursive: true });
      this.letOthersEnter(os);
      let state = this.readState();
      const pgRunning = (await this.postgres(state, bins, os).status()).running;
      const temporalRunning = !!state?.temporalPid && isProcessOf(state.temporalPid, tools.server);
      const ports = await this.resolvePorts(state?.ports, pgRunning, temporalRunning);
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
        await this.setupSchemas(pg, tools, state);
        actions.push('schema');
        this.log(`starting Temporal server ${tools.version} on 127.0.0.1:${ports.frontend}`);
        state.temporalPid = await this.startTemporalProcess(tools, state);
        this.writeState(state);
        actions.push('temporal');
      }
      await this.waitForFrontend(state, tools, this.opts.startTimeoutMs ?? 120000);
      if (await this.ensureNamespace(state)) actions.push('namespace');
      return { ...(await this.infoFrom(state, tools, bins, os)), actions, seconds: (Date.now() - t0) / 1000 };
    });
  }

  /** Stop the Temporal server (SIGTERM, SIGKILL after 20 s) and PostgreSQL (fast shutdown). Data stays unless `deleteData`. */
  async down(o: { deleteData?: boolean } = {}): Promise<{ stopped: string[] }> {
    return this.withLock(async () => {
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
        // The lock file inside is released by withLock; it tolerates the folder being gone.
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
    await this.waitForFrontend(state, tools, this.opts.startTimeoutMs ?? 120000);
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

  /**
   * Given ports win; else the recorded ones while free; else free ones. A component that is
   * running keeps its ports (changing them needs `down` first).
   */
  private async resolvePorts(
    recorded: ClusterPorts | undefined,
    pgRunning: boolean,
    temporalRunning: boolean,
  ): Promise<ClusterPorts> {
    const given = this.opts.ports ?? {};
    const out = {} as ClusterPorts;
    const taken = new Set<number>();
    for (const key of Object.keys(PORT_LABELS) as Array<keyof ClusterPorts>) {
      const running = key === 'postgres' ? pgRunning : temporalRunning;
      const want = (given as Partial<ClusterPorts>)[key];
      const had = recorded?.[key];
      if (running && had) {
        if (want && want !== had)
          throw new Error(
            `the cluster in ${this.dir} runs with ${PORT_LABELS[key]} on port ${had}, not ${want}: run \`down\` first to change ports`,
          );
        out[key] = had;
      } else if (want) {
        if (taken.has(want) || !(await isPortFree(want)))
          throw new Error(`port ${want} (${PORT_LABELS[key]}) is in use by another process on 127.0.0.1: choose another one`);
        out[key] = want;
      } else if (had && !taken.has(had) && (await isPortFree(had))) {
        out[key] = had;
      } else {
        out[key] = await freePort(taken);
        if (had) this.log(`${PORT_LABELS[key]}: port ${had} is taken now, using ${out[key]}`);
      }
      taken.add(out[key]);
    }
    return out;
  }

  /**
   * What the docker-compose `temporal-schema` job runs (deploy/temporal/setup-postgres.sh):
   * create each database (when missing), `setup-schema -v 0.0` (version table only; a no-op once
   * done), `update-schema -d schema/postgresql/v12/<db>/versioned` (incremental).
   */
  private async setupSchemas(pg: LocalPostgres, tools: TemporalServerTools, state: ClusterState): Promise<void> {
    const env = { ...process.env, SQL_PASSWORD: state.postgres.password };
    const base = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(state.ports.postgres), '-u', state.postgres.user];
    const sql = (db: string, args: string[]) =>
      runChecked(tools.sqlTool, [...base, '--db', db, ...args], { env }, `temporal-sql-tool (${db})`);
    for (const [db, folder] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ]) {
      if (!(await pg.databaseExists(db))) await sql(db, ['create-database']);
      await sql(db, ['setup-schema', '-v', '0.0']);
      await sql(db, ['update-schema', '-d', path.join(tools.schemaDir, folder, 'versioned')]);
    }
  }

  /** Write the config and spawn the server in its own session; returns its pid (health is checked separately). */
  private async startTemporalProcess(tools: TemporalServerTools, state: ClusterState): Promise<number> {
    // A server that was just stopped may hold its sockets a moment longer: wait a little.
    const deadline = Date.now() + 10000;
    for (const key of TEMPORAL_PORT_KEYS)
      while (!(await isPortFree(state.ports[key]))) {
        if (Date.now() > deadline)
          throw new Error(
            `port ${state.ports[key]} (${PORT_LABELS[key]}) is in use by another process: cannot start the Temporal server`,
          );
        await sleep(200);
      }
    fs.mkdirSync(this.temporalDir, { recursive: true });
    const config = deriveTemporalConfig(
      fs.readFileSync(tools.baseConfig, 'utf8'),
      {
        ports: state.ports,
        postgresUser: state.postgres.user,
        postgresPassword: state.postgres.password,
        dynamicConfigFile: path.join(projectRoot(), 'deploy', 'temporal', 'dynamicconfig', 'toa.yaml'),
        logLevel: this.opts.logLevel,
      },
      tools.baseConfig,
    );
    fs.writeFileSync(this.configFile, config, { mode: 0o600 });
    fs.chmodSync(this.configFile, 0o600);
    const args = ['--config-file', this.configFile, '--allow-no-auth', 'start'];
    const fd = fs.openSync(this.temporalLogFile, 'a');
    try {
      fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${tools.server} ${args.join(' ')}\n`);
      const child = spawn(tools.server, args, { cwd: this.temporalDir, detached: true, stdio: ['ignore', fd, fd] });
      child.unref();
      if (!child.pid) throw new Error(`cannot start ${tools.server}`);
      return child.pid;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Until the frontend's health service says SERVING; fails early (with the log tail) if the process died. */
  private async waitForFrontend(state: ClusterState, tools: TemporalServerTools, timeoutMs: number): Promise<void> {
    const address = `127.0.0.1:${state.ports.frontend}`;
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    for (;;) {
      if (!state.temporalPid || !isProcessOf(state.temporalPid, tools.server))
        throw new Error(
          `the Temporal server exited during startup (log: ${this.temporalLogFile}); its last errors:\n${serverLogSummary(tailFile(this.temporalLogFile, 300))}`,
        );
      let conn: Connection | undefined;
      try {
        conn = await Connection.connect({ address, connectTimeout: 2000 });
        const c = conn;
        const r = await c.withDeadline(Date.now() + 3000, () =>
          c.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' }),
        );
        if (r.status === HEALTH_SERVING) return;
        last = `health status ${r.status}`;
      } catch (err) {
        last = (err as Error).message;
      } finally {
        await conn?.close().catch(() => undefined);
      }
      if (Date.now() > deadline)
        throw new Error(
          `the Temporal server did not answer on ${address} within ${timeoutMs / 1000} s (${last}); log: ${this.temporalLogFile}`,
        );
      await sleep(500);
    }
  }

  /**
   * Create the namespace when missing, then register the project's search attributes with the
   * project's own registration (`registerSearchAttributes`, what `toa register-search-attributes`
   * runs). A new namespace reaches the frontend's namespace cache within ~10 s; until then the
   * operator service answers NotFound, so that is retried. Returns whether anything was created.
   */
  private async ensureNamespace(state: ClusterState): Promise<boolean> {
    const namespace = state.namespace;
    const conn = await Connection.connect({ address: `127.0.0.1:${state.ports.frontend}` });
    try {
      let created = false;
      try {
        await conn.workflowService.describeNamespace({ namespace });
      } catch (err) {
        if ((err as { code?: number }).code !== GRPC_NOT_FOUND) throw err;
        this.log(`creating namespace ${namespace}`);
        await conn.workflowService
          .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(this.opts.retention ?? '7 days') })
          .catch((e: { code?: number }) => {
            if (e.code !== GRPC_ALREADY_EXISTS) throw e;
          });
        created = true;
      }
      const deadline = Date.now() + 60000;
      for (;;) {
        try {
          const r = await registerSearchAttributes(conn, namespace);
          if (r.added.length) this.log(`registered search attributes: ${r.added.join(', ')}`);
          return created || r.added.length > 0;
        } catch (err) {
          const notYet = /not found|NotFound/i.test((err as Error).message) || (err as { code?: number }).code === GRPC_NOT_FOUND;
          if (!notYet || Date.now() > deadline) throw err;
          await sleep(1000);
        }
      }
    } finally {
      await conn.close().catch(() => undefined);
    }
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

  /** One `up`/`down` at a time per folder (O_EXCL lock file; a dead holder's lock is taken over). */
  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    fs.mkdirSync(this.dir, { recursive: true });
    const lock = path.join(this.dir, 'cluster.lock');
    const deadline = Date.now() + 10 * 60000;
    for (;;) {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number(fs.readFileSync(lock, 'utf8'));
        if (!Number.isInteger(holder) || !isAlive(holder)) {
          fs.rmSync(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw new Error(`${lock} is held by pid ${holder}`);
        await sleep(200);
      }
    }
    try {
      return await fn();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}
