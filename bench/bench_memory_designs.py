"""Memory designs of the default network on real video: J, F, J&F and frames/s on a DAVIS folder.

Rows, same frames, same run: copying the first mask to every frame (the floor), the training-free
affinity readout alone (frozen EfficientNet-Lite0 features, no decoder), and the readout as the
trained SAM 2 decoder's dense prompt (the shipped ``builtin:default``).

    .venv/bin/python bench/bench_memory_designs.py --data ../shared/data/davis2016 [--sequences a,b]

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.evaluation import read_sequence, resolve_sequences
from model.metrics.semi_supervised import evaluate_sequence
from model.metrics.vos import mean_scores
from model.network.refs import load_model
from model.session.lite_session import LiteSession


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True, help="DAVIS-layout folder")
    parser.add_argument("--sequences", default=None)
    parser.add_argument("--model", default="builtin:default")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"error: {args.data} does not exist; pass a DAVIS folder with --data (not run)")
    torch.set_num_threads(args.threads)
    model = load_model(args.model, device="cpu")
    names = resolve_sequences(args.data, args.sequences.split(",") if args.sequences else None)
    designs = {"readout only": lambda m: LiteSession(m, readout_only=True),
               "readout + decoder": lambda m: LiteSession(m)}
    scores: dict[str, list] = {name: [] for name in ("copy first mask", *designs)}
    frames_done: dict[str, int] = dict.fromkeys(designs, 0)
    seconds: dict[str, float] = dict.fromkeys(designs, 0.0)
    per_seq: dict[str, dict[str, float]] = {}
    for seq in names:
        frames, id_maps = read_sequence(args.data, seq)
        row = {}
        for design, make in designs.items():
            start = time.perf_counter()
            res = evaluate_sequence(model, seq, frames, id_maps, make_session=make)
            seconds[design] += time.perf_counter() - start
            frames_done[design] += len(frames)
            scores[design].append(res.model)
            row[design] = round(res.model.JF, 3)
        scores["copy first mask"].append(res.baseline)
        row["copy first mask"] = round(res.baseline.JF, 3)
        per_seq[seq] = row
        print(f"{seq:20s} " + "  ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
    table = {}
    for design, rows in scores.items():
        mean = mean_scores(rows)
        fps = frames_done[design] / seconds[design] if design in seconds else None
        table[design] = {"J": round(mean["J"], 3), "F": round(mean["F"], 3), "JF": round(mean["JF"], 3),
                         "fps": round(fps, 2) if fps else None}
        print(f"{design:20s} J {mean['J']:.3f}  F {mean['F']:.3f}  J&F {mean['JF']:.3f}"
              + (f"  {fps:.2f} frames/s (incl. scoring)" if fps else ""), flush=True)
    anchor = table["copy first mask"]["JF"]
    print(f"ratio to copy-first (anchor, same run): readout only x{table['readout only']['JF'] / anchor:.2f}, "
          f"readout + decoder x{table['readout + decoder']['JF'] / anchor:.2f}")
    print(json.dumps({"bench": "memory_designs", "model": args.model, "data": str(args.data),
                      "designs": table, "sequences": per_seq}))


if __name__ == "__main__":
    main()
