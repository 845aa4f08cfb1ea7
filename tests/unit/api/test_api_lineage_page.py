"""The lineage picture: graph from the catalog, layered layout (arrows point right), escaping."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from flows.api.lineage_graph import GraphEdge, GraphNode, LineageGraph, model_graph
from flows.api.lineage_layout import NODE_H, NODE_W, layout
from flows.api.lineage_page import render_page, render_svg


def test_model_graph_has_the_whole_chain(world) -> None:
    graph = model_graph(world.catalog, "seg@3")
    kinds = {n.label: n.kind for n in graph.nodes}
    assert kinds["seg@3"] == "model" and kinds["seg@2"] == "base_model" and kinds["seg@1"] == "base_model"
    assert kinds["run mlf-2"] == "training_run" and kinds["demo@2"] == "dataset_version"
    assert sum(k == "video" for k in kinds.values()) == 3
    assert sorted(n.label for n in graph.nodes if n.kind == "reviewer") == ["rev0", "rev1"]
    assert [n.label for n in graph.nodes if n.kind == "round"] == [f"round {world.scenario['round_id']}"]
    labels = {n.id: n.label for n in graph.nodes}
    links = {(labels[e.source], labels[e.target]) for e in graph.edges}
    assert {("run mlf-2", "seg@3"), ("demo@2", "run mlf-2"), ("seg@2", "run mlf-2"), ("run mlf-1", "seg@2"),
            ("seg@1", "run mlf-1"), ("rev0", "demo@2")} <= links


def test_video_cap_adds_a_more_node(world) -> None:
    graph = model_graph(world.catalog, "seg@3", max_videos=1)
    assert sum(n.kind == "video" for n in graph.nodes) == 1
    assert [n.label for n in graph.nodes if n.kind == "more"] == ["+2 more videos"]


def test_layout_puts_origins_left_and_never_overlaps(world) -> None:
    graph = model_graph(world.catalog, "seg@3")
    placed = layout(graph)
    for e in graph.edges:
        assert placed.nodes[e.source].x + NODE_W < placed.nodes[e.target].x
    boxes = [(p.x, p.y) for p in placed.nodes.values()]
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1:]:
            assert abs(x1 - x2) >= NODE_W or abs(y1 - y2) >= NODE_H
        assert 0 <= x1 and x1 + NODE_W <= placed.width and 0 <= y1 and y1 + NODE_H <= placed.height


def test_hostile_labels_are_escaped_and_the_svg_is_well_formed() -> None:
    evil = '<script>alert(1)</script>"&'
    graph = LineageGraph(title=f"lineage of {evil}", root="m",
                         nodes=(GraphNode("m", "model", evil, evil), GraphNode("v", "video", "v<1>")),
                         edges=(GraphEdge("v", "m", "member of"),))
    page = render_page(graph)
    assert "<script" not in page and "&lt;script&gt;" in page
    root = ElementTree.fromstring(render_svg(graph))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "v<1>" in texts and any(t.startswith("<script>") for t in texts)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)  # nothing fetched from anywhere
