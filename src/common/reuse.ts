/**
 * When a finished prompt's record may be reused: the digests a record carries of what produced
 * it, the sweep's policy for records that differ, and the dataset fingerprint a running sweep
 * checks. Types only (workflow-safe); computing digests needs sha256 (src/activities/digests.ts).
 */

/**
 * What produced a record, each the sha256 (hex) of a canonical JSON or a text, which is also its
 * key in the response store, so an old spec can be read back to say what changed.
 * Documented in docs/result-format.md.
 */
export interface RecordDigests {
  /** The method spec (type, label, options with defaults). */
  method: string;
  /** The agents the method uses (name, baseURL, model, systemPrompt, sampling), in order. */
  agents: string;
  /** The reward spec. */
  reward: string;
  /** The template overrides' refs (`{}`: the default templates). */
  templates: string;
  /** The prompt text (= promptRef). */
  prompt: string;
  /** The reference text (= referenceRef), when the prompt has one. */
  reference?: string;
}

export type DigestName = keyof RecordDigests;
export const DIGEST_NAMES: readonly DigestName[] = ['method', 'agents', 'reward', 'templates', 'prompt', 'reference'];

/** The digests every job of one method shares (all but the prompt's own). */
export type MethodDigests = Omit<RecordDigests, 'prompt' | 'reference'>;

/** How a sweep treats records that exist for its jobs. */
export interface ReusePolicy {
  /** Expected digests by method label. */
  digests: Record<string, MethodDigests>;
  /** Re-run jobs whose record was produced with other inputs (`--rerun-changed`); else such a record stops the sweep. */
  rerunChanged: boolean;
  /** Reuse records without digests (written before digests were recorded) as they are (`--reuse-unverified`). */
  reuseUnverified: boolean;
}

/** The dataset file as the sweep found it at start: size and mtime (cheap), and its sha256. */
export interface DatasetFingerprint {
  size: number;
  mtimeMs: number;
  sha256: string;
}
