"""An official-format SAM 2.1 tiny checkpoint loaded through ``sam2:tiny:PATH`` gives the same
masks as sam2's own SAM2VideoPredictor (randomly initialised weights, 2 small frames, CPU)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.network.architecture import official
from model.network.builder import build_network
from model.network.refs import load_model
from model.session.session import VideoSession
from model.synthetic.generator import generate_clip


def test_sam2_tiny_reference_matches_official_predictor(tmp_path: Path) -> None:
    torch.set_num_threads(2)
    clip = generate_clip(seed=2, n_frames=2, height=1024, width=1024, n_instruments=2)  # model size: no resize
    for i, frame in enumerate(clip.frames):
        Image.fromarray(frame).save(tmp_path / f"{i:05d}.jpg")
    frames = [np.array(Image.open(tmp_path / f"{i:05d}.jpg").convert("RGB")) for i in range(2)]
    torch.manual_seed(0)
    predictor = build_network(official("tiny"), predictor=True)
    checkpoint = tmp_path / "sam2.1_random_tiny.pt"
    torch.save({"model": predictor.state_dict()}, checkpoint)

    state = predictor.init_state(str(tmp_path))
    ys, xs = np.nonzero(clip.masks[0, 0])
    point = [[float(xs[len(xs) // 2]), float(ys[len(ys) // 2])]]
    _, _, first = predictor.add_new_points_or_box(state, 0, 1, points=np.array(point, np.float32),
                                                  labels=np.array([1], np.int32))
    expected = [m.clone() for _, _, m in predictor.propagate_in_video(state)]

    session = VideoSession(load_model(f"sam2:tiny:{checkpoint}", device="cpu")).init(frames)
    mine_first = session.add_prompt(0, 1, points=point, labels=[1])
    got = [lg.clone() for _, _, lg, _ in session.propagate()]
    assert np.array_equal(mine_first, (first[0, 0] > 0).numpy())
    assert len(got) == len(expected) == 2
    for ref, ours in zip(expected, got):
        assert torch.allclose(ref, ours, atol=1e-3)
        assert torch.equal(ref > 0, ours > 0)
