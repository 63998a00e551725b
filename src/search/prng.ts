/**
 * Seeded randomness for the search core. Strategies never touch Math.random: every random
 * decision comes from a Prng built from the run's seed, so a workflow replays identically.
 */
import type { Prng } from './types';

/**
 * mulberry32: a 32-bit state generator, small and fast, good enough for shuffling agent
 * orders (it is not cryptographic and does not need to be).
 */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Uniform integer in [0, n). */
export function randomInt(prng: Prng, n: number): number {
  return Math.floor(prng.next() * n);
}

/** Fisher–Yates shuffle into a new array (the input is left untouched). */
export function shuffle<T>(items: readonly T[], prng: Prng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(prng, i + 1);
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}

/**
 * A per-call seed derived from a base seed and any identifying parts (prompt id, action id...),
 * as an unsigned 32-bit integer. FNV-1a over the parts' text, each part prefixed by its length
 * so that ("ab","c") and ("a","bc") differ; then one avalanche round so nearby inputs
 * give unrelated seeds.
 */
export function deriveSeed(seed: number, ...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  const feed = (text: string): void => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // Two bytes per UTF-16 code unit, so every string maps to a distinct byte sequence.
      h = Math.imul(h ^ (c & 0xff), 0x01000193);
      h = Math.imul(h ^ (c >>> 8), 0x01000193);
    }
  };
  for (const part of [seed, ...parts]) {
    const text = String(part);
    feed(`${text.length}:`);
    feed(text);
  }
  // murmur3 fmix32 finaliser.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The search seed of one prompt: the run's seed mixed with the prompt id, so that prompts of one
 * sweep draw independent random choices (the authors shuffle per prompt), while the same (seed,
 * prompt) always searches the same way. Every driver passes this as the strategy's seed.
 */
export function promptSearchSeed(seed: number, promptId: string): number {
  return deriveSeed(seed, 'search', promptId);
}
