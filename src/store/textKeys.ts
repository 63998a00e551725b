/** Store keys (sha256 hex of a text) and the store's error type: shared by the text store and prompt scopes. */
import { createHash } from 'node:crypto';

export type StoreErrorCode = 'missing' | 'corrupt' | 'bad-key' | 'io';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

const KEY_RE = /^[0-9a-f]{64}$/;

/** The store key of a text: sha256 hex of its UTF-8 bytes. */
export function textKey(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function isTextKey(key: unknown): key is string {
  return typeof key === 'string' && KEY_RE.test(key);
}

