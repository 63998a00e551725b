/** Is the frontend up, and does the namespace exist with our search attributes? */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { registerSearchAttributes } from '../registerSearchAttributes';
import { sleep } from './process';

/**
 * One health probe: connect and describe the namespace (cheap, and proves the namespace exists).
 * Returns an open connection on success (caller closes), or the error.
 */
export async function probeFrontend(address: string, namespace: string, timeoutMs: number): Promise<Connection | Error> {
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ address, connectTimeout: timeoutMs });
    const c = conn;
    await c.withDeadline(Date.now() + timeoutMs, () => c.workflowService.describeNamespace({ namespace }));
    return c;
  } catch (err) {
    await conn?.close().catch(() => undefined);
    return err as Error;
  }
}

export async function ensureNamespace(address: string, namespace: string): Promise<void> {
  const conn = await Connection.connect({ address });
  try {
    try {
      await conn.workflowService.describeNamespace({ namespace });
    } catch {
      await conn.workflowService
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') })
        .catch((err: { code?: number }) => {
          if (err?.code !== 6) throw err;
        });
      // The dev server refreshes its namespace cache quickly; wait until it is visible.
      for (let i = 0; i < 50; i++) {
        try {
          await conn.workflowService.describeNamespace({ namespace });
          break;
        } catch {
          await sleep(200);
        }
      }
    }
    await registerSearchAttributes(conn, namespace);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

