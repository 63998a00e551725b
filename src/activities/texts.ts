/** Store access for activities: store problems become classified failures. */
import { ApplicationFailure } from '@temporalio/common';
import { failure } from '../common/failures';
import type { StoreSpec } from '../common/store';
import { StoreError, openStore, type TextStore } from '../store';

/** Missing / damaged texts and bad keys are non-retryable StoreError; I/O errors are retryable. */
export function storeFailure(err: unknown, purpose: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const msg = `${purpose}: ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof StoreError && err.code !== 'io') return failure('StoreError', msg);
  return failure('StoreIO', msg, { cause: err instanceof Error ? err : undefined });
}

export function storeFor(spec: StoreSpec): TextStore {
  try {
    return openStore(spec);
  } catch (err) {
    throw storeFailure(err, 'opening the response store');
  }
}

export async function getText(store: TextStore, key: string, purpose: string): Promise<string> {
  try {
    return await store.get(key);
  } catch (err) {
    throw storeFailure(err, `loading ${purpose}`);
  }
}

export async function putText(store: TextStore, text: string, purpose: string): Promise<string> {
  try {
    return await store.put(text);
  } catch (err) {
    throw storeFailure(err, `storing ${purpose}`);
  }
}

/** First `max` characters with whitespace collapsed, for the UI. */
export function previewOf(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
