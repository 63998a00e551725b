/**
 * The `methods` entries of the sweep file: one discriminated union over the method registry's
 * schema builders. Built here, on the client, because the registry itself must not evaluate zod
 * (it is imported by workflow code; see src/search/methods/define.ts).
 */
import { z } from 'zod';
import { METHODS, type AnyMethodSchema, type MethodSpec } from '../search/methods';

export const methodSchema = z.discriminatedUnion(
  'type',
  METHODS.map((m) => m.schema(z)) as unknown as [AnyMethodSchema, ...AnyMethodSchema[]],
) as unknown as z.ZodType<MethodSpec, unknown>;

export type { MethodSpec };
