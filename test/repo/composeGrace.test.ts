/**
 * docker-compose.yml's worker: `docker compose stop` sends SIGTERM and SIGKILLs after
 * stop_grace_period, so that period must cover the worker's --shutdown-grace plus the time it may
 * take to exit after it; and the compose validator (deploy/compose-validate, run by
 * scripts/validate-compose.sh) must use the worker's own constants. Checked here without Docker or Go.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { FORCE_AFTER_GRACE_SECONDS, MAX_DEFAULT_GRACE_SECONDS } from '../../src/worker/shutdown';

const ROOT = path.join(__dirname, '..', '..');

/** Seconds of a compose duration such as "150s", "2m30s", "1m". */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)];
  expect(parts.map((p) => p[0]).join('')).toBe(duration);
  return parts.reduce((n, [, v, unit]) => n + Number(v) * { h: 3600, m: 60, s: 1, ms: 0.001 }[unit as 'h' | 'm' | 's' | 'ms'], 0);
}

test("the worker's stop_grace_period covers its --shutdown-grace and the exit after it", () => {
  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: { worker: { command: string; stop_grace_period: string } };
  };
  const worker = compose.services.worker;
  const flag = /--shutdown-grace[ =](\d+(?:\.\d+)?)/.exec(worker.command);
  const grace = flag ? Number(flag[1]) : MAX_DEFAULT_GRACE_SECONDS;
  expect(seconds(worker.stop_grace_period)).toBeGreaterThanOrEqual(grace + FORCE_AFTER_GRACE_SECONDS + 5);
  // The trust model's default for compose: paths only under the shared volume.
  expect(worker.command).toContain('--allow-path ${TOA_WORKER_ALLOW_PATH:-/data}');
});

test('the compose validator checks with the same constants as the worker', () => {
  const go = readFileSync(path.join(ROOT, 'deploy', 'compose-validate', 'main.go'), 'utf8');
  expect(go).toContain(`maxDefaultGrace = ${MAX_DEFAULT_GRACE_SECONDS} * time.Second`);
  expect(go).toContain(`exitMargin      = ${FORCE_AFTER_GRACE_SECONDS + 5} * time.Second`);
  expect(readFileSync(path.join(ROOT, 'scripts', 'validate-compose.sh'), 'utf8')).toContain('-grace worker');
});

test('durations are read as compose writes them', () => {
  expect(seconds('150s')).toBe(150);
  expect(seconds('2m30s')).toBe(150);
  expect(seconds('1m')).toBe(60);
});
