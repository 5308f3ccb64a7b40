/**
 * The stage DAG laid out for the web page with dagre, here on the server: boxes for stages,
 * producers above their consumers (the result stage at the bottom), and a polyline per edge.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { QueryProgress } from '../observe/progress.js';

export interface NodeBox { stageId: number; x: number; y: number; width: number; height: number }
export interface EdgeLine { from: number; to: number; points: { x: number; y: number }[] }
export interface DagLayout { width: number; height: number; nodes: NodeBox[]; edges: EdgeLine[] }

export const NODE_WIDTH = 300;
export const NODE_HEIGHT = 104;

export function layoutDag(p: Pick<QueryProgress, 'stages'>): DagLayout {
  const g = new Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of p.stages) g.setNode(String(s.stageId), { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const s of p.stages) {
    for (const i of s.inputs) if (g.hasNode(String(i))) g.setEdge(String(i), String(s.stageId), { width: 120, height: 36 });
  }
  layout(g);
  const nodes = p.stages.map((s) => {
    const n = g.node(String(s.stageId)) as { x: number; y: number };
    return { stageId: s.stageId, x: n.x - NODE_WIDTH / 2, y: n.y - NODE_HEIGHT / 2, width: NODE_WIDTH, height: NODE_HEIGHT };
  });
  const edges = (g.edges() as { v: string; w: string }[]).map((e) => {
    const points = ((g.edge(e) as { points?: { x: number; y: number }[] }).points ?? []).map((pt) => ({ x: pt.x, y: pt.y }));
    return { from: Number(e.v), to: Number(e.w), points };
  });
  const graph = g.graph() as { width?: number; height?: number };
  return { width: Math.ceil(graph.width ?? NODE_WIDTH + 40), height: Math.ceil(graph.height ?? NODE_HEIGHT + 40), nodes, edges };
}
