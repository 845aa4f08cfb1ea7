"""Per-frame confidence: raw = presence x predicted IoU, its fitted monotone map, and the sessions'
predicted IoU (lite: the decoder's head; SAM 2's predictor keeps it internal)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from model.metrics.confidence import (
    CALIBRATION,
    calibrated_confidence,
    fit_calibration,
    raw_confidence,
)
from model.network.refs import load_model
from model.session.open_session import open_session


def test_raw_confidence_is_presence_times_predicted_iou() -> None:
    assert raw_confidence(0.5, 0.8) == pytest.approx(0.4)
    assert raw_confidence(np.array([1.2, -1.0]), np.array([0.5, 0.5])).tolist() == [0.5, 0.0]  # clipped


def test_fit_makes_a_monotone_map_of_the_bins() -> None:
    rng = np.random.default_rng(0)
    raw = rng.uniform(0, 1, 4000)
    measured = np.clip(raw ** 2 + rng.normal(0, 0.02, raw.size), 0, 1)  # over-confident model
    knots = fit_calibration(raw, measured)
    xs, ys = zip(*knots)
    assert knots[0] == (0.0, 0.0) and xs[-1] == 1.0
    assert all(b >= a for a, b in itertools.pairwise(ys)) and all(b >= a for a, b in itertools.pairwise(xs))
    assert ys[5] == pytest.approx(xs[5] ** 2, abs=0.03)  # a bin's mean measured IoU
    # a bin that breaks monotonicity is pooled with its neighbour
    pooled = fit_calibration(np.array([0.15] * 30 + [0.25] * 30), np.array([0.6] * 30 + [0.4] * 30))
    assert pooled[1] == pytest.approx((0.2, 0.5))
    # past the last bin the map keeps rising, so the most confident frames stay ranked
    assert pooled[-1] == (1.0, 1.0)  # 0.5 + (1 - 0.2), capped at 1


def test_the_shipped_map_is_increasing() -> None:
    xs, ys = zip(*CALIBRATION["lite0"])
    assert xs[0] == 0.0 and xs[-1] == 1.0
    assert all(b > a for a, b in itertools.pairwise(xs)) and all(b > a for a, b in itertools.pairwise(ys))


def test_calibrated_confidence_uses_the_arch_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CALIBRATION, "toy", ((0.0, 0.0), (0.5, 0.25), (1.0, 1.0)))
    assert calibrated_confidence(1.0, 0.5, arch="toy") == pytest.approx(0.25)
    assert calibrated_confidence(1.0, 0.5, arch="none-fitted") == pytest.approx(0.5)


def test_sessions_report_the_decoders_iou_estimate(clip) -> None:
    lite = open_session(load_model("builtin:lite0", device="cpu", seed=0)).init(list(clip.frames))
    lite.add_prompt(0, 7, mask=clip.masks[0, 0])
    assert lite.predicted_iou(0, 7) == 1.0  # a drawn mask
    steps = list(lite.propagate())
    estimates = [lite.predicted_iou(f, 7) for f, *_ in steps[1:]]
    assert all(e is not None and 0.0 <= e <= 1.0 for e in estimates)
    assert lite.predicted_iou(0, 8) is None  # unknown object
    sam2 = open_session(load_model("builtin:tiny-cpu", device="cpu", seed=0)).init(list(clip.frames))
    sam2.add_prompt(0, 7, mask=clip.masks[0, 0])
    assert sam2.predicted_iou(0, 7) is None
