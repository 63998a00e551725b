/**
 * The sweep's failures file: every failed job, one JSON line each, appended in batches by the
 * sweep (so its own state keeps only a few) and read back, a bounded slice at a time, when a
 * retry is asked for. Lives beside the sweep's records (`<output>/<sweep id>/failures.jsonl`).
 *
 * Appends are idempotent by offset: the sweep passes the length it knows the file to have, so an
 * attempt that Temporal retries after a crash neither doubles lines nor keeps a torn one.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { failure } from '../common/failures';
import type {
  AppendFailuresInput,
  AppendFailuresOutput,
  FailureLine,
  FailuresFileSpec,
  ReadFailuresInput,
  ReadFailuresOutput,
} from './types';

export function failuresFileOf(spec: FailuresFileSpec): string {
  return spec.failuresFile ?? path.join(path.dirname(path.resolve(spec.recordsDir)), 'failures.jsonl');
}

export async function appendFailures(input: AppendFailuresInput): Promise<AppendFailuresOutput> {
  const file = failuresFileOf(input);
  const batch = Buffer.from(input.lines.map((l) => `${JSON.stringify(l)}\n`).join(''), 'utf8');
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const fh = await fsp.open(file, 'r+').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return fsp.open(file, 'w+');
      throw err;
    });
    try {
      const { size } = await fh.stat();
      if (size === input.offset + batch.length && (await readAt(fh, input.offset, batch.length)).equals(batch)) {
        return { bytes: size }; // an earlier attempt wrote this batch
      }
      // A new execution starts the file afresh (offset 0); a torn append is cut off. A file
      // shorter than the sweep knows it (removed by hand) is started again from where it is.
      if (size !== input.offset) await fh.truncate(Math.min(size, input.offset));
      const start = Math.min(size, input.offset);
      await fh.write(batch, 0, batch.length, start);
      await fh.sync();
      return { bytes: start + batch.length };
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw failure('StoreIO', `failures file ${file}: ${(err as Error).message}`);
  }
}

/** Lines are at most a few KB (messages are clipped); a window this large always holds whole ones. */
const MAX_LINE_BYTES = 16 * 1024;

export async function readFailures(input: ReadFailuresInput): Promise<ReadFailuresOutput> {
  const file = failuresFileOf(input);
  const window = Math.max(0, Math.min(input.to - input.from, input.maxLines * MAX_LINE_BYTES));
  let text: string;
  try {
    const fh = await fsp.open(file, 'r');
    try {
      text = (await readAt(fh, input.from, window)).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], next: input.to };
    throw failure('StoreIO', `failures file ${file}: ${(err as Error).message}`);
  }
  const lines: FailureLine[] = [];
  let next = input.from;
  let at = 0;
  while (lines.length < input.maxLines) {
    const end = text.indexOf('\n', at);
    if (end < 0) break;
    const raw = text.slice(at, end);
    next += Buffer.byteLength(raw, 'utf8') + 1;
    at = end + 1;
    try {
      lines.push(JSON.parse(raw) as FailureLine);
    } catch {
      // A line the sweep did not write (edited by hand): skipped, the rest still counts.
    }
  }
  if (next === input.from) next = input.from + window; // no whole line in the window: not one of ours, skip it
  if (next >= input.to || (lines.length < input.maxLines && input.from + window >= input.to)) next = input.to;
  return { lines, next };
}

async function readAt(fh: fsp.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await fh.read(buf, read, length - read, position + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buf.subarray(0, read);
}
