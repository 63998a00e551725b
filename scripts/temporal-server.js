#!/usr/bin/env node
'use strict';
/**
 * The Temporal server and its SQL schema tool for the local cluster (`npm run cluster -- up`),
 * built from source with Go, no Docker:
 *
 *   node scripts/temporal-server.js          # build into tools/temporal-server/<version>/ unless present
 *   node scripts/temporal-server.js --json   # ... and print the paths as JSON
 *   node scripts/setup.js --for-cluster      # the same, as part of the setup step
 *
 * The version is deploy/temporal/VERSION, the one pinned file: docker-compose.yml's image tags
 * default to it (test/deploy checks they agree). The build runs
 *
 *   GOBIN=<tmp> go install go.temporal.io/server/cmd/server@v<version> \
 *                          go.temporal.io/server/cmd/tools/sql@v<version>
 *
 * (~4-15 min on 2 cores the first time; Go's module and build caches make later builds fast), then
 * copies from the module's source, which `go mod download` locates in the module cache:
 *   config/development-postgres12.yaml   the config the local cluster's config is derived from
 *   schema/postgresql/v12/                the versioned schemas the SQL tool applies
 * so that running the cluster needs neither Go nor the module cache. The folder is complete
 * only when build.json exists (written last, after an atomic rename), so an interrupted build is
 * redone, never half-used. Plain CommonJS, no dependencies: it runs before `npm run build`.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const VERSION_FILE = path.join(ROOT, 'deploy', 'temporal', 'VERSION');
const MODULE = 'go.temporal.io/server';

/** The pinned Temporal server version, e.g. "1.31.0" (deploy/temporal/VERSION). */
function temporalServerVersion() {
  const v = fs.readFileSync(VERSION_FILE, 'utf8').trim();
  if (!/^\d+\.\d+\.\d+$/.test(v)) throw new Error(`${VERSION_FILE}:1: expected a version like 1.31.0, got "${v}"`);
  return v;
}

/**
 * Where the build of `version` lives and what it contains.
 * @param {string} [version]
 */
