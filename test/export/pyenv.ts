/**
 * A Python with Hugging Face `datasets` for the export check: the system python3 when it already
 * has it, else a git-ignored venv under tools/pyenv (created and filled with pip on first use).
 * If pip cannot install it, this throws: the check must run, not be skipped.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
export const VENV = path.join(ROOT, 'tools', 'pyenv');
const VENV_PY = path.join(VENV, 'bin', 'python');

async function hasDatasets(python: string): Promise<boolean> {
  try {
    await run(python, ['-c', 'import datasets, pyarrow'], { timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

export async function pythonWithDatasets(): Promise<string> {
  if (existsSync(VENV_PY) && (await hasDatasets(VENV_PY))) return VENV_PY;
  if (await hasDatasets('python3')) return 'python3';
  try {
    if (!existsSync(VENV_PY)) await run('python3', ['-m', 'venv', VENV], { timeout: 120_000 });
    await run(VENV_PY, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'datasets'], {
      timeout: 900_000,
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    const e = err as { message?: string; stderr?: string };
    throw new Error(
      `cannot install Hugging Face "datasets" into ${VENV} (python3 -m venv + pip install datasets failed). ` +
        `Install it by hand (${VENV_PY} -m pip install datasets) or make PyPI reachable.\n${e.stderr ?? e.message ?? String(err)}`,
    );
  }
  if (!(await hasDatasets(VENV_PY))) throw new Error(`pip reported success but ${VENV_PY} cannot import datasets`);
  return VENV_PY;
}
