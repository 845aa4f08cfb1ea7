"""VideoSession: shapes, validation, batching, corrections, streaming and parity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.errors import InvalidInputError, NotFoundError
from model.network.builder import build_network
from model.network.refs import LoadedModel
from model.session.session import NO_OBJ_SCORE, VideoSession


def run(session: VideoSession, **kw) -> list[tuple[int, tuple[int, ...], torch.Tensor, torch.Tensor]]:
    return [(f, ids, lg.clone(), sc.clone()) for f, ids, lg, sc in session.propagate(**kw)]


def test_prompt_and_propagate_shapes(tiny, clip) -> None:
    s = VideoSession(tiny).init(list(clip.frames))
    m = s.add_prompt(0, 11, mask=clip.masks[0, 0])
    assert m.dtype == np.bool_ and m.shape == (72, 96)
    pts = s.add_prompt(0, 22, points=[[40, 30]], labels=[1])
    box = s.add_prompt(1, 33, box=[10, 10, 50, 40])
    assert pts.shape == box.shape == (72, 96)
    out = run(s)
    assert [f for f, *_ in out] == list(range(6))
    for f, ids, logits, scores in out:
        assert ids == (11, 22, 33)
        assert logits.shape == (3, 1, 72, 96) and logits.dtype == torch.float32
        assert scores.shape == (3,) and scores.dtype == torch.float32
    # object 33 is prompted on frame 1: not tracked before it
    assert torch.all(out[0][2][2] == NO_OBJ_SCORE) and out[0][3][2] == NO_OBJ_SCORE
    assert out[1][3][2] != NO_OBJ_SCORE


def test_mask_prompt_is_returned_on_its_frame(tiny, clip) -> None:
    s = VideoSession(tiny).init(list(clip.frames))
    m = s.add_prompt(0, 1, mask=clip.masks[1, 0])
    iou = (m & clip.masks[1, 0]).sum() / (m | clip.masks[1, 0]).sum()
    assert iou > 0.8  # the mask prompt is the output (resized to 256 px and back)
    f, _, logits, _ = next(iter(s.propagate()))
    assert f == 0 and np.array_equal(logits[0, 0].numpy() > 0, m)


def test_clicks_on_a_mask_prompted_frame_refine_it(tiny, clip) -> None:
    # a reviewer clicks on a proposal's frame before anything was propagated: the frame's own
    # memory is encoded first (it used to be looked up unencoded and crash)
    s = VideoSession(tiny).init(list(clip.frames))
    s.add_prompt(2, 1, mask=clip.masks[1, 2])
    ys, xs = np.nonzero(clip.masks[1, 2])
    m = s.add_prompt(2, 1, points=[[float(xs[0]), float(ys[0])]], labels=[1])
    assert m.shape == clip.masks[1, 2].shape and m.dtype == bool
    assert [f for f, *_ in s.propagate()] == [2, 3, 4, 5]


def test_all_objects_batched_equal_one_by_one(tiny, clip) -> None:
    together = VideoSession(tiny).init(list(clip.frames))
    for k in range(2):
        together.add_prompt(0, k, mask=clip.masks[k, 0])
    joint = run(together)
    assert together.features.computed == 6  # backbone once per frame for all objects
    for k in range(2):
        alone = VideoSession(tiny).init(list(clip.frames))
        alone.add_prompt(0, k, mask=clip.masks[k, 0])
        single = run(alone)
        for (_, _, lj, sj), (_, _, ls, ss) in zip(joint, single):
            assert torch.allclose(lj[k], ls[0], atol=1e-3)
            assert torch.allclose(sj[k], ss[0], atol=1e-4)


def test_correction_reconditions_later_frames(tiny, clip) -> None:
    s = VideoSession(tiny).init(list(clip.frames))
    s.add_prompt(0, 1, mask=clip.masks[0, 0])
    before = run(s)
    fixed = s.add_prompt(3, 1, mask=clip.masks[0, 3])
    assert s.bank.is_cond(0, 3)
    after = run(s, start=3)
    assert [f for f, *_ in after] == [3, 4, 5]
    assert np.array_equal(after[0][2][0, 0].numpy() > 0, fixed)
    assert not torch.allclose(after[1][2], before[4][2])  # frame 4 now also remembers frame 3
    clicked = s.add_prompt(4, 1, points=[[5, 5]], labels=[0])  # a click correction uses the memory
    assert clicked.shape == (72, 96)


def test_reverse_propagation(tiny, clip) -> None:
    s = VideoSession(tiny).init(list(clip.frames))
    s.add_prompt(4, 1, mask=clip.masks[0, 4])
    back = run(s, start=4, reverse=True)
    assert [f for f, *_ in back] == [4, 3, 2, 1, 0]
    assert all(sc[0] != NO_OBJ_SCORE for *_, sc in back)
    fwd = run(s, start=4)
    assert [f for f, *_ in fwd] == [4, 5]


def test_streamed_iterator_equals_sequence_and_stays_bounded(tiny) -> None:
    from model.synthetic.generator import generate_clip

    c = generate_clip(seed=9, n_frames=26, height=48, width=48, n_instruments=1)
    seq = VideoSession(tiny).init(list(c.frames))
    seq.add_prompt(0, 1, mask=c.masks[0, 0])
    expected = run(seq)
    stream = VideoSession(tiny).init(iter(c.frames))
    stream.add_prompt(0, 1, mask=c.masks[0, 0])
    resident = []
    for (f, _, lg, sc), (_, _, le, se) in zip(stream.propagate(), expected):
        resident.append((stream.bank.resident_frames(), len(stream.frames._buffer)))
        # the frame count is unknown while streaming; it only changes the pointer encoding of
        # videos shorter than 16 frames, which this one is not
        assert torch.allclose(lg, le, atol=1e-4) and torch.allclose(sc, se, atol=1e-4)
    assert len(resident) == 26
    assert max(r for r, _ in resident[20:]) == max(r for r, _ in resident[17:20]) <= stream.keep + 2
    assert max(b for _, b in resident) <= stream.keep + 3
    with pytest.raises(NotFoundError, match="streamed past"):
        stream.add_prompt(2, 1, mask=c.masks[0, 2])


def test_bad_input_errors(tiny, clip) -> None:
    with pytest.raises(InvalidInputError, match="uint8"):
        VideoSession(tiny).init([clip.frames[0].astype(np.float32)])
    with pytest.raises(InvalidInputError, match="size"):
        VideoSession(tiny).init([clip.frames[0], clip.frames[1][:10]]).add_prompt(1, 1, box=[0, 0, 5, 5])
    with pytest.raises(InvalidInputError, match="no frames"):
        VideoSession(tiny).init([])
    s = VideoSession(tiny).init(list(clip.frames))
    with pytest.raises(InvalidInputError, match="add_prompt first"):
        next(s.propagate())
    with pytest.raises(NotFoundError, match="frame 99"):
        s.add_prompt(99, 1, points=[[1, 1]], labels=[1])
    with pytest.raises(InvalidInputError, match="empty"):
        s.add_prompt(0, 1, mask=np.zeros((72, 96), bool))
    with pytest.raises(InvalidInputError, match=r"\[H, W\]"):
        s.add_prompt(0, 1, mask=np.ones((10, 10), bool))
    with pytest.raises(InvalidInputError, match="labels"):
        s.add_prompt(0, 1, points=[[1, 1]])
    with pytest.raises(InvalidInputError, match="one label per point"):
        s.add_prompt(0, 1, points=[[1, 1], [2, 2]], labels=[1])
    with pytest.raises(InvalidInputError, match="box"):
        s.add_prompt(0, 1, box=[5, 5, 1, 1])
    with pytest.raises(InvalidInputError, match="at least one point"):
        s.add_prompt(0, 1)
    with pytest.raises(NotFoundError, match="unknown object id"):
        s.objects.index(42)
    with pytest.raises(InvalidInputError, match="init"):
        VideoSession(tiny).add_prompt(0, 1, box=[0, 0, 4, 4])


def test_parity_with_official_predictor_tiny_cpu(tiny, clip, tmp_path) -> None:
    """Same weights and frames: our session == sam2's SAM2VideoPredictor (frames at model size)."""
    from model.synthetic.generator import generate_clip

    c = generate_clip(seed=2, n_frames=3, height=256, width=256, n_instruments=2)
    from PIL import Image

    for i, f in enumerate(c.frames):
        Image.fromarray(f).save(tmp_path / f"{i:05d}.jpg")
    frames = [np.array(Image.open(tmp_path / f"{i:05d}.jpg").convert("RGB")) for i in range(3)]
    predictor = build_network(tiny.arch, predictor=True)
    predictor.load_state_dict(tiny.network.state_dict())
    state = predictor.init_state(str(tmp_path))
    ys, xs = np.nonzero(c.masks[0, 0])
    point = [[float(xs[len(xs) // 2]), float(ys[len(ys) // 2])]]
    predictor.add_new_points_or_box(state, 0, 1, points=np.array(point, np.float32), labels=np.array([1], np.int32))
    predictor.add_new_mask(state, 0, 2, c.masks[1, 0])
    official = [m.clone() for _, _, m in predictor.propagate_in_video(state)]
    ours = VideoSession(LoadedModel("x", tiny.arch, tiny.network, torch.device("cpu"))).init(frames)
    ours.add_prompt(0, 1, points=point, labels=[1])
    ours.add_prompt(0, 2, mask=c.masks[1, 0])
    mine = [lg for _, _, lg, _ in run(ours)]
    for ref, got in zip(official, mine):
        assert torch.allclose(ref, got, atol=1e-3)
        assert torch.equal(ref > 0, got > 0)
