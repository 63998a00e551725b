/**
 * The Temporal server process of the local cluster: start it from a config derived from the
 * module's development-postgres12.yaml (temporalConfig.ts), wait until its frontend is healthy,
 * and make its JSON log readable in errors.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { isProcessOf, sleep, tailFile } from './processes';
import type { TemporalServerTools } from './serverTools';
import { deriveTemporalConfig, type DerivedConfigOptions } from './temporalConfig';

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
 * Write the config (mode 0600: it holds the database password) and spawn
 * `server --config-file <config> --allow-no-auth start` in its own session, output appended to
 * `logFile`. Returns the pid; health is checked by {@link waitForFrontend}.
 */
export function startTemporalServer(o: {
  tools: TemporalServerTools;
  configFile: string;
  logFile: string;
  config: DerivedConfigOptions;
}): number {
  const { tools } = o;
  fs.mkdirSync(path.dirname(o.configFile), { recursive: true });
  const config = deriveTemporalConfig(fs.readFileSync(tools.baseConfig, 'utf8'), o.config, tools.baseConfig);
  fs.writeFileSync(o.configFile, config, { mode: 0o600 });
  fs.chmodSync(o.configFile, 0o600);
  const args = ['--config-file', o.configFile, '--allow-no-auth', 'start'];
  const fd = fs.openSync(o.logFile, 'a');
  try {
    fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${tools.server} ${args.join(' ')}\n`);
    const child = spawn(tools.server, args, { cwd: path.dirname(o.configFile), detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (!child.pid) throw new Error(`cannot start ${tools.server}`);
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

/** Until the frontend's health service says SERVING; fails early, with the log's last errors, if the process died. */
export async function waitForFrontend(o: {
  address: string;
  pid: number;
  binary: string;
  logFile: string;
  timeoutMs: number;
}): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let last = 'no answer';
  for (;;) {
    if (!isProcessOf(o.pid, o.binary))
      throw new Error(
        `the Temporal server exited during startup (log: ${o.logFile}); its last errors:\n${serverLogSummary(tailFile(o.logFile, 300))}`,
      );
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect({ address: o.address, connectTimeout: 2000 });
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
        `the Temporal server did not answer on ${o.address} within ${o.timeoutMs / 1000} s (${last}); log: ${o.logFile}`,
      );
    await sleep(500);
  }
}
