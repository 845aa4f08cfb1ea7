"""The lineage graph of a model, as nodes and edges, built from the catalog's lineage queries.

model <- training run <- dataset version <- (videos, annotation rounds, reviewers), and
training run <- base model <- its training run <- its dataset version <- ... recursively.
Edges point from the origin to what was derived from it. Videos are capped at ``max_videos``
(one "+N more videos" node stands for the rest) so big datasets still draw.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pandas as pd

from storage.catalog.catalog import Catalog
from storage.catalog.masklets import list_masklets
from storage.versions.members import version_members

KINDS = ("model", "base_model", "training_run", "dataset_version", "round", "video", "reviewer", "more")


@dataclass(frozen=True)
class GraphNode:
    """One box of the picture: ``id`` is unique (``table:id``), ``kind`` one of :data:`KINDS`."""

    id: str
    kind: str
    label: str
    detail: str = ""  # one short line under the label (who/when/what)


@dataclass(frozen=True)
class GraphEdge:
    """``source`` (the origin) -> ``target`` (what was derived from it); ``label`` says how."""

    source: str
    target: str
    label: str


@dataclass(frozen=True)
class LineageGraph:
    """Nodes and edges of one model's lineage; ``root`` is the model's node id."""

    title: str
    root: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]


def _when(at: object) -> str:
    if at is None or at is pd.NaT or (isinstance(at, float) and math.isnan(at)):
        return ""
    return pd.Timestamp(at).strftime("%Y-%m-%d %H:%M")


def _detail(actor: object, at: object, extra: str = "") -> str:
    parts = [p for p in (extra, str(actor) if actor else "", _when(at)) if p]
    return " · ".join(parts)


def model_graph(catalog: Catalog, ref: str, *, max_videos: int = 24) -> LineageGraph:
    """The graph of model ``NAME@VER`` (NotFoundError / InvalidInputError from the queries)."""
    from storage.lineage.queries import lineage_of_dataset, lineage_of_model

    frame = lineage_of_model(catalog, ref)
    nodes: dict[str, GraphNode] = {}
    edges: list[GraphEdge] = []
    runs_by_depth: dict[int, str] = {}
    models_by_depth: dict[int, str] = {}
    root_dataset: str | None = None
    for r in frame.itertuples(index=False):
        details = json.loads(r.details)
        depth = int(details.get("depth", 0))
        if r.relation in ("model", "base_model"):
            nodes[r.entity] = GraphNode(r.entity, r.relation, r.name,
                                        _detail(r.actor, r.at, details.get("backend", "")))
            models_by_depth[depth] = r.entity
        elif r.relation == "training_run":
            nodes[r.entity] = GraphNode(r.entity, "training_run", f"run {r.name}",
                                        _detail(r.actor, r.at, details.get("status", "")))
            runs_by_depth[depth] = r.entity
            edges.append(GraphEdge(r.entity, models_by_depth[depth], "produced"))
        elif r.relation == "dataset_version":
            nodes[r.entity] = GraphNode(r.entity, "dataset_version", r.name,
                                        _detail(r.actor, r.at, f"{details.get('n_members', '?')} masklets"))
            edges.append(GraphEdge(r.entity, runs_by_depth[depth], "trained on"))
            if depth == 0:
                root_dataset = r.name
    for depth, run in runs_by_depth.items():
        if depth + 1 in models_by_depth:
            edges.append(GraphEdge(models_by_depth[depth + 1], run, "fine-tuned from"))
    if root_dataset is not None:
        version_node = next(n.id for n in nodes.values() if n.kind == "dataset_version" and n.label == root_dataset)
        _add_sources(catalog, root_dataset, version_node, nodes, edges, max_videos=max_videos,
                     lineage=lineage_of_dataset(catalog, root_dataset))
    return LineageGraph(title=f"lineage of model {ref}", root=models_by_depth[0], nodes=tuple(nodes.values()),
                        edges=tuple(edges))


def _add_sources(catalog: Catalog, version_ref: str, version_node: str, nodes: dict[str, GraphNode],
                 edges: list[GraphEdge], *, max_videos: int, lineage: pd.DataFrame) -> None:
    """Videos, annotation rounds and reviewers feeding dataset version ``version_ref``."""
    videos = lineage[lineage["relation"] == "video"]
    for r in videos.head(max_videos).itertuples(index=False):
        details = json.loads(r.details)
        nodes[r.entity] = GraphNode(r.entity, "video", r.name,
                                    f"{details.get('split', '')} · {details.get('masklets', '?')} masklets")
        edges.append(GraphEdge(r.entity, version_node, "member of"))
    if len(videos) > max_videos:
        more = f"more:{version_node}"
        nodes[more] = GraphNode(more, "more", f"+{len(videos) - max_videos} more videos")
        edges.append(GraphEdge(more, version_node, "member of"))
    for r in lineage[lineage["relation"] == "reviewer"].itertuples(index=False):
        details = json.loads(r.details)
        nodes[r.entity] = GraphNode(r.entity, "reviewer", r.name,
                                    f"{details.get('reviews', 0)} reviews · {details.get('seconds', 0):.0f} s")
        edges.append(GraphEdge(r.entity, version_node, "reviewed"))
    members = version_members(catalog, version_ref)
    if members.empty:
        return
    dataset = version_ref.rsplit("@", 1)[0]
    masklets = list_masklets(catalog, dataset=dataset)
    in_version = masklets[masklets["masklet_id"].isin(members["masklet_id"])]
    rounds = in_version["round_id"].dropna().astype(int).value_counts().sort_index()
    for round_id, count in rounds.items():
        node = f"annotation_round:{round_id}"
        nodes[node] = GraphNode(node, "round", f"round {round_id}", f"{count} masklets")
        edges.append(GraphEdge(node, version_node, "annotated"))
