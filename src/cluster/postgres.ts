/**
 * PostgreSQL for the local cluster, from the distribution's server binaries (Debian's
 * `postgresql` package: /usr/lib/postgresql/<major>/bin), no Docker.
 *
 * Layout under `<cluster>/postgres/` (owned by the OS user the server runs as):
 *   data/            PGDATA (initdb), with toa-cluster.conf included from postgresql.conf
 *   run/             the unix-socket folder (not /var/run/postgresql, which may not exist or be
 *                    shared with a system cluster); TCP on 127.0.0.1 is what Temporal uses
 *   postgres.log     server log (pg_ctl -l)
 *
 * PostgreSQL refuses to run as root, so as root every server-side command (initdb, pg_ctl) runs
 * as the `postgres` OS user through `runuser -u postgres --`; as any other user it runs directly.
 * The database superuser is `temporal` with a random password (scram-sha-256 on every
 * connection), like the docker-compose `postgres` service whose POSTGRES_USER is `temporal`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run, runChecked } from './processes';

/** Temporal's `postgres12` plugin needs PostgreSQL 12 or newer. */
const MIN_MAJOR = 12;

export interface PostgresBinaries {
  binDir: string;
  /** e.g. "15.14". */
  version: string;
  initdb: string;
  pgCtl: string;
  psql: string;
}

/** The OS user the PostgreSQL server runs as, and how to run a command as that user. */
export interface PostgresOsUser {
  name: string;
  uid: number;
  gid: number;
  /** Command prefix: `['runuser', '-u', 'postgres', '--']` as root, `[]` otherwise. */
  prefix: string[];
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  for (const d of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const p = path.join(d, name);
    if (isExecutable(p)) return p;
  }
  return null;
}

function binariesIn(binDir: string): PostgresBinaries | null {
  const b = { binDir, initdb: path.join(binDir, 'initdb'), pgCtl: path.join(binDir, 'pg_ctl'), psql: path.join(binDir, 'psql') };
  if (![b.initdb, b.pgCtl, b.psql, path.join(binDir, 'postgres')].every(isExecutable)) return null;
  const r = spawnSync(b.initdb, ['--version'], { encoding: 'utf8' });
  const m = /(\d+)(\.\d+)?/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) return null;
  return { ...b, version: m[0] };
}

/**
 * Find the PostgreSQL server binaries: $TOA_PG_BIN (a folder; an error when wrong), else the
 * newest /usr/lib/postgresql/<major>/bin, else the folder of `initdb` on PATH.
 */
export function findPostgres(env: NodeJS.ProcessEnv = process.env): PostgresBinaries {
  const tried: string[] = [];
  const candidates: string[] = [];
  if (env.TOA_PG_BIN) {
    const b = binariesIn(path.resolve(env.TOA_PG_BIN));
    if (!b) throw new Error(`TOA_PG_BIN=${env.TOA_PG_BIN} does not hold PostgreSQL's initdb, pg_ctl, postgres and psql`);
    return checkVersion(b);
  }
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const majors = fs
      .readdirSync(debian)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((m) => path.join(debian, m, 'bin')));
  } else tried.push(`${debian} (absent)`);
  const initdb = onPath('initdb');
  if (initdb) candidates.push(path.dirname(fs.realpathSync(initdb)));
  else tried.push('initdb on PATH (absent)');
  for (const c of candidates) {
    const b = binariesIn(c);
    if (b) return checkVersion(b);
    tried.push(`${c} (no initdb/pg_ctl/postgres/psql)`);
  }
  throw new Error(
    `PostgreSQL server binaries not found (initdb, pg_ctl, postgres, psql; looked in ${tried.join(', ')}): ` +
      'install the `postgresql` package (apt-get install postgresql) or set TOA_PG_BIN to the folder that holds them',
  );
}

function checkVersion(b: PostgresBinaries): PostgresBinaries {
  if (Number(b.version.split('.')[0]) < MIN_MAJOR)
    throw new Error(
      `PostgreSQL ${b.version} in ${b.binDir} is too old: Temporal's postgres12 plugin needs ${MIN_MAJOR} or newer`,
    );
  return b;
}

/** The OS user to run the server as: the current one, or `postgres` through runuser when root. */
export function postgresOsUser(): PostgresOsUser {
  const uid = process.getuid?.() ?? 1;
  if (uid !== 0) return { name: process.env.USER ?? String(uid), uid, gid: process.getgid?.() ?? uid, prefix: [] };
  const runuser = onPath('runuser') ?? ['/usr/sbin/runuser', '/sbin/runuser'].find(isExecutable);
  if (!runuser)
    throw new Error(
      'runuser not found (package util-linux): PostgreSQL refuses to run as root, so as root toa runs it as the `postgres` user through runuser',
    );
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0)
    throw new Error(
      'no `postgres` OS user: PostgreSQL refuses to run as root and toa runs it as `postgres`; install the postgresql package (it creates the user) or run as a non-root user',
    );
  return {
    name: 'postgres',
    uid: Number(u.stdout.trim()),
    gid: Number(g.stdout.trim()),
    prefix: [runuser, '-u', 'postgres', '--'],
  };
}

export interface LocalPostgresOptions {
  /** `<cluster>/postgres`. */
  dir: string;
  port: number;
  /** Database superuser (created by initdb) and its password. */
  user: string;
  password: string;
  bins: PostgresBinaries;
  os: PostgresOsUser;
}

