"""One corrective click on each sequence's worst frame: does it re-condition what follows?

Per sequence of a DAVIS folder: track every object from its first-frame ground truth, find the
worst later frame (lowest J), click once at the interior of its largest error region (positive on
a miss, negative on a false positive, as interactive-segmentation benchmarks simulate clicks),
re-propagate from that frame on, and score J&F of the whole sequence before and after. The
anchor is the same sequence without the click (same run).

    .venv/bin/python bench/bench_correction.py --data ../shared/data/davis2016 [--sequences a,b]

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

from flows.evaluation import read_sequence, resolve_sequences
from model.metrics.click_annotator import next_click
from model.metrics.semi_supervised import first_appearances
from model.metrics.vos import jaccard, score_object
from model.network.refs import load_model
from model.session.open_session import open_session


def corrective_click(pred: np.ndarray, gt: np.ndarray) -> tuple[list[float], int]:
    """(x, y) at the interior of the largest error region of bool [H, W] masks, and its label."""
    click = next_click(pred, gt)
    if click is None:
        raise ValueError("no error region")
    return [click[0], click[1]], click[2]


def track(session, n: int, ids: tuple[int, ...], start: int = 0) -> dict[int, dict[int, np.ndarray]]:
    out: dict[int, dict[int, np.ndarray]] = {o: {} for o in ids}
    for f, obj_ids, logits, _ in session.propagate(start=start):
        for k, o in enumerate(obj_ids):
            if o in out:
                out[o][f] = (logits[k, 0] > 0).numpy()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--sequences", default=None)
    parser.add_argument("--model", default="builtin:default")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"error: {args.data} does not exist; pass a DAVIS folder with --data (not run)")
    torch.set_num_threads(args.threads)
    model = load_model(args.model, device="cpu")
    rows = {}
    for seq in resolve_sequences(args.data, args.sequences.split(",") if args.sequences else None):
        frames, id_maps = read_sequence(args.data, seq)
        first = first_appearances(id_maps)
        obj, t0 = min(first.items(), key=lambda kv: kv[1])  # the first object of the sequence
        gt = id_maps == obj
        session = open_session(model).init(frames)
        session.add_prompt(t0, obj, mask=gt[t0])
        before = track(session, len(frames), (obj,), start=t0)[obj]
        later = list(range(t0 + 1, len(frames)))
        pred = np.stack([before.get(f, np.zeros_like(gt[0])) for f in range(len(frames))])
        js = {f: jaccard(pred[f], gt[f]) for f in later}
        worst = min(js, key=js.get)
        point, label = corrective_click(pred[worst], gt[worst])
        session.add_prompt(worst, obj, points=[point], labels=[label])
        after = track(session, len(frames), (obj,), start=worst)[obj]
        fixed = pred.copy()
        for f, m in after.items():
            fixed[f] = m
        jf0 = score_object(obj, pred, gt, later).JF
        jf1 = score_object(obj, fixed, gt, later).JF
        rows[seq] = {"worst_frame": worst, "worst_J_before": round(js[worst], 3),
                     "worst_J_after": round(jaccard(fixed[worst], gt[worst]), 3),
                     "JF_before": round(jf0, 3), "JF_after": round(jf1, 3), "gain": round(jf1 - jf0, 3)}
        print(f"{seq:20s} worst frame {worst:3d}: J {js[worst]:.3f} -> {rows[seq]['worst_J_after']:.3f}; "
              f"sequence J&F {jf0:.3f} -> {jf1:.3f} ({jf1 - jf0:+.3f})", flush=True)
    before = float(np.mean([r["JF_before"] for r in rows.values()]))
    after = float(np.mean([r["JF_after"] for r in rows.values()]))
    print(f"mean J&F without the click (anchor) {before:.3f}, with one click {after:.3f}, "
          f"x{after / before:.3f}; improved {sum(r['gain'] > 0 for r in rows.values())}/{len(rows)}")
    print(json.dumps({"bench": "correction", "model": args.model, "anchor_JF": round(before, 3),
                      "JF": round(after, 3), "ratio": round(after / before, 3), "sequences": rows}))


if __name__ == "__main__":
    main()
