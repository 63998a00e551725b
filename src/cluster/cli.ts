/**
 * `npm run cluster -- up|down|status|env` (scripts/cluster.js): the local production-like
 * cluster (src/cluster/localCluster.ts) from the command line.
 */
import { Command } from 'commander';
import { Connection } from '@temporalio/client';
import { defaultClusterDir, LocalCluster, type ClusterInfo, type GivenPorts } from './localCluster';

function port(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port number (1-65535), got "${v}"`);
    return n;
  };
}

function describe(info: ClusterInfo, headline: string): string {
  const t = info.temporal;
  const p = info.postgres;
  const state = (running: boolean, pid: number | null) => (running ? `running (pid ${pid})` : 'stopped');
  return [
    headline,
    `  data folder      ${info.dir}`,
    `  Temporal server  ${info.temporalVersion}, ${state(t.running, t.pid)}`,
    `    frontend gRPC  ${info.address}   (TEMPORAL_ADDRESS; namespace ${info.namespace})`,
    `    HTTP API       ${info.httpUrl}`,
    `    metrics        ${info.metricsUrl}`,
    `    config         ${t.configFile}`,
    `    log            ${t.logFile}`,
    `  PostgreSQL       ${p.version}, ${state(p.running, p.pid)}, ${p.address}, user ${p.user} (password in ${info.dir}/cluster.json)`,
    `    data           ${p.dataDir}`,
    `    log            ${p.logFile}`,
    `  use it:          export TEMPORAL_ADDRESS=${info.address} TEMPORAL_NAMESPACE=${info.namespace}`,
  ].join('\n');
}

/** Registered custom search attributes as "Name=Type" (empty when the server does not answer). */
async function listedAttributes(info: ClusterInfo): Promise<string> {
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ address: info.address, connectTimeout: 3000 });
    const r = await conn.operatorService.listSearchAttributes({ namespace: info.namespace });
    return Object.keys(r.customAttributes ?? {})
      .filter((n) => n.startsWith('Toa'))
      .sort()
      .join(', ');
  } catch (err) {
    return `(not answering: ${(err as Error).message.split('\n')[0]})`;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('cluster')
    .description('a production-like Temporal cluster on this machine without Docker: Temporal server + PostgreSQL')
    .showHelpAfterError();
  const withDir = (c: Command) => c.option('--dir <folder>', `data folder (default ${defaultClusterDir()})`);
  const log = (l: string) => process.stderr.write(`[cluster] ${l}\n`);

  withDir(program.command('up'))
    .description(
      'start PostgreSQL and the Temporal server (idempotent: only what is not running), create the namespace, register the search attributes',
    )
    .option('--port <n>', 'Temporal frontend gRPC port (default: recorded, else a free one)', port('--port'))
    .option('--http-port <n>', 'Temporal frontend HTTP port', port('--http-port'))
    .option('--metrics-port <n>', 'Prometheus metrics port', port('--metrics-port'))
    .option('--pg-port <n>', 'PostgreSQL port', port('--pg-port'))
    .option('--namespace <name>', 'namespace (default: recorded, else "default")')
    .option('--log-level <level>', 'Temporal server log level: debug, info, warn, error')
    .option('--json', 'print where everything is as JSON')
    .action(async (o) => {
      const ports: GivenPorts = { frontend: o.port, frontendHttp: o.httpPort, metrics: o.metricsPort, postgres: o.pgPort };
      const cluster = new LocalCluster({ dir: o.dir, ports, namespace: o.namespace, logLevel: o.logLevel, log });
      const r = await cluster.up();
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const head = r.actions.length
          ? `local Temporal cluster up in ${r.seconds.toFixed(1)} s (${r.actions.join(', ')})`
          : 'local Temporal cluster already running: nothing to do';
        process.stdout.write(`${describe(r, head)}\n  search attrs     ${await listedAttributes(r)}\n`);
      }
    });

  withDir(program.command('down'))
    .description('stop the Temporal server and PostgreSQL (data stays)')
    .option('--delete-data', 'also delete the data folder')
    .action(async (o) => {
      const r = await new LocalCluster({ dir: o.dir, log }).down({ deleteData: o.deleteData });
      process.stdout.write(r.stopped.length ? `stopped: ${r.stopped.join(', ')}\n` : 'local Temporal cluster was not running\n');
    });

  withDir(program.command('status'))
    .description('where everything is and what runs (exit 1 when not fully running)')
    .option('--json', 'as JSON')
    .action(async (o) => {
      const info = await new LocalCluster({ dir: o.dir }).status();
      if (!info) {
        process.stdout.write(`no local cluster in ${o.dir ?? defaultClusterDir()} (start one with \`npm run cluster -- up\`)\n`);
        process.exitCode = 1;
        return;
      }
      const up = info.temporal.running && info.postgres.running;
      if (o.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else
        process.stdout.write(
          `${describe(info, up ? 'local Temporal cluster running' : 'local Temporal cluster NOT fully running (`npm run cluster -- up` starts what is missing)')}\n` +
            (info.temporal.running ? `  search attrs     ${await listedAttributes(info)}\n` : ''),
        );
      if (!up) process.exitCode = 1;
    });

  withDir(program.command('env'))
    .description(
      'print `export TEMPORAL_ADDRESS=... TEMPORAL_NAMESPACE=...` for the cluster (eval "$(npm run -s cluster -- env)")',
    )
    .action(async (o) => {
      const env = await new LocalCluster({ dir: o.dir }).env();
      process.stdout.write(
        `${Object.entries(env)
          .map(([k, v]) => `export ${k}=${v}`)
          .join('\n')}\n`,
      );
    });

  await program.parseAsync(argv);
}
