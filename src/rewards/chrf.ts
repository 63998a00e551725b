/**
 * `chrf` reward: chrF exactly as sacreBLEU 2.x computes it (`sacrebleu.metrics.CHRF` with
 * word_order=0, i.e. chrF, not chrF++), verified against sacreBLEU 2.6.0 outputs in
 * test/rewards/fixtures/chrf-sacrebleu.json.
 *
 * Behaviour mirrored from sacreBLEU (defaults: char_order=6, beta=2, lowercase=False,
 * whitespace=False, eps_smoothing=False):
 *   - all whitespace is removed before extracting character n-grams (Python `''.join(s.split())`,
 *     with Python's definition of whitespace); characters are Unicode code points, not UTF-16 units;
 *   - per order n: hypothesis n-gram count (0 when the reference has no n-gram of that order),
 *     reference n-gram count, clipped matches;
 *   - "effective order" smoothing: precision and recall are averaged over the orders where both
 *     the hypothesis and the reference have n-grams, then F-beta of the averages;
 *   - several references: the one giving the best sentence F score is used;
 *   - corpus level: the statistics are summed over segments before computing F.
 *
 * SCALE: scores are on sacreBLEU's 0..100 scale (100 = identical after whitespace removal). The
 * reward backend returns this 0..100 value unchanged, so numbers match what sacreBLEU reports.
 */
import { z } from 'zod';
import { missingReference } from './common';
import { defineReward } from './define';

export interface ChrfOptions {
  /** Character n-gram order (sacreBLEU char_order), default 6. */
  charOrder?: number;
  /** Recall weight (sacreBLEU beta), default 2. */
  beta?: number;
}

/** Python `str.isspace()` characters (what `str.split()` splits on). */
// Control characters 0x1c-0x1f are whitespace to Python, so they belong here on purpose.
// eslint-disable-next-line no-control-regex
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/gu;

function charNgrams(text: string, maxOrder: number): Array<Map<string, number>> {
  const chars = Array.from(text.replace(PY_WHITESPACE, '')); // code points
  const out: Array<Map<string, number>> = [];
  for (let n = 1; n <= maxOrder; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) {
      const g = chars.slice(i, i + n).join('');
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    out.push(counts);
  }
  return out;
}

/** Flattened [hyp, ref, match] counts per order, as sacreBLEU's `_get_match_statistics`. */
function matchStatistics(hyp: Array<Map<string, number>>, ref: Array<Map<string, number>>): number[] {
  const stats: number[] = [];
  for (let i = 0; i < hyp.length; i++) {
    let hypCount = 0;
    let matches = 0;
    for (const [g, c] of hyp[i]) {
      hypCount += c;
      const r = ref[i].get(g);
      if (r !== undefined) matches += Math.min(c, r);
    }
    let refCount = 0;
    for (const c of ref[i].values()) refCount += c;
    stats.push(ref[i].size > 0 ? hypCount : 0, refCount, matches);
  }
  return stats;
}

/** chrF (0..100) from flattened statistics, as sacreBLEU's `_compute_f_score` (eps_smoothing=False). */
export function chrfFromStatistics(stats: number[], beta = 2): number {
  const factor = beta ** 2;
  let avgPrec = 0;
  let avgRec = 0;
  let effectiveOrder = 0;
  for (let i = 0; i + 2 < stats.length; i += 3) {
    const [nHyp, nRef, nMatch] = [stats[i], stats[i + 1], stats[i + 2]];
    if (nHyp > 0 && nRef > 0) {
      avgPrec += nMatch / nHyp;
      avgRec += nMatch / nRef;
      effectiveOrder += 1;
    }
  }
  if (effectiveOrder === 0) return 0;
  avgPrec /= effectiveOrder;
  avgRec /= effectiveOrder;
  if (avgPrec + avgRec === 0) return 0;
  // same operation order as sacreBLEU, so results agree to the last bit
  const score = ((1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec);
  return 100 * score;
}

/** Best-reference statistics of one segment (sacreBLEU `_compute_segment_statistics`). */
export function chrfSegmentStatistics(hypothesis: string, references: string | string[], opts: ChrfOptions = {}): number[] {
  const order = opts.charOrder ?? 6;
  const beta = opts.beta ?? 2;
  const refs = typeof references === 'string' ? [references] : references;
  const hyp = charNgrams(hypothesis, order);
  let best: number[] = [];
  let bestF = -1;
  for (const ref of refs) {
    const stats = matchStatistics(hyp, charNgrams(ref, order));
    const f = chrfFromStatistics(stats, beta);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

/** Sentence-level chrF on a 0..100 scale (sacreBLEU `CHRF().sentence_score(hyp, refs).score`). */
export function sentenceChrf(hypothesis: string, references: string | string[], opts: ChrfOptions = {}): number {
  return chrfFromStatistics(chrfSegmentStatistics(hypothesis, references, opts), opts.beta ?? 2);
}

/**
 * Corpus-level chrF on a 0..100 scale (sacreBLEU `CHRF().corpus_score(hyps, refStreams).score`):
 * `references[k][i]` is the k-th reference of segment i, as in sacreBLEU.
 */
export function corpusChrf(hypotheses: string[], references: string[][], opts: ChrfOptions = {}): number {
  let total: number[] = [];
  hypotheses.forEach((hyp, i) => {
    const refs = references.map((stream) => stream[i]).filter((r): r is string => r !== undefined && r !== null);
    const stats = chrfSegmentStatistics(hyp, refs, opts);
    total = total.length ? total.map((v, j) => v + (stats[j] ?? 0)) : stats;
  });
  return chrfFromStatistics(total, opts.beta ?? 2);
}

export const chrfReward = defineReward({
  type: 'chrf',
  summary:
    'chrF against the reference (sacreBLEU-exact, 0..100); `charOrder` is the character n-gram order, `beta` the recall weight (2 = chrF2)',
  schema: () =>
    z
      .object({
        type: z.literal('chrf'),
        charOrder: z.number().int().positive().default(6).describe('Character n-gram order'),
        beta: z.number().positive().default(2).describe('Recall weight (2 = chrF2)'),
      })
      .strict(),
  needsReference: () => true,
  create: () => async (spec, args) => {
    if (args.reference === undefined || args.reference.trim() === '') throw missingReference('chrf', args.promptId);
    return sentenceChrf(args.response, args.reference, { charOrder: spec.charOrder, beta: spec.beta });
  },
});
