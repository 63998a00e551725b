/**
 * Back-up (docs/algorithm.md, "One play" > "Back up"), plus the virtual loss used only when
 * several plays are in flight.
 */
import { addResponseNode, type ToaTree } from './tree';

/** Logistic squashing of a raw reward: sigmoid(raw / tau). */
export function normalizeReward(raw: number, tau: number): number {
  return 1 / (1 + Math.exp(-raw / tau));
}

/**
 * Add the new response under the model node, then from that model node up to the root:
 * visits += 1 and append the normalised reward. The new response node's own statistics are
 * left untouched (it starts at visits 1, no rewards, which later triggers its lazy fresh
 * children). Returns the new response node's index.
 */
export function backup(tree: ToaTree, model: number, responseId: string, reward: number, normalizedReward: number): number {
  const response = addResponseNode(tree, model, responseId, reward, normalizedReward);
  for (let i = model; i >= 0; i = tree.nodes[i]!.parent) {
    const node = tree.nodes[i]!;
    node.visits += 1;
    node.rewards.push(normalizedReward);
  }
  return response;
}

/**
 * A failed play of the model node (onPlayFailure: continue): no response node is added, and the
 * floor of the normalised reward, 0, is backed up from the model node to the root like a reward
 * (visits += 1, 0 appended), so UCT lowers the action that failed and the invariant
 * visits == 1 + rewards.length holds. The layer's width counts only real responses.
 */
export function backupFailure(tree: ToaTree, model: number, actionId: string): void {
  (tree.nodes[model]!.failedPlays ??= []).push(actionId);
  for (let i = model; i >= 0; i = tree.nodes[i]!.parent) {
    const node = tree.nodes[i]!;
    node.visits += 1;
    node.rewards.push(0);
  }
}

/**
 * A play in flight along `path` (root ... model node): each node on it counts one pending
 * visit (scored as reward 0 by uct), and the model node's layer counts one pending response
 * towards the width cap, so concurrent plays neither pile onto one action nor overfill a layer.
 */
export function addVirtualLoss(tree: ToaTree, path: readonly number[]): void {
  for (const i of path) tree.nodes[i]!.pending += 1;
  const layer = tree.nodes[path[path.length - 1]!]!.layer;
  while (tree.pendingPerLayer.length <= layer) tree.pendingPerLayer.push(0);
  tree.pendingPerLayer[layer]! += 1;
}

export function removeVirtualLoss(tree: ToaTree, path: readonly number[]): void {
  for (const i of path) tree.nodes[i]!.pending -= 1;
  const layer = tree.nodes[path[path.length - 1]!]!.layer;
  tree.pendingPerLayer[layer]! -= 1;
}
