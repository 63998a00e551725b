/**
 * The TOA tree as plain data (see docs/algorithm.md, "The tree" and "Layers and width").
 *
 * Three node types alternate below the root: root -> model nodes -> response nodes -> model
 * nodes -> ... A model node is an action ("agent m answers fresh" or "agent m refines the
 * response above"); a response node is one generated text with its reward.
 *
 * LAYER. Every node carries `layer`, the number of response layers from the root down to and
 * including the layer its responses live in:
 *   - the root is layer 0;
 *   - a model node's layer is the layer of the responses it produces: 1 for the root's model
 *     nodes, L + 1 for any model node (refine or lazy fresh) hanging under a response of layer L;
 *   - a response node has the layer of the model node that produced it.
 * So "the number of response nodes in the whole tree at the layer below a model node", the
 * width test, is `responsesPerLayer[model.layer]`. A fresh response created by a lazy fresh
 * child of a layer-1 response counts in layer 2, like its refine siblings: layers are tree
 * depth, not the kind of call.
 *
 * Statistics: `visits` starts at 1 and `rewards` holds backed-up normalised rewards, so for
 * every node visits == 1 + rewards.length at all times (lazy fresh children copy both from a
 * node that satisfies it). `pending` is the virtual-loss count used only when parallelPlays > 1.
 * A failed play adds no response node: its model node keeps its id in `failedPlays`, and a
 * normalised reward of 0 (below every sigmoid) is backed up from that model node to the root.
 */
import type { TreeJson, TreeNodeJson } from '../types';

export type NodeType = 'root' | 'model' | 'response';

export interface ToaNode {
  /** 'root', `m<n>` for model nodes, the response id (`r<n>`) for response nodes. */
  id: string;
  type: NodeType;
  /** Index of the parent in `tree.nodes` (-1 for the root). */
  parent: number;
  /** Child indices, insertion order (this order breaks UCT ties). */
  children: number[];
  layer: number;
  /** Model nodes. */
  agent?: string;
  kind?: 'fresh' | 'refine';
  /** Response nodes. */
  reward?: number;
  normalizedReward?: number;
  visits: number;
  rewards: number[];
  /** Plays in flight through this node (virtual loss; always 0 when parallelPlays == 1). */
  pending: number;
  /** Response nodes: the K lazy fresh children were added. */
  freshAdded?: boolean;
  /** Model nodes: ids of this node's plays that failed (no response node; backed up as 0). */
  failedPlays?: string[];
}

export interface ToaTree {
  agents: string[];
  /** Every node, creation order; index 0 is the root. */
  nodes: ToaNode[];
  /** Response nodes per layer (index = layer). */
  responsesPerLayer: number[];
  /** Plays in flight that will add a response at each layer (virtual loss; 0 when P == 1). */
  pendingPerLayer: number[];
  modelCount: number;
}

export const ROOT = 0;

/** Root plus K fresh model nodes, one per agent in configuration order. */
export function createTree(agents: string[]): ToaTree {
  const tree: ToaTree = {
    agents: agents.slice(),
    nodes: [{ id: 'root', type: 'root', parent: -1, children: [], layer: 0, visits: 1, rewards: [], pending: 0 }],
    responsesPerLayer: [0],
    pendingPerLayer: [0],
    modelCount: 0,
  };
  for (const agent of agents) addModelNode(tree, ROOT, agent, 'fresh');
  return tree;
}

export function addModelNode(
  tree: ToaTree,
  parent: number,
  agent: string,
  kind: 'fresh' | 'refine',
  prior?: { visits: number; rewards: number[] },
): number {
  const p = tree.nodes[parent]!;
  const index = tree.nodes.length;
  tree.nodes.push({
    id: `m${tree.modelCount++}`,
    type: 'model',
    parent,
    children: [],
    layer: p.layer + 1,
    agent,
    kind,
    visits: prior ? prior.visits : 1,
    rewards: prior ? prior.rewards.slice() : [],
    pending: 0,
  });
  p.children.push(index);
  return index;
}

/** A new response node under a model node, with its K refine children (configuration order). */
export function addResponseNode(
  tree: ToaTree,
  model: number,
  responseId: string,
  reward: number,
  normalizedReward: number,
): number {
  const m = tree.nodes[model]!;
  const index = tree.nodes.length;
  tree.nodes.push({
    id: responseId,
    type: 'response',
    parent: model,
    children: [],
    layer: m.layer,
    reward,
    normalizedReward,
    visits: 1,
    rewards: [],
    pending: 0,
  });
  m.children.push(index);
  while (tree.responsesPerLayer.length <= m.layer) tree.responsesPerLayer.push(0);
  tree.responsesPerLayer[m.layer]! += 1;
  for (const agent of tree.agents) addModelNode(tree, index, agent, 'refine');
  return index;
}

/**
 * The lazy fresh children of a response node: one per agent, statistics copied from the root's
 * model node of the same agent (a prior: a fresh sample from m should score like m has so far).
 */
export function addFreshChildren(tree: ToaTree, response: number): void {
  const r = tree.nodes[response]!;
  if (r.freshAdded) return;
  r.freshAdded = true;
  const rootModels = tree.nodes[ROOT]!.children;
  tree.agents.forEach((agent, i) => {
    const prior = tree.nodes[rootModels[i]!]!;
    addModelNode(tree, response, agent, 'fresh', { visits: prior.visits, rewards: prior.rewards });
  });
}

/** Responses at a layer, counting plays in flight towards it (these are 0 when P == 1). */
export function occupancy(tree: ToaTree, layer: number): number {
  return (tree.responsesPerLayer[layer] ?? 0) + (tree.pendingPerLayer[layer] ?? 0);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** The documented JSON form: nodes in creation order, value = mean(rewards) (0 with no rewards). */
export function toTreeJson(tree: ToaTree): TreeJson {
  const nodes: TreeNodeJson[] = [];
  const edges: Array<[string, string]> = [];
  for (const n of tree.nodes) {
    const j: TreeNodeJson = {
      id: n.id,
      type: n.type,
      visits: n.visits,
      rewards: n.rewards.slice(),
      value: mean(n.rewards),
      layer: n.layer,
    };
    if (n.parent >= 0) {
      j.parent = tree.nodes[n.parent]!.id;
      edges.push([j.parent, n.id]);
    }
    if (n.type === 'model') {
      j.agent = n.agent!;
      j.kind = n.kind!;
      if (n.failedPlays?.length) j.failedPlays = n.failedPlays.slice();
    }
    if (n.type === 'response') {
      j.responseId = n.id;
      j.reward = n.reward!;
      j.normalizedReward = n.normalizedReward!;
    }
    nodes.push(j);
  }
  return { nodes, edges };
}
