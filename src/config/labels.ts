// Kept apart from schema.ts so workflow code can use it without bundling zod.
import type { MethodSpec } from './schema';

/** The name a method goes by in results, workflow IDs and reports. */
export function methodLabelOf(m: Pick<MethodSpec, 'type' | 'label'>): string {
  return m.label ?? m.type;
}