function toolsLayout(version = temporalServerVersion()) {
  const dir = process.env.TOA_TEMPORAL_SERVER_DIR
    ? path.resolve(process.env.TOA_TEMPORAL_SERVER_DIR)
    : path.join(ROOT, 'tools', 'temporal-server', version);
  return {
    version,
    dir,
    server: path.join(dir, 'bin', 'server'),
    sqlTool: path.join(dir, 'bin', 'sql'),
    baseConfig: path.join(dir, 'config', 'development-postgres12.yaml'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
    buildInfo: path.join(dir, 'build.json'),
  };
}

function isComplete(l) {
  return (
    [l.server, l.sqlTool, l.baseConfig, l.buildInfo].every((p) => fs.existsSync(p)) &&
    fs.existsSync(path.join(l.schemaDir, 'temporal', 'versioned')) &&
    fs.existsSync(path.join(l.schemaDir, 'visibility', 'versioned'))
  );
}

function goVersion() {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim();
}

function goMissingMessage(l) {
  return (
    `Go is not installed (no \`go\` on PATH): it is needed once to build Temporal server ${l.version} into ${path.relative(ROOT, l.dir) || l.dir}/ ` +
    `(go install ${MODULE}/cmd/server@v${l.version}); install Go from https://go.dev/dl/ or your package manager ` +
    '(`apt-get install golang`; an older Go fetches the toolchain the module needs by itself)'
  );
}

/**
 * Why the server cannot be had without further ado, or null: it is built, or Go is there to build it.
 * A cheap check, so callers can report every missing piece before a long build starts.
 */
function temporalServerProblem() {
  const l = toolsLayout();
  return isComplete(l) || goVersion() ? null : goMissingMessage(l);
}

/**
 * Build (when missing) and return the layout. Throws a one-line-first error naming what is missing.
 * @param {{ quiet?: boolean }} [opts]
 */
function ensureTemporalServer(opts = {}) {
  const log = (m) => {
    if (!opts.quiet) process.stderr.write(`[temporal-server] ${m}\n`);
  };
  const l = toolsLayout();
  if (isComplete(l)) return l;
  const go = goVersion();
  if (!go) throw new Error(goMissingMessage(l));
  const tmp = `${l.dir}.tmp-${process.pid}`;
  removeInterruptedBuilds(l.dir);
  fs.mkdirSync(path.join(tmp, 'bin'), { recursive: true });
  const t0 = Date.now();
  log(`building Temporal server ${l.version} with ${go} (first time: several minutes; log below)`);
  const pkgs = [`${MODULE}/cmd/server@v${l.version}`, `${MODULE}/cmd/tools/sql@v${l.version}`];
  const build = spawnSync('go', ['install', ...pkgs], {
    env: { ...process.env, GOBIN: path.join(tmp, 'bin') },
    stdio: ['ignore', opts.quiet ? 'ignore' : 'inherit', opts.quiet ? 'pipe' : 'inherit'],
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const tail = (build.stderr || '').trim().split('\n').slice(-5).join(' | ');
    throw new Error(`go install ${pkgs.join(' ')} failed (exit ${build.status})${tail ? `: ${tail}` : ''}`);
  }
  // The module's source (config templates, schemas) is in the module cache after the install.
  const dl = spawnSync('go', ['mod', 'download', '-json', `${MODULE}@v${l.version}`], { encoding: 'utf8' });
  let moduleDir;
  try {
    moduleDir = JSON.parse(dl.stdout).Dir;
  } catch {
    /* reported below */
  }
  if (dl.status !== 0 || !moduleDir || !fs.existsSync(moduleDir)) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(
      `go mod download ${MODULE}@v${l.version} did not give the module's folder: ${(dl.stderr || dl.stdout).trim()}`,
    );
  }
  fs.mkdirSync(path.join(tmp, 'config'), { recursive: true });
  fs.copyFileSync(
    path.join(moduleDir, 'config', 'development-postgres12.yaml'),
    path.join(tmp, 'config', 'development-postgres12.yaml'),
  );
  fs.cpSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'), path.join(tmp, 'schema', 'postgresql', 'v12'), {
    recursive: true,
  });
  // The module cache is read-only; the copies need not be.
  chmodTree(path.join(tmp, 'config'));
  chmodTree(path.join(tmp, 'schema'));
  fs.rmSync(l.dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(l.dir), { recursive: true });
  fs.renameSync(tmp, l.dir);
  const info = {
    version: l.version,
    go,
    module: `${MODULE}@v${l.version}`,
    moduleDir,
    builtAt: new Date().toISOString(),
    seconds: Math.round((Date.now() - t0) / 1000),
  };
  fs.writeFileSync(l.buildInfo, `${JSON.stringify(info, null, 2)}\n`);
  log(`built in ${info.seconds} s: ${l.dir}`);
  return l;
}

/** Remove `<dir>.tmp-<pid>` folders of builds whose process is gone (interrupted). */
function removeInterruptedBuilds(dir) {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.tmp-`;
  if (!fs.existsSync(parent)) return;
  for (const name of fs.readdirSync(parent).filter((n) => n.startsWith(prefix))) {
    const pid = Number(name.slice(prefix.length));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      /* gone */
    }
    if (!alive) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

function chmodTree(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    fs.chmodSync(p, e.isDirectory() ? 0o755 : 0o644);
    if (e.isDirectory()) chmodTree(p);
  }
}

module.exports = { temporalServerVersion, toolsLayout, ensureTemporalServer, temporalServerProblem, VERSION_FILE };

if (require.main === module) {
  try {
    const l = ensureTemporalServer({ quiet: process.argv.includes('--quiet') });
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(l, null, 2)}\n`);
    else process.stderr.write(`[temporal-server] ${l.version}: ${l.server}, ${l.sqlTool}\n`);
  } catch (err) {
    process.stderr.write(`[temporal-server] error: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
