/**
 * What docker-compose's two one-shot admin jobs do, for the local cluster:
 * - `temporal-schema` (deploy/temporal/setup-postgres.sh): create and upgrade the schemas;
 * - `temporal-admin-tools` (deploy/temporal/register-namespace.sh): the namespace and the
 *   project's search attributes.
 */
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { registerSearchAttributes } from '../server/registerSearchAttributes';
import type { LocalPostgres } from './postgres';
import { runChecked, sleep } from './processes';
import type { TemporalServerTools } from './serverTools';

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

/**
 * For `temporal` and `temporal_visibility`: `create-database` when missing, `setup-schema -v 0.0`
 * (version table only; a no-op once done), `update-schema -d schema/postgresql/v12/<db>/versioned`
 * (incremental, so a newer server version upgrades an existing database).
 */
export async function setupSchemas(pg: LocalPostgres, tools: TemporalServerTools): Promise<void> {
  const env = { ...process.env, SQL_PASSWORD: pg.o.password };
  const base = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pg.o.port), '-u', pg.o.user];
  const sql = (db: string, args: string[]) =>
    runChecked(tools.sqlTool, [...base, '--db', db, ...args], { env }, `temporal-sql-tool (${db})`);
  for (const [db, folder] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ]) {
    if (!(await pg.databaseExists(db))) await sql(db, ['create-database']);
    await sql(db, ['setup-schema', '-v', '0.0']);
    await sql(db, ['update-schema', '-d', path.join(tools.schemaDir, folder, 'versioned')]);
  }
}

/**
 * Create the namespace when missing, then register the search attributes with the project's own
 * registration (`registerSearchAttributes`, what `toa server register-search-attributes` runs). A new
 * namespace reaches the frontend's namespace cache within ~10 s; until then the operator service
 * answers NotFound, so that is retried. Returns whether anything was created.
 */
export async function ensureNamespace(o: {
  address: string;
  namespace: string;
  /** Workflow retention of a namespace created here, e.g. '7 days'. */
  retention: string;
  log: (line: string) => void;
}): Promise<boolean> {
  const conn = await Connection.connect({ address: o.address });
  try {
    let created = false;
    try {
      await conn.workflowService.describeNamespace({ namespace: o.namespace });
    } catch (err) {
      if ((err as { code?: number }).code !== GRPC_NOT_FOUND) throw err;
      o.log(`creating namespace ${o.namespace}`);
      await conn.workflowService
        .registerNamespace({ namespace: o.namespace, workflowExecutionRetentionPeriod: msToTs(o.retention) })
        .catch((e: { code?: number }) => {
          if (e.code !== GRPC_ALREADY_EXISTS) throw e;
        });
      created = true;
    }
    const deadline = Date.now() + 60000;
    for (;;) {
      try {
        const r = await registerSearchAttributes(conn, o.namespace);
        if (r.added.length) o.log(`registered search attributes: ${r.added.join(', ')}`);
        return created || r.added.length > 0;
      } catch (err) {
        const notYet = /not found|NotFound/i.test((err as Error).message) || (err as { code?: number }).code === GRPC_NOT_FOUND;
        if (!notYet || Date.now() > deadline) throw err;
        await sleep(1000);
      }
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}