export class LocalPostgres {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;

  constructor(readonly o: LocalPostgresOptions) {
    this.dataDir = path.join(o.dir, 'data');
    this.socketDir = path.join(o.dir, 'run');
    this.logFile = path.join(o.dir, 'postgres.log');
  }

  get address(): string {
    return `127.0.0.1:${this.o.port}`;
  }

  /** Has initdb run (PGDATA complete)? */
  initialised(): boolean {
    return fs.existsSync(path.join(this.dataDir, 'PG_VERSION')) && fs.existsSync(path.join(this.dataDir, 'postgresql.conf'));
  }

  /** Run a server-side command (initdb, pg_ctl) as the server's OS user. */
  private asServerUser(cmd: string, args: string[], what: string, detached = false) {
    const [c, ...pre] = [...this.o.os.prefix, cmd];
    return runChecked(c, [...pre, ...args], { cwd: this.o.dir, detached }, what);
  }

  private chown(p: string): void {
    if (this.o.os.prefix.length) fs.chownSync(p, this.o.os.uid, this.o.os.gid);
  }

  /** Create `<cluster>/postgres` (and run/) owned by the server's OS user, and check it can use them. */
  async prepareDirs(): Promise<void> {
    for (const d of [this.o.dir, this.socketDir]) {
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
      this.chown(d);
    }
    if (!this.o.os.prefix.length) return;
    const r = await run(this.o.os.prefix[0], [...this.o.os.prefix.slice(1), 'test', '-w', this.o.dir]);
    if (r.code !== 0)
      throw new Error(
        `the ${this.o.os.name} OS user cannot write ${this.o.dir}: a parent folder is not searchable by other users ` +
          '(e.g. /root is 0700); put the cluster under a folder others can enter (--dir), or `chmod o+x` the parent folders',
      );
  }

  /** initdb: superuser `user` with `password`, scram-sha-256 everywhere, UTF-8, C locale. */
  async init(): Promise<void> {
    await this.prepareDirs();
    const pwFile = path.join(this.o.dir, 'initdb-password');
    fs.writeFileSync(pwFile, `${this.o.password}\n`, { mode: 0o600 });
    this.chown(pwFile);
    try {
      await this.asServerUser(
        this.o.bins.initdb,
        ['-D', this.dataDir, '-U', this.o.user, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'],
        'initdb',
      );
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
    const conf = path.join(this.dataDir, 'postgresql.conf');
    fs.appendFileSync(
      conf,
      "\n# Written by toa's local cluster (src/cluster/postgres.ts) on every start.\ninclude_if_exists = 'toa-cluster.conf'\n",
    );
  }

  /** Port, addresses and socket folder: rewritten on every start, so a new port takes effect. */
  writeSettings(): void {
    const file = path.join(this.dataDir, 'toa-cluster.conf');
    fs.writeFileSync(
      file,
      [
        "listen_addresses = '127.0.0.1'",
        `port = ${this.o.port}`,
        `unix_socket_directories = '${this.socketDir.replace(/'/g, "''")}'`,
        // Temporal's pools: 20 + 2 connections per service (frontend, history, matching, worker).
        'max_connections = 200',
        '',
      ].join('\n'),
    );
    this.chown(file);
  }

  /** `pg_ctl status`: running with pid, or not. */
  async status(): Promise<{ running: boolean; pid?: number }> {
    if (!this.initialised()) return { running: false };
    const [c, ...pre] = [...this.o.os.prefix, this.o.bins.pgCtl];
    const r = await run(c, [...pre, '-D', this.dataDir, 'status'], { cwd: this.o.dir });
    const m = /PID: (\d+)/.exec(r.stdout);
    return r.code === 0 ? { running: true, pid: m ? Number(m[1]) : undefined } : { running: false };
  }

  /** Start and wait until it accepts connections. */
  async start(): Promise<void> {
    this.writeSettings();
    fs.mkdirSync(this.socketDir, { recursive: true, mode: 0o700 });
    this.chown(this.socketDir);
    await this.asServerUser(
      this.o.bins.pgCtl,
      ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '120', 'start'],
      `starting PostgreSQL (log: ${this.logFile})`,
      true,
    );
  }

  /**
   * Stop. `fast`: clean shutdown (what `down` uses). `immediate`: no shutdown checkpoint, crash
   * recovery on the next start, as after a power cut of the database alone (what tests use).
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!(await this.status()).running) return;
    await this.asServerUser(this.o.bins.pgCtl, ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop'], 'stopping PostgreSQL');
  }

  /** Run one SQL statement with psql over TCP as the superuser; returns its unaligned output. */
  async query(sql: string, database = 'postgres'): Promise<string> {
    const r = await runChecked(
      this.o.bins.psql,
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(this.o.port),
        '-U',
        this.o.user,
        '-d',
        database,
        '-tAqX',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ],
      { env: { ...process.env, PGPASSWORD: this.o.password, PGCONNECT_TIMEOUT: '10' } },
      'psql',
    );
    return r.stdout.trim();
  }

  async databaseExists(name: string): Promise<boolean> {
    return (await this.query(`SELECT 1 FROM pg_database WHERE datname = '${name.replace(/'/g, "''")}'`)) === '1';
  }
}
