/**
 * The local cluster's tooling without running a cluster (that is test/cluster, `npm run
 * test:cluster`): one pinned Temporal version shared with docker-compose.yml, and clear errors
 * for what is missing, before any build or start.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findPostgres, serverLogSummary, temporalServerVersion } from '../../src/cluster';
import { isAlive } from '../../src/cluster/processes';

const ROOT = path.resolve(__dirname, '..', '..');

/** PATH without any folder that has a `go` executable: a machine without Go. */
function pathWithoutGo(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => d && !fs.existsSync(path.join(d, 'go')))
    .join(path.delimiter);
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'toa-deploy-'));
}

test("docker-compose.yml's Temporal image defaults are the version in deploy/temporal/VERSION", () => {
  const version = temporalServerVersion();
  expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  const compose = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  const pins = [...compose.matchAll(/image: temporalio\/(server|admin-tools):\$\{(\w+):-([^}]+)\}/g)].map((m) => [
    m[1],
    m[2],
    m[3],
  ]);
  expect(pins).toEqual([
    ['admin-tools', 'TEMPORAL_ADMINTOOLS_VERSION', version],
    ['server', 'TEMPORAL_VERSION', version],
    ['admin-tools', 'TEMPORAL_ADMINTOOLS_VERSION', version],
  ]);
});

test('without Go and without a build, the server script says what to install, in one line', () => {
  const dir = tmp();
  try {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'temporal-server.js')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: pathWithoutGo(), TOA_TEMPORAL_SERVER_DIR: path.join(dir, 'none') },
    });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /Go is not installed .*go install go\.temporal\.io\/server\/cmd\/server@v\d+\.\d+\.\d+\); install Go from/,
    );
    expect(fs.existsSync(path.join(dir, 'none'))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a complete build is used as it is: no Go needed, nothing rebuilt', () => {
  const dir = tmp();
  try {
    for (const f of ['bin/server', 'bin/sql', 'config/development-postgres12.yaml', 'build.json']) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), 'x');
    }
    for (const d of ['temporal', 'visibility'])
      fs.mkdirSync(path.join(dir, 'schema/postgresql/v12', d, 'versioned'), { recursive: true });
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'temporal-server.js'), '--json'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: pathWithoutGo(), TOA_TEMPORAL_SERVER_DIR: dir },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      server: path.join(dir, 'bin', 'server'),
      sqlTool: path.join(dir, 'bin', 'sql'),
    });
    expect(fs.readFileSync(path.join(dir, 'bin', 'server'), 'utf8')).toBe('x');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('`cluster up` lists every missing piece, one line each, before building or starting anything', () => {
  const dir = tmp();
  try {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'cluster.js'), 'up', '--dir', path.join(dir, 'cluster')], {
      encoding: 'utf8',
      cwd: ROOT,
      env: {
        ...process.env,
        PATH: pathWithoutGo(),
        TOA_TEMPORAL_SERVER_DIR: path.join(dir, 'none'),
        TOA_PG_BIN: path.join(dir, 'no-postgres'),
      },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('cluster: cannot bring the local cluster up:');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}- TOA_PG_BIN=.*no-postgres does not hold PostgreSQL's initdb, pg_ctl, postgres and psql$/),
      expect.stringMatching(/^ {2}- Go is not installed /),
    ]);
    expect(fs.existsSync(path.join(dir, 'cluster'))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrong TOA_PG_BIN is named, not skipped', () => {
  expect(() => findPostgres({ TOA_PG_BIN: '/nonexistent/bin' })).toThrow(
    "TOA_PG_BIN=/nonexistent/bin does not hold PostgreSQL's initdb, pg_ctl, postgres and psql",
  );
});

test("the server's JSON log is summarised to its last warnings and errors, without stack traces", () => {
  const log = [
    JSON.stringify({ level: 'info', msg: 'starting' }),
    JSON.stringify({
      level: 'error',
      msg: 'Operation failed',
      error: 'pq: value "45123" is out of range for type smallint',
      stacktrace: 'a\nb',
    }),
    'not json',
    JSON.stringify({ level: 'fatal', msg: 'unable to initialize membership heartbeats', error: 'boom' }),
  ].join('\n');
  expect(serverLogSummary(log)).toBe(
    '  error: Operation failed: pq: value "45123" is out of range for type smallint\n  fatal: unable to initialize membership heartbeats: boom',
  );
  expect(serverLogSummary('plain line 1\nplain line 2', 1)).toBe('  plain line 2');
});

test('an exited but unreaped process (zombie) counts as stopped, so `down` does not wait for it', async () => {
  // `sleep 0.1` is started in the background, then its parent shell becomes `sleep 5`, which never
  // reaps it: after 0.1 s it is a zombie.
  const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    expect(isAlive(pid)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(isAlive(pid)).toBe(false);
  } finally {
    parent.kill('SIGKILL');
  }
});

test('a zombie leader whose other threads still run (a multi-threaded server dying) is still running', () => {
  // A fake /proc for this process's pid: the kill(0) probe is real, the state comes from the files.
  const proc = tmp();
  try {
    const me = path.join(proc, String(process.pid));
    fs.mkdirSync(path.join(me, 'task', String(process.pid)), { recursive: true });
    fs.writeFileSync(path.join(me, 'stat'), `${process.pid} (server) Z 1 1 1 0 -1`);
    fs.mkdirSync(path.join(me, 'task', '999999'));
    expect(isAlive(process.pid, proc)).toBe(true);
    fs.rmdirSync(path.join(me, 'task', '999999'));
    expect(isAlive(process.pid, proc)).toBe(false);
    fs.writeFileSync(path.join(me, 'stat'), `${process.pid} (server) S 1 1 1 0 -1`);
    expect(isAlive(process.pid, proc)).toBe(true);
  } finally {
    fs.rmSync(proc, { recursive: true, force: true });
  }
});

test('setup --for-cluster stops before anything else when Go and PostgreSQL are missing, one line each', () => {
  const dir = tmp();
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'scripts', 'setup.js'), '--for-cluster', '--no-build', '--no-install'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: {
          PATH: bin,
          HOME: process.env.HOME ?? '/tmp',
          TOA_TEMPORAL_SERVER_DIR: path.join(dir, 'none'),
          TOA_PG_BIN: path.join(dir, 'no-postgres'),
        },
      },
    );
    expect(r.status).toBe(1);
    const missing = r.stderr.split('\n').filter((l) => l.startsWith('[setup] missing: '));
    expect(missing).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^\[setup\] missing: Go \(`go` not found on PATH and the Temporal server is not built yet\): install Go/,
        ),
        expect.stringMatching(
          /^\[setup\] missing: PostgreSQL server \(TOA_PG_BIN=.*no-postgres lacks initdb, pg_ctl, postgres or psql\): install PostgreSQL 12/,
        ),
      ]),
    );
    expect(r.stderr).toMatch(/prerequisites? missing for cluster; nothing else was run/);
    expect(fs.existsSync(path.join(dir, 'none'))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
