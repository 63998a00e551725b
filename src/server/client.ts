/**
 * `connectClient()`: a ready `@temporalio/client` Client for the configured Temporal.
 */
import { Client } from '@temporalio/client';
import { connectTo, type TemporalTarget } from './connection';
import { ensureServer, type DevServerOptions } from './embedded';

/**
 * A `@temporalio/client` Client for `target`. Without a target: the cluster named by
 * TEMPORAL_ADDRESS (+ TEMPORAL_NAMESPACE / TLS / API key env) when set, else the embedded dev
 * server, reused or started in the background via {@link ensureServer} (`serverOptions` apply then).
 * Close it with `await client.connection.close()`.
 */
export async function connectClient(target?: TemporalTarget, serverOptions?: DevServerOptions): Promise<Client> {
  const t: TemporalTarget = target ?? (await ensureServer(serverOptions));
  const connection = await connectTo(t);
  return new Client({ connection, namespace: t.namespace });
}
