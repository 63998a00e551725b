/**
 * UCT score of a model node, as in the authors' code:
 *   mean(rewards) + alpha * sqrt(2 * ln(playIndex + 1) / visits)
 * where playIndex is the number of plays made so far for this prompt (a global count, not
 * the parent's visits). A node never played (visits == 1, no rewards) scores +Infinity so that
 * every action is tried once; ties are broken by the caller (first child wins).
 *
 * Virtual loss (parallelPlays > 1 only): each play in flight through the node counts as one
 * more visit with reward 0, the lowest possible normalised reward, so concurrent selections
 * spread out. With nothing in flight (always the case when P == 1) this is exactly the formula
 * above.
 */
import type { ToaNode } from './tree';

export function uct(node: ToaNode, playIndex: number, alpha: number): number {
  const visits = node.visits + node.pending;
  if (visits === 1 && node.rewards.length === 0) return Infinity;
  const n = node.rewards.length + node.pending;
  let sum = 0;
  for (const r of node.rewards) sum += r;
  const value = n === 0 ? 0 : sum / n;
  return value + alpha * Math.sqrt((2 * Math.log(playIndex + 1)) / visits);
}
