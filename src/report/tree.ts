/**
 * The tree view of one TOA prompt: nested HTML lists (<details> so a 160-play tree stays
 * navigable). Model nodes that never produced a response are summarised, not listed; the path
 * from the root to the best response is open and highlighted.
 */
import type { TreeJson, TreeNodeJson } from '../search/types';
import type { LoadedRecord } from '../export/load';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const f3 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
const f4 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(4));

/** Ids of the nodes from the root to the node of response `bestId`. */
export function pathToResponse(tree: TreeJson, responseId: string): Set<string> {
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  const out = new Set<string>();
  let cur = tree.nodes.find((n) => n.type === 'response' && n.responseId === responseId);
  while (cur) {
    out.add(cur.id);
    cur = cur.parent !== undefined ? byId.get(cur.parent) : undefined;
  }
  return out;
}

export function renderTree(record: LoadedRecord): string {
  const tree = record.result.tree;
  if (!tree) return '<p>This record has no tree.</p>';
  const children = new Map<string, TreeNodeJson[]>();
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  for (const [p, c] of tree.edges) {
    const node = byId.get(c);
    if (!node) continue;
    let l = children.get(p);
    if (!l) children.set(p, (l = []));
    l.push(node);
  }
  const responses = new Map(record.result.responses.map((r) => [r.id, r]));
  const onPath = pathToResponse(tree, record.result.bestId);

  const label = (n: TreeNodeJson): string => {
    const stats = `<span class="stats">visits ${n.visits} · value ${f3(n.value)}</span>`;
    if (n.type === 'root') return `<span class="node root">root (prompt)</span> ${stats}`;
    if (n.type === 'model')
      return `<span class="node model">${escapeHtml(n.agent ?? '?')} · ${escapeHtml(n.kind ?? '?')}</span> ${stats}`;
    const r = n.responseId ? responses.get(n.responseId) : undefined;
    const best = n.responseId === record.result.bestId;
    return (
      `<span class="node response${best ? ' best' : ''}">${best ? '★ ' : ''}${escapeHtml(n.responseId ?? n.id)}` +
      `${r ? ` · ${escapeHtml(r.agent)}` : ''} · reward ${f4(n.reward)}</span> ` +
      `<span class="stats">norm ${f3(n.normalizedReward)} · visits ${n.visits} · value ${f3(n.value)} · layer ${n.layer ?? '–'}</span>` +
      (r?.preview ? `<div class="preview">${escapeHtml(r.preview)}</div>` : '')
    );
  };

  const render = (n: TreeNodeJson, depth: number): string => {
    const kids = children.get(n.id) ?? [];
    const shown = kids.filter((k) => k.type !== 'model' || (children.get(k.id)?.length ?? 0) > 0);
    const idle = kids.length - shown.length;
    const cls = onPath.has(n.id) ? ' class="on-path"' : '';
    if (shown.length === 0 && idle === 0) return `<li${cls}>${label(n)}</li>`;
    const open = onPath.has(n.id) || depth < 1 ? ' open' : '';
    const idleNote = idle ? `<li class="idle">${idle} model node${idle === 1 ? '' : 's'} without responses</li>` : '';
    return `<li${cls}><details${open}><summary>${label(n)}</summary><ul>${shown.map((k) => render(k, depth + 1)).join('')}${idleNote}</ul></details></li>`;
  };

  const root = tree.nodes.find((n) => n.type === 'root') ?? tree.nodes[0];
  if (!root) return '<p>Empty tree.</p>';
  return `<ul class="tree">${render(root, 0)}</ul>`;
}
