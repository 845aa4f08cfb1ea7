"""Per-frame confidence of tracked masks: the decoder's predicted IoU and object score against the
IoU each frame really has (a reliability table), and the calibration map.

For every sequence of a DAVIS folder each object is prompted with its first-frame ground truth and
tracked; every later frame gives (presence probability, predicted IoU, measured IoU with ground
truth). ``--fit`` fits the monotone map from the raw confidence (presence x predicted IoU) to the
measured IoU on that folder (bin means made non-decreasing) and prints it as
``model.metrics.confidence`` wants it; ``--cross-fit K`` scores such a map honestly (each of K
folds of sequences calibrated by the map fitted on the others); always printed: the reliability
table of the raw confidence (the anchor, same run) and of the shipped map. The network must not
have trained on the folder (on its training data raw looks calibrated). The shipped lite0 map::

    .venv/bin/python bench/calibrate_scores.py --data ../shared/data/davis2016 --fit --cross-fit 3

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from flows.evaluation import read_sequence, resolve_sequences
from model.metrics.confidence import (
    apply_calibration,
    calibrated_confidence,
    fit_calibration,
    raw_confidence,
)
from model.metrics.semi_supervised import first_appearances
from model.metrics.vos import jaccard
from model.network.refs import load_model
from model.session.open_session import open_session

BINS = np.linspace(0.0, 1.0, 11)


def frame_records(model, frames: list[np.ndarray], id_maps: np.ndarray) -> list[tuple[float, float, float]]:
    """(presence probability, predicted IoU, measured IoU) of every tracked later frame and object."""
    out = []
    for obj, t0 in sorted(first_appearances(id_maps).items()):
        session = open_session(model).init(frames)
        session.add_prompt(t0, obj, mask=id_maps[t0] == obj)
        for f, ids, logits, scores in session.propagate(start=t0):
            if f == t0:
                continue
            k = ids.index(obj)
            pred_iou = session.predicted_iou(f, obj)
            measured = float(jaccard((logits[k, 0] > 0).numpy(), id_maps[f] == obj))
            out.append((float(torch.sigmoid(scores[k])), 0.0 if pred_iou is None else pred_iou, measured))
    return out


def reliability(confidence: np.ndarray, measured: np.ndarray) -> list[dict[str, float]]:
    """Per bin of confidence: frames, mean confidence, mean measured IoU."""
    rows = []
    for lo, hi in itertools.pairwise(BINS):
        inside = (confidence >= lo) & ((confidence < hi) | (hi == 1.0))
        if inside.any():
            rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "frames": int(inside.sum()),
                         "confidence": round(float(confidence[inside].mean()), 3),
                         "measured_iou": round(float(measured[inside].mean()), 3)})
    return rows


def calibration_error(confidence: np.ndarray, measured: np.ndarray) -> float:
    """Frame-weighted mean |mean confidence - mean measured IoU| over the bins (ECE)."""
    rows = reliability(confidence, measured)
    n = sum(r["frames"] for r in rows)
    return float(sum(r["frames"] * abs(r["confidence"] - r["measured_iou"]) for r in rows) / n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True, help="DAVIS-layout folder")
    parser.add_argument("--sequences", default=None)
    parser.add_argument("--model", default="builtin:default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fit", action="store_true", help="fit the calibration map on this folder")
    parser.add_argument("--cross-fit", type=int, default=0, metavar="K",
                        help="also score a map fitted on the other sequences: K folds by sequence (i mod K), "
                             "each fold's frames calibrated by the map fitted on the rest (an honest estimate "
                             "of the map --fit gives on this folder)")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"error: {args.data} does not exist; pass a DAVIS folder with --data (not run)")
    torch.set_num_threads(args.threads)
    model = load_model(args.model, device="cpu")
    records = []
    fold_of: list[int] = []  # per record: its sequence's fold (sequence index mod K)
    for k, name in enumerate(resolve_sequences(args.data, args.sequences.split(",") if args.sequences else None)):
        frames, id_maps = read_sequence(args.data, name)
        got = frame_records(model, frames, id_maps)
        records += got
        fold_of += [k % max(args.cross_fit, 1)] * len(got)
        print(f"{name}: {len(got)} frames, measured IoU {np.mean([r[2] for r in got]):.3f}", file=sys.stderr)
    presence, pred_iou, measured = (np.array(c) for c in zip(*records))
    raw = raw_confidence(presence, pred_iou)
    result: dict[str, object] = {"data": str(args.data), "frames": len(records),
                                 "mean_measured_iou": round(float(measured.mean()), 4),
                                 "raw": {"ece": round(calibration_error(raw, measured), 4),
                                         "table": reliability(raw, measured)}}
    if args.cross_fit > 1:
        folds = np.array(fold_of)
        held_out = np.empty_like(raw)
        for fold in range(args.cross_fit):
            test = folds == fold
            held_out[test] = apply_calibration(raw[test], fit_calibration(raw[~test], measured[~test]))
        result["cross_fitted"] = {"folds": args.cross_fit, "ece": round(calibration_error(held_out, measured), 4),
                                  "table": reliability(held_out, measured)}
    if args.fit:
        result["fitted"] = [[round(x, 3), round(y, 3)] for x, y in fit_calibration(raw, measured)]
    cal = calibrated_confidence(presence, pred_iou, arch=model.arch.name)  # the shipped map, beside the raw anchor
    result["calibrated"] = {"ece": round(calibration_error(cal, measured), 4), "table": reliability(cal, measured)}
    result["ratio"] = round(result["calibrated"]["ece"] / max(result["raw"]["ece"], 1e-9), 3)
    for key in ("raw", "calibrated", "cross_fitted"):
        if key in result:
            print(f"{key}: ECE {result[key]['ece']:.3f}")
            for row in result[key]["table"]:
                print(f"  {row['bin']}  frames {row['frames']:5d}  confidence {row['confidence']:.3f}  "
                      f"measured IoU {row['measured_iou']:.3f}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
