/**
 * Where texts live and how templates are referenced: the small, serialisable values that travel
 * in workflow inputs (texts themselves never do; they stay in the content-addressed store).
 */

/** Where texts live. `fs`: a folder (the embedded default); others may follow (shared stores). */
export interface StoreSpec {
  kind: 'fs';
  /** Absolute path of the store root. */
  root: string;
}

/** Store keys (sha256 hex of the UTF-8 text) of user-supplied template overrides. */
export interface TemplateRefs {
  refine?: string;
  aggregate?: string;
  instruction?: string;
}
