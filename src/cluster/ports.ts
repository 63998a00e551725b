/**
 * The cluster's ports: which ones there are, and how they are chosen — given ports win, else the
 * recorded ones while free, else free ones (processes.ts `freePort`: 20000-32767).
 */
import { freePort, isPortFree, sleep } from './processes';
import type { ClusterPorts } from './temporalConfig';

export const PORT_LABELS: Record<keyof ClusterPorts, string> = {
  frontend: 'Temporal frontend gRPC',
  frontendHttp: 'Temporal frontend HTTP',
  frontendMembership: 'frontend membership',
  history: 'history gRPC',
  historyMembership: 'history membership',
  matching: 'matching gRPC',
  matchingMembership: 'matching membership',
  worker: 'worker gRPC',
  workerMembership: 'worker membership',
  metrics: 'Prometheus metrics',
  postgres: 'PostgreSQL',
};

/** Every port the Temporal server listens on. */
export const TEMPORAL_PORT_KEYS = (Object.keys(PORT_LABELS) as Array<keyof ClusterPorts>).filter((k) => k !== 'postgres');

/**
 * Ports for a (re)start. A component that is running keeps its ports (changing them needs
 * `down` first); a given port must be free; a recorded one that another process took meanwhile
 * is replaced (and said so through `log`).
 */
export async function resolvePorts(o: {
  recorded: ClusterPorts | undefined;
  given: Partial<ClusterPorts>;
  postgresRunning: boolean;
  temporalRunning: boolean;
  dir: string;
  log: (line: string) => void;
}): Promise<ClusterPorts> {
  const out = {} as ClusterPorts;
  const taken = new Set<number>();
  for (const key of Object.keys(PORT_LABELS) as Array<keyof ClusterPorts>) {
    const running = key === 'postgres' ? o.postgresRunning : o.temporalRunning;
    const want = o.given[key];
    const had = o.recorded?.[key];
    if (running && had) {
      if (want && want !== had)
        throw new Error(
          `the cluster in ${o.dir} runs with ${PORT_LABELS[key]} on port ${had}, not ${want}: run \`down\` first to change ports`,
        );
      out[key] = had;
    } else if (want) {
      if (taken.has(want) || !(await isPortFree(want)))
        throw new Error(`port ${want} (${PORT_LABELS[key]}) is in use by another process on 127.0.0.1: choose another one`);
      out[key] = want;
    } else if (had && !taken.has(had) && (await isPortFree(had))) {
      out[key] = had;
    } else {
      out[key] = await freePort(taken);
      if (had) o.log(`${PORT_LABELS[key]}: port ${had} is taken now, using ${out[key]}`);
    }
    taken.add(out[key]);
  }
  return out;
}

/** Wait until every port in `keys` is free: a server that was just stopped may hold its sockets a moment longer. */
export async function waitForFreePorts(ports: ClusterPorts, keys: Array<keyof ClusterPorts>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const key of keys)
    while (!(await isPortFree(ports[key]))) {
      if (Date.now() > deadline) throw new Error(`port ${ports[key]} (${PORT_LABELS[key]}) is in use by another process`);
      await sleep(200);
    }
}
