"""A self-contained HTML page with an inline SVG picture of a lineage graph.

No scripts, no external fonts, styles or images: the page renders offline and under the strict
Content-Security-Policy the API sends (``default-src 'none'; style-src 'unsafe-inline'``). Every
text from the catalog is escaped. Below the picture a table lists every node (kind, label,
detail) so the content is also readable as text and by screen readers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from flows.api.lineage_graph import LineageGraph
from flows.api.lineage_layout import NODE_H, NODE_W, Layout, layout

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

COLORS = {  # fill, stroke per node kind
    "model": ("#dbeafe", "#1d4ed8"),
    "base_model": ("#ede9fe", "#6d28d9"),
    "training_run": ("#fef3c7", "#b45309"),
    "dataset_version": ("#dcfce7", "#15803d"),
    "round": ("#fce7f3", "#be185d"),
    "video": ("#f1f5f9", "#475569"),
    "reviewer": ("#fee2e2", "#b91c1c"),
    "more": ("#ffffff", "#94a3b8"),
}
KIND_NAMES = {"model": "model", "base_model": "base model", "training_run": "training run",
              "dataset_version": "dataset version", "round": "annotation round", "video": "video",
              "reviewer": "reviewer", "more": "more"}

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px; color: #0f172a; }
h1 { font-size: 20px; margin: 0 0 4px 0; }
p.meta { color: #475569; margin: 0 0 16px 0; font-size: 13px; }
svg text { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; }
svg .label { font-size: 13px; font-weight: 600; fill: #0f172a; }
svg .detail { font-size: 11px; fill: #475569; }
svg .edge { fill: none; stroke: #94a3b8; stroke-width: 1.5; }
svg .edge-label { font-size: 10px; fill: #64748b; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; border: 2px solid; border-radius: 3px;
            vertical-align: -2px; margin-right: 4px; }
table { border-collapse: collapse; margin-top: 20px; font-size: 13px; }
td, th { border: 1px solid #cbd5e1; padding: 4px 8px; text-align: left; }
"""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _edge_paths(graph: LineageGraph, placed: Layout) -> list[str]:
    out = []
    for e in graph.edges:
        s, t = placed.nodes.get(e.source), placed.nodes.get(e.target)
        if s is None or t is None:
            continue
        x1, y1 = s.x + NODE_W, s.y + NODE_H / 2
        x2, y2 = t.x - 4, t.y + NODE_H / 2
        bend = max((x2 - x1) / 2, 30)
        out.append(f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} '
                   f'{x2:.1f},{y2:.1f}" marker-end="url(#arrow)"><title>{escape(e.label)}</title></path>')
    return out


def _node_boxes(placed: Layout) -> list[str]:
    out = []
    for p in placed.nodes.values():
        fill, stroke = COLORS.get(p.node.kind, COLORS["more"])
        dash = ' stroke-dasharray="4 3"' if p.node.kind == "more" else ""
        out.append(
            f'<g class="node kind-{escape(p.node.kind)}" data-id="{escape(p.node.id)}">'
            f"<title>{escape(KIND_NAMES.get(p.node.kind, p.node.kind))}: {escape(p.node.label)}"
            f"{(' — ' + escape(p.node.detail)) if p.node.detail else ''}</title>"
            f'<rect x="{p.x:.1f}" y="{p.y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="2"{dash}/>'
            f'<text class="label" x="{p.x + 10:.1f}" y="{p.y + 20:.1f}">{escape(_clip(p.node.label, 28))}</text>'
            f'<text class="detail" x="{p.x + 10:.1f}" y="{p.y + 37:.1f}">'
            f"{escape(_clip(p.node.detail or KIND_NAMES.get(p.node.kind, ''), 38))}</text></g>"
        )
    return out


def render_svg(graph: LineageGraph) -> str:
    """The graph as one ``<svg>`` element (width/height in px)."""
    placed = layout(graph)
    w, h = placed.width, placed.height
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(graph.title)}" '
             f'width="{w:.0f}" height="{h:.0f}" style="max-width:100%;height:auto" viewBox="0 0 {w:.0f} {h:.0f}">'),
             ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#94a3b8"/></marker></defs>'),
             f'<rect x="0" y="0" width="{w:.0f}" height="{h:.0f}" fill="#ffffff"/>']
    parts += _edge_paths(graph, placed)
    parts += _node_boxes(placed)
    parts.append("</svg>")
    return "".join(parts)


def render_page(graph: LineageGraph, *, generated_at: datetime | None = None) -> str:
    """The complete HTML document (UTF-8 text) for ``graph``."""
    at = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    kinds = [k for k in COLORS if any(n.kind == k for n in graph.nodes)]
    legend = "".join(f'<span><i style="background:{COLORS[k][0]};border-color:{COLORS[k][1]}"></i>'
                     f"{escape(KIND_NAMES[k])}</span>" for k in kinds)
    rows = "".join(f"<tr><td>{escape(KIND_NAMES.get(n.kind, n.kind))}</td><td>{escape(n.label)}</td>"
                   f"<td>{escape(n.detail)}</td><td>{escape(n.id)}</td></tr>" for n in graph.nodes)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{escape(graph.title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(graph.title)}</h1>"
        f'<p class="meta">{len(graph.nodes)} entities, {len(graph.edges)} links; arrows point from an origin '
        f"to what was made from it. Generated by maskloop at {escape(at)}.</p>"
        f'<div class="legend">{legend}</div>'
        f'<div class="graph">{render_svg(graph)}</div>'
        "<table><thead><tr><th>kind</th><th>name</th><th>detail</th><th>catalog entity</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>\n"
    )


def model_lineage_page(catalog, ref: str) -> str:
    """The HTML page of model ``NAME@VER``'s lineage, read from ``catalog``."""
    from flows.api.lineage_graph import model_graph

    return render_page(model_graph(catalog, ref))
