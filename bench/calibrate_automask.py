"""Calibrate automask thresholds on DAVIS-2016 *train* first frames (never the reported val split).

    .venv/bin/python bench/calibrate_automask.py MODEL_REF ../shared/data/davis2016_train [THREADS] [LAYERS]

LAYERS: grid points per side of each crop layer, comma-separated (default 32,16,4, App. D.1).
"""
import itertools
import sys
import time

sys.path.insert(0, '.')
import numpy as np
import torch

torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
from pathlib import Path

from flows.evaluation import read_sequence, resolve_sequences
from model.automask.config import AutoMaskConfig
from model.automask.frame_masks import frame_masks
from model.network.refs import load_model

root = Path(sys.argv[2]); m = load_model(sys.argv[1])
layers = tuple(int(v) for v in sys.argv[4].split(',')) if len(sys.argv) > 4 else (32, 16, 4)
cfg = AutoMaskConfig(points_per_layer=layers, pred_iou_thresh=0.0, stability_score_thresh=0.0, max_masks=10000)
recs = []
for seq in resolve_sequences(root, None):
    fr, ids = read_sequence(root, seq, first_only=True)
    t = time.time(); fm = frame_masks(m.network, fr[0], cfg, m.device); dt = time.time() - t
    gt = ids[0] > 0
    inter = (fm.masks & gt).reshape(len(fm.masks), -1).sum(1); union = (fm.masks | gt).reshape(len(fm.masks), -1).sum(1)
    iou = inter / np.maximum(union, 1)
    recs.append((seq, fm.pred_iou, fm.stability, iou))
    print(seq, len(fm.masks), 'best', round(float(iou.max()) if len(iou) else 0, 3), 's', round(dt, 1), flush=True)
for piou, stab in itertools.product([0.0, 0.3, 0.5, 0.6, 0.7, 0.8], [0.0, 0.5, 0.7, 0.8, 0.9, 0.95]):
    hits, props = 0, []
    for seq, p, s, iou in recs:
        keep = (p > piou) & (s >= stab)
        order = np.argsort(-p[keep])[:25]
        props.append(min(25, keep.sum()))
        hits += bool(len(order) and iou[keep][order].max() >= 0.5)
    print(f"piou {piou} stab {stab}: recall {hits/len(recs):.2f} mean props {np.mean(props):.1f}")
