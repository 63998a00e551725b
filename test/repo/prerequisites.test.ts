/**
 * `npm test` on a fresh machine: `node scripts/setup.js --for-tests` checks every prerequisite
 * of the suite before it runs anything, installs what apt-get can provide, and otherwise stops
 * with one line per missing piece saying how to get it.
 *
 * The real script runs as a child process with a temporary PATH holding only `node` and `git`
 * (nothing is uninstalled), and TOA_CHROMIUM pointing at a file that does not exist. In the
 * second case, test doubles stand in for `apt-get` (and `sudo`, for non-root runs): the apt-get
 * double records its arguments and "installs" a fake `python3` whose pip and venv answer only
 * once their packages were installed, so the install-then-recheck path runs for real without
 * touching the machine.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../support/tmp';

const ROOT = path.resolve(__dirname, '../..');
const SETUP = path.join(ROOT, 'scripts', 'setup.js');

function which(cmd: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`this test needs ${cmd} on PATH`);
  return r.stdout.trim();
}

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

/** A bin folder with only node and git in it. */
function bareBin(): string {
  const tmp = tmpDir('prereq-');
  cleanups.push(tmp.cleanup);
  const bin = path.join(tmp.dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, path.join(bin, 'node'));
  symlinkSync(which('git'), path.join(bin, 'git'));
  return bin;
}

function script(file: string, text: string): void {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

function runSetup(bin: string, extraArgs: string[] = []) {
  const r = spawnSync(process.execPath, [SETUP, '--for-tests', '--no-build', ...extraArgs], {
    cwd: ROOT,
    encoding: 'utf8',
    // Hang guard only: a setup that does not stop is killed and fails below (signal set).
    timeout: 60_000,
    env: { PATH: bin, HOME: process.env.HOME ?? '/tmp', TOA_CHROMIUM: path.join(bin, 'no-such-chromium') },
  });
  const lines = r.stderr.split('\n').filter(Boolean);
  return { status: r.status, signal: r.signal, lines, missing: lines.filter((l) => l.startsWith('[setup] missing: ')) };
}

describe('setup --for-tests on a machine that lacks prerequisites', () => {
  it('stops before running anything, with one line per missing piece saying how to get it', () => {
    const bin = bareBin();
    const r = runSetup(bin);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.missing.map((l) => /^\[setup\] missing: ([^(]+?) \(/.exec(l)?.[1])).toEqual([
      'Python 3',
      'pip',
      'Python venv',
      'Chromium',
    ]);
    const line = (name: string) => r.missing.find((l) => l.startsWith(`[setup] missing: ${name} (`))!;
    expect(line('Python 3')).toMatch(/python3 not found on PATH\).*apt-get install python3\b/);
    expect(line('pip')).toMatch(/apt-get install python3-pip/);
    expect(line('Python venv')).toMatch(/apt-get install python3-venv/);
    expect(line('Chromium')).toMatch(
      new RegExp(`TOA_CHROMIUM=${bin}/no-such-chromium is not an executable file\\).*set TOA_CHROMIUM`),
    );
    // Nothing else happened: no Temporal CLI lookup or pip install, no build, only the report.
    expect(r.lines.filter((l) => !l.startsWith('[setup] missing: '))).toEqual([
      expect.stringMatching(/^\[setup\] error: 4 prerequisites missing for tests; nothing else was run\./),
    ]);
  });

  it('installs missing Debian packages with apt-get when it can, then checks again and reports the rest', () => {
    const bin = bareBin();
    const log = path.join(bin, 'apt.log');
    // The doubles use shell builtins only: PATH holds nothing else. python3 answers once the
    // apt-get double "installed" it, and its pip and venv once their packages were installed.
    script(
      path.join(bin, 'python3'),
      `#!/bin/sh
d=\${0%/*}
[ -e "$d/python3.installed" ] || { echo "python3: not installed" >&2; exit 127; }
case "$1" in
  --version) echo "Python 3.11.0" ;;
  -m) [ -e "$d/python3-pip.installed" ] || { echo "No module named pip" >&2; exit 1; } ;;
  -c) [ -e "$d/python3-venv.installed" ] || { echo "No module named ensurepip" >&2; exit 1; } ;;
  *) exit 1 ;;
esac
`,
    );
    script(
      path.join(bin, 'apt-get'),
      `#!/bin/sh
d=\${0%/*}
[ "$1" = --version ] && { echo "apt 2.6.1"; exit 0; }
echo "$*" >> "$d/apt.log"
for p in "$@"; do
  case "$p" in
    -*|install|update) ;;
    *) : > "$d/$p.installed" ;;
  esac
done
`,
    );
    // Non-root runs go through passwordless sudo; this double just runs the command.
    script(path.join(bin, 'sudo'), '#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n');

    const r = runSetup(bin);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    // One apt-get call for every package it can provide; chromium is not among them because
    // an explicit TOA_CHROMIUM is the user's to fix.
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['install -y -qq python3 python3-pip python3-venv']);
    expect(existsSync(path.join(bin, 'python3.installed'))).toBe(true);
    expect(r.lines).toContain('[setup] installing with apt-get: python3 python3-pip python3-venv');
    expect(r.missing).toHaveLength(1);
    expect(r.missing[0]).toMatch(/^\[setup\] missing: Chromium \(/);
  });

  it('--no-install reports without installing', () => {
    const bin = bareBin();
    script(path.join(bin, 'apt-get'), '#!/bin/sh\necho "$*" >> "$(dirname "$0")/apt.log"\n');
    const r = runSetup(bin, ['--no-install']);
    expect(r.status).toBe(1);
    expect(r.missing).toHaveLength(4);
    expect(existsSync(path.join(bin, 'apt.log'))).toBe(false);
  });

  it('rejects an unknown --for-<purpose> flag, naming the known ones', () => {
    const r = spawnSync(process.execPath, [SETUP, '--for-tset', '--no-build'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown option --for-tset \(known: --for-tests, --for-demo, --for-cluster\)/);
  });
});
