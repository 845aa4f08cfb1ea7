"""The HTML report of one or more rounds: a table of figures, plots and overlay contact sheets.

Self-contained: images are PNGs embedded as base64 data URIs, no external assets.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from flows.cycle.round_report import RoundStats, round_stats
from flows.cycle.workspace import Workspace
from flows.report.contact_sheet import COLORS, contact_sheet
from flows.report.plots import phases_figure, rounds_figure
from storage.catalog.rounds import round_masklets

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0;font-size:12px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #ddd} .scroll{overflow-x:auto}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;color:#fff;border-radius:3px;font-size:12px}
"""

COLUMNS = (("round", lambda s: str(s.round_id)), ("status", lambda s: s.status), ("model", lambda s: s.model or "-"),
           ("model val J&F", lambda s: _num(s.model_val_JF)), ("proposed", lambda s: str(s.proposed)),
           ("manual", lambda s: str(s.manual)), ("accepted", lambda s: str(s.accepted)),
           ("rejected", lambda s: str(s.rejected)), ("acceptance", lambda s: f"{s.acceptance_rate:.0%}"),
           ("frames edited / acc.", lambda s: f"{s.frames_edited_per_accepted:.2f}"),
           ("clicks / acc.", lambda s: f"{s.clicks_per_accepted:.2f}"),
           ("review time", lambda s: f"{s.review_seconds:.0f} s"), ("wall time", lambda s: f"{s.wall_seconds:.0f} s"),
           ("version", lambda s: s.dataset_version or "-"), ("retrained", lambda s: s.trained_model or "-"),
           ("its val J&F", lambda s: _num(s.trained_val_JF)), ("champion J&F", lambda s: _num(s.champion_JF)),
           ("promoted", lambda s: "-" if s.promoted is None else ("yes" if s.promoted else "no")),
           ("champion after", lambda s: s.champion_after or "-"))


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def stats_table(stats: Sequence[RoundStats]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in COLUMNS)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(fn(s))}</td>" for _, fn in COLUMNS) + "</tr>" for s in stats)
    return f"<div class='scroll'><table><tr>{head}</tr>{rows}</table></div>"


PHASE_COLUMNS = (("phase", "phase"), ("frames edited %", "frames_edited_pct"), ("clicks / masklet", "clicks_per_masklet"),
                 ("clicks / clicked frame", "clicks_per_clicked_frame"), ("s / frame", "seconds_per_frame"),
                 ("drawn frames", "drawn_frames"), ("final J&F", "JF"))


def phases_section(phases: Sequence[dict]) -> str:
    """Table and plot of the annotation phases (``PhaseResult.as_json()`` rows)."""
    head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in PHASE_COLUMNS)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(p[key]))}</td>" for _, key in PHASE_COLUMNS) + "</tr>"
                   for p in phases)
    return (f"<h2>Annotation phases (SAM 2 Table 1)</h2><table><tr>{head}</tr>{rows}</table>"
            + _img(phases_figure(phases), "phases"))


def render_report(ws: Workspace, round_ids: Sequence[int], *, title: str = "maskloop rounds",
                  phases: Sequence[dict] = ()) -> str:
    """The HTML text of the report on ``round_ids`` (and the phase comparison, when given)."""
    stats = [round_stats(ws, r) for r in round_ids]
    legend = "".join(f'<span style="background:rgb{c}">{html.escape(k)}</span>' for k, c in COLORS.items())
    parts = [(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"),
             (f"<p>generated {datetime.now(UTC):%Y-%m-%d %H:%M UTC}; dataset "
             f"{html.escape(', '.join(sorted({s.dataset for s in stats})))}</p>"), stats_table(stats),
             "<h2>Round over round</h2>", _img(rounds_figure(stats), "plots"),
             phases_section(phases) if phases else "",
             f"<h2>Overlay contact sheets</h2><p class='legend'>{legend}</p>"]
    for s in stats:
        sheet = contact_sheet(ws, round_masklets(ws.catalog, s.round_id))
        parts.append(f"<h3>Round {s.round_id}</h3>")
        parts.append(_img(sheet, f"round {s.round_id} masklets") if sheet else "<p>no masklets</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(ws: Workspace, round_ids: Sequence[int], path: Path, *, title: str = "maskloop rounds",
                 phases: Sequence[dict] = ()) -> Path:
    """Write the report to ``path`` (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(ws, round_ids, title=title, phases=phases), encoding="utf-8")
    return path
