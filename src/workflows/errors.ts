/** The innermost cause of a failure (activity and child failures wrap the real one), as plain data. */
export function failureOf(err: unknown): { type: string; message: string } {
  let e = err as { cause?: unknown; type?: string; message?: string; name?: string } | undefined;
  while (e && e.cause) e = e.cause as typeof e;
  return { type: e?.type ?? e?.name ?? 'Error', message: String(e?.message ?? err) };
}
