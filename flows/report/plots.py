"""Round-over-round plots as PNG bytes (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from flows.cycle.round_report import RoundStats


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def rounds_figure(stats: Sequence[RoundStats]) -> bytes:
    """Three panels per round: masklet outcomes, effort per accepted masklet, validation J&F."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"round {s.round_id}" for s in stats]
    x = range(len(stats))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    try:
        ax = axes[0]
        ax.bar([i - 0.27 for i in x], [s.proposed for s in stats], 0.27, label="proposed", color="#7f8c8d")
        ax.bar(list(x), [s.accepted for s in stats], 0.27, label="accepted", color="#27ae60")
        ax.bar([i + 0.27 for i in x], [s.rejected for s in stats], 0.27, label="rejected", color="#c0392b")
        ax.set_xticks(list(x), labels)
        ax.set_title("masklets")
        ax.legend(fontsize=8)
        ax = axes[1]
        ax.plot(labels, [s.frames_edited_per_accepted for s in stats], "o-", label="frames edited / accepted")
        ax.plot(labels, [s.clicks_per_accepted for s in stats], "s-", label="clicks / accepted")
        ax.set_title("review effort")
        ax.legend(fontsize=8)
        ax = axes[2]
        ax.plot(labels, [s.trained_val_JF if s.trained_val_JF is not None else float("nan") for s in stats], "o-",
                label="retrained model", color="#2980b9")
        ax.plot(labels, [s.champion_JF if s.champion_JF is not None else float("nan") for s in stats], "s--",
                label="champion before", color="#8e44ad")
        ax.set_title("validation J&F")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
        for a in axes:
            a.tick_params(labelsize=8)
        return _png(fig)
    finally:
        plt.close(fig)


def phases_figure(phases: Sequence[dict]) -> bytes:
    """The annotation phases side by side (``PhaseResult.as_json()`` rows): frames edited %,
    clicks per masklet, seconds per frame and final J&F."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"phase {p['phase']}" for p in phases]
    panels = (("frames_edited_pct", "frames edited (%)"), ("clicks_per_masklet", "clicks / masklet"),
              ("seconds_per_frame", "seconds / frame"), ("JF", "final J&F"))
    fig, axes = plt.subplots(1, len(panels), figsize=(12, 3.0))
    try:
        for ax, (key, title) in zip(axes, panels):
            ax.bar(labels, [p[key] for p in phases], color=["#c0392b", "#e67e22", "#27ae60"][: len(phases)])
            ax.set_title(title)
            ax.tick_params(labelsize=8)
        axes[-1].set_ylim(0, 1)
        return _png(fig)
    finally:
        plt.close(fig)
