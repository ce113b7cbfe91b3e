/** A readable, deterministic listing of a graph (what `matc graph` prints). */
import type { Graph, Node } from './graph.js';
import { formatShape } from './shape.js';

function attrText(n: Node): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(n.attrs)) {
    if (k === 'data') continue;
    parts.push(`${k}=${Array.isArray(v) ? JSON.stringify(v) : typeof v === 'number' ? String(Math.fround(v)) : String(v)}`);
  }
  return parts.length ? ` {${parts.join(', ')}}` : '';
}

export function formatGraph(graph: Graph, title = 'graph'): string {
  const lines = [`${title}: ${graph.nodes.length} nodes, ${graph.updates.length} updates`];
  for (const n of graph.nodes) {
    const name = n.name ? ` '${n.name}'` : '';
    const ins = n.inputs.length ? ` (${n.inputs.map((i) => `%${i}`).join(', ')})` : '';
    lines.push(`  %${n.id} = ${n.op}${name}${ins}${attrText(n)} : ${n.dtype}${formatShape(n.shape)}`);
  }
  for (const u of graph.updates) lines.push(`  '${graph.node(u.variable).name}' <- %${u.value}`);
  return lines.join('\n');
}
