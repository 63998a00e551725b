/**
 * Selection (docs/algorithm.md, "One play" > "Select"): from the root, repeatedly
 *   (a) add the lazy fresh children of a response node reached with visits == 1,
 *   (b) stop at the first node that is not fully expanded (always a model node),
 *   (c) otherwise move to the best child.
 */
import { addFreshChildren, occupancy, ROOT, type ToaTree } from './tree';
import { uct } from './uct';

export interface SelectParams {
  /** Maximum number of responses per layer before model nodes stop resampling by default. */
  width: number;
  alpha: number;
  /** Plays made so far for this prompt (the global count used in UCT). */
  playIndex: number;
}

/**
 * Root and response nodes are always fully expanded. A model node is not fully expanded while
 * its layer holds fewer than `width` responses. Once the layer is full:
 *   - a root-level model node is fully expanded, unless it has no children (the documented fix
 *     for width < K: the authors' code would descend into it and fail);
 *   - any other model node is fully expanded only if one of its responses beats (strictly,
 *     by normalised reward) the response it hangs under: otherwise it samples again, so
 *     refinement continues until it actually improves on its parent.
 */
export function fullyExpanded(tree: ToaTree, index: number, width: number): boolean {
  const node = tree.nodes[index]!;
  if (node.type !== 'model') return true;
  if (occupancy(tree, node.layer) < width) return false;
  if (node.children.length === 0) return false;
  const parent = tree.nodes[node.parent]!;
  if (parent.type === 'root') return true;
  const bar = parent.normalizedReward!;
  return node.children.some((c) => tree.nodes[c]!.normalizedReward! > bar);
}

/**
 * Best child. Under a model node (children are responses): keep only the single highest
 * normalised-reward response (top-1), first on ties. Under the root or a response node
 * (children are model nodes): highest UCT, first in insertion order on ties.
 */
export function bestChild(tree: ToaTree, index: number, playIndex: number, alpha: number): number {
  const node = tree.nodes[index]!;
  if (node.children.length === 0) throw new Error(`TOA bug: bestChild of childless node ${node.id}`);
  const score =
    node.type === 'model'
      ? (c: number) => tree.nodes[c]!.normalizedReward!
      : (c: number) => uct(tree.nodes[c]!, playIndex, alpha);
  let bestIndex = node.children[0]!;
  let bestScore = score(bestIndex);
  for (const c of node.children.slice(1)) {
    const s = score(c);
    if (s > bestScore) {
      bestIndex = c;
      bestScore = s;
    }
  }
  return bestIndex;
}

/** The path of node indices from the root to the model node to expand (last element). */
export function select(tree: ToaTree, params: SelectParams): number[] {
  const path: number[] = [];
  let current = ROOT;
  for (;;) {
    path.push(current);
    const node = tree.nodes[current]!;
    if (node.type === 'response' && node.visits === 1) addFreshChildren(tree, current);
    if (!fullyExpanded(tree, current, params.width)) return path;
    current = bestChild(tree, current, params.playIndex, params.alpha);
  }
}
