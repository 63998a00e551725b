/** Small pieces the reward backends share. */
import { z } from 'zod';
import { failure } from '../common/failures';

export const apiKeyEnvSchema = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)')
  .optional();

export const timeoutSecondsSchema = z.number().positive().default(120).describe('Per-attempt request timeout');

/** A reference-based reward asked to score a prompt without a reference. */
export function missingReference(kind: string, promptId: string | undefined): Error {
  return failure(
    'MissingReference',
    `${kind} reward needs a reference, but prompt ${promptId ?? '(unknown id)'} has none: set dataset.referenceField ` +
      `in the sweep file to the column holding the gold answer / reference (e.g. gold_answer, en)`,
  );
}

/** A value as a message names it: `null`, `an array`, `the string "..."`, `number 3`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
