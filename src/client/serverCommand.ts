/** `toa server` and `toa register-search-attributes`. */
import * as path from 'node:path';
import { connectTo, registerSearchAttributes, runServerForeground, targetFromEnv } from '../server';

export async function runServerCommand(o: { port: number; uiPort: number; db: string }): Promise<void> {
  await runServerForeground({ port: o.port, uiPort: o.uiPort, dbFile: path.resolve(o.db) }, (l) => process.stdout.write(`${l}\n`));
}

export async function runRegisterSearchAttributes(): Promise<void> {
  const target = targetFromEnv();
  if (!target) throw new Error('TEMPORAL_ADDRESS is not set: the embedded server registers its search attributes itself');
  const connection = await connectTo(target);
  try {
    const r = await registerSearchAttributes(connection, target.namespace);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } finally {
    await connection.close();
  }
}
