/**
 * Where the next page of a dataset starts. It carries the line number and the position count at
 * that byte, so any worker resumes there without reading what came before (paging stays linear
 * however many workers serve the pages). Plain data: it travels in the sweep's state.
 */
export interface DatasetCursor {
  /** Byte offset of the start of a line. */
  byte: number;
  /** 1-based number of that line. */
  line: number;
  /** Non-blank lines before it: the position (for offset / limit / shard) of the next non-blank line. */
  slot: number;
}

/** The start of a dataset. */
export const DATASET_START: DatasetCursor = { byte: 0, line: 1, slot: 0 };
