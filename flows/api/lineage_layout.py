"""A simple layered layout of a lineage graph (no external library).

Layer = shortest distance (in edges, walked backwards from what was derived to its origins) from the
root; layer 0 is the root and is drawn in the rightmost column, origins to the left, so every arrow
points right. Inside a column nodes are ordered by the mean row of the nodes they feed (one
barycenter pass from the root outwards, which removes most crossings on these tree-like graphs),
then by kind and label. Coordinates are SVG user units (px at 100 % zoom).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from flows.api.lineage_graph import KINDS, GraphNode, LineageGraph

NODE_W = 220
NODE_H = 48
COL_GAP = 90
ROW_GAP = 18
MARGIN = 24


@dataclass(frozen=True)
class PlacedNode:
    node: GraphNode
    x: float  # left edge
    y: float  # top edge
    layer: int


@dataclass(frozen=True)
class Layout:
    """Placed nodes by id plus the drawing size (width, height)."""

    nodes: dict[str, PlacedNode]
    width: float
    height: float


def _layers(graph: LineageGraph) -> dict[str, int]:
    feeds: dict[str, list[str]] = defaultdict(list)  # target -> sources
    for e in graph.edges:
        feeds[e.target].append(e.source)
    layer = {graph.root: 0}
    queue = deque([graph.root])
    while queue:
        current = queue.popleft()
        for source in feeds[current]:
            if source not in layer:
                layer[source] = layer[current] + 1
                queue.append(source)
    deepest = max(layer.values(), default=0)
    for n in graph.nodes:  # unreachable nodes (should not happen) go to the far left
        layer.setdefault(n.id, deepest + 1)
    return layer


def layout(graph: LineageGraph) -> Layout:
    """Place every node of ``graph`` (see module docstring)."""
    layer = _layers(graph)
    by_id = {n.id: n for n in graph.nodes}
    targets: dict[str, list[str]] = defaultdict(list)
    for e in graph.edges:
        targets[e.source].append(e.target)
    columns: dict[int, list[str]] = defaultdict(list)
    for node_id, k in layer.items():
        columns[k].append(node_id)
    row: dict[str, float] = {}
    for k in sorted(columns):
        def key(node_id: str) -> tuple:
            fed = [row[t] for t in targets[node_id] if t in row]
            node = by_id[node_id]
            return (sum(fed) / len(fed) if fed else 0.0, KINDS.index(node.kind), node.label)
        columns[k].sort(key=key)
        for i, node_id in enumerate(columns[k]):
            row[node_id] = float(i)
    n_layers = max(columns) + 1
    tallest = max(len(c) for c in columns.values())
    height = 2 * MARGIN + tallest * NODE_H + (tallest - 1) * ROW_GAP
    width = 2 * MARGIN + n_layers * NODE_W + (n_layers - 1) * COL_GAP
    placed = {}
    for k, ids in columns.items():
        column_h = len(ids) * NODE_H + (len(ids) - 1) * ROW_GAP
        top = (height - column_h) / 2
        x = MARGIN + (n_layers - 1 - k) * (NODE_W + COL_GAP)
        for i, node_id in enumerate(ids):
            placed[node_id] = PlacedNode(by_id[node_id], x, top + i * (NODE_H + ROW_GAP), k)
    return Layout(nodes=placed, width=float(width), height=float(height))
