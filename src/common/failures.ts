/** The type and message of a failure, for progress and records. */
export function failureOf(err: unknown): { type: string; message: string } {
  type Link = { cause?: unknown; type?: string; message?: string; name?: string } | undefined;
  // The first application failure along the chain says what went wrong (e.g. `Unreachable: ...
  // POST <url> ...`); its own cause is the low-level error it wraps (`connect ECONNREFUSED`).
  for (let c = err as Link; c; c = c.cause as Link) {
    if (typeof c.type === 'string' && c.type !== '') return { type: c.type, message: String(c.message ?? c) };
  }
  let e = err as Link;
  while (e && e.cause) e = e.cause as Link;
  return { type: e?.type ?? e?.name ?? 'Error', message: String(e?.message ?? err) };
}
