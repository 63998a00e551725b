/**
 * Idempotent registration of the project's custom search attributes through the Temporal
 * operator service (self-hosted clusters and the dev server). Temporal Cloud does not allow
 * this RPC with namespace credentials: there use the Cloud UI or `tcld` (docs/deployment.md).
 */
import type { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TOA_SEARCH_ATTRIBUTE_LIST, type ToaSearchAttributeDef } from '../common/searchAttributes';

export interface RegisterSearchAttributesResult {
  /** Attributes this call added. */
  added: string[];
  /** Attributes that were already registered with the right type. */
  existing: string[];
}

/** gRPC status ALREADY_EXISTS (avoids a direct @grpc/grpc-js dependency). */
const GRPC_ALREADY_EXISTS = 6;

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Register every attribute of {@link TOA_SEARCH_ATTRIBUTE_LIST} (or `defs`) on `namespace`.
 * Safe to call repeatedly and concurrently. Throws if an attribute exists with another type.
 *
 * @example
 *   const connection = await Connection.connect({ address: 'temporal:7233' });
 *   await registerSearchAttributes(connection, 'default');
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  defs: readonly ToaSearchAttributeDef[] = TOA_SEARCH_ATTRIBUTE_LIST,
): Promise<RegisterSearchAttributesResult> {
  const list = async () => (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  const current = await list();
  const missing: Record<string, number> = {};
  const existing: string[] = [];
  for (const d of defs) {
    const want = encodeSearchAttributeIndexedValueType(d.type) as number;
    const have = current[d.name] as number | undefined;
    if (have === undefined) missing[d.name] = want;
    else if (have !== want)
      throw new Error(
        `search attribute ${d.name} is already registered on namespace "${namespace}" with another type (indexed value type ${have}, want ${d.type})`,
      );
    else existing.push(d.name);
  }
  const added = Object.keys(missing);
  if (added.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    } catch (err) {
      // Lost a race with another registrar: fine if everything is there now.
      if (grpcCode(err) !== GRPC_ALREADY_EXISTS) {
        throw new Error(
          `registering search attributes ${added.join(', ')} on namespace "${namespace}" failed: ${(err as Error).message}`,
        );
      }
      const after = await list();
      const stillMissing = added.filter((n) => after[n] === undefined);
      if (stillMissing.length) throw err;
      return { added: [], existing: [...existing, ...added] };
    }
  }
  return { added, existing };
}

/** Names of the project's attributes not (yet) registered on `namespace`. */
export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const current = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  return TOA_SEARCH_ATTRIBUTE_LIST.filter((d) => current[d.name] === undefined).map((d) => d.name);
}
