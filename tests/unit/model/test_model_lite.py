"""The lite default network: the ported ImageNet encoder, the session contract, checkpoints and
fine-tuning (random decoder: builtin:lite0; the shipped weights are checked by maskloop eval)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.errors import InvalidInputError, NotFoundError
from model.network.architecture import lite0, tiny_cpu
from model.network.checkpoint import write_checkpoint
from model.network.lite.efficientnet_lite import EfficientNetLite, pretrained_lite0
from model.network.refs import LoadedModel, load_model
from model.session.lite_session import NO_OBJ_SCORE, LiteSession
from model.session.open_session import open_session
from model.synthetic.generator import generate_clip


@pytest.fixture(scope="module")
def lite() -> LoadedModel:
    return load_model("builtin:lite0", device="cpu", seed=0)


def run(session: LiteSession, **kw) -> list[tuple[int, tuple[int, ...], torch.Tensor, torch.Tensor]]:
    return [(f, ids, lg.clone(), sc.clone()) for f, ids, lg, sc in session.propagate(**kw)]


def test_encoder_port_gives_recorded_outputs() -> None:
    """A generated 224x224 frame: the ImageNet head's top-5 and the pyramid statistics were
    recorded from the port that classifies DAVIS blackswan as class 100 "black swan" (p 0.72)."""
    net = pretrained_lite0()
    img = generate_clip(seed=3, n_frames=1, height=224, width=224, n_instruments=2).frames[0]
    x = net.normalize(torch.from_numpy(img).permute(2, 0, 1)[None].float())
    with torch.no_grad():
        logits = net.classify(x)[0]
        pyr = net.pyramid(x)
    top = logits.topk(5)
    assert top.indices.tolist() == [313, 818, 892, 677, 456]
    assert np.allclose(top.values.numpy(), [6.458, 6.435, 6.222, 6.073, 6.064], atol=2e-3)
    levels = (pyr.s4, pyr.s8, pyr.s16, pyr.s32)
    assert [tuple(t.shape[1:]) for t in levels] == [(24, 56, 56), (40, 28, 28), (112, 14, 14), (320, 7, 7)]
    assert np.allclose([float(t.mean()) for t in levels], [-0.2897, -0.387, 0.1583, -0.0279], atol=2e-3)
    assert np.allclose([float(t.std()) for t in levels], [7.7371, 7.0871, 5.7922, 2.446], atol=2e-3)


def test_folded_encoder_gives_the_port_outputs() -> None:
    """BatchNorm folded into the convolutions (what build_network ships) changes nothing but rounding."""
    img = generate_clip(seed=4, n_frames=1, height=96, width=160, n_instruments=2).frames[0]
    x = EfficientNetLite.normalize(torch.from_numpy(img).permute(2, 0, 1)[None].float())
    with torch.no_grad():
        plain, folded = pretrained_lite0().pyramid(x), pretrained_lite0().fold_batchnorm().pyramid(x)
    for a, b in zip((plain.s4, plain.s8, plain.s16, plain.s32), (folded.s4, folded.s8, folded.s16, folded.s32)):
        assert a.shape == b.shape and b.is_contiguous()
        assert torch.allclose(a, b, atol=1e-3, rtol=1e-4)
    built = load_model("builtin:lite0", device="cpu").network
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in built.encoder.modules())


def test_open_session_picks_the_lite_session(lite, clip) -> None:
    assert isinstance(open_session(lite), LiteSession)
    with pytest.raises(InvalidInputError, match="open_session"):
        LiteSession(load_model("builtin:tiny-cpu", device="cpu"))


def test_prompt_and_propagate_shapes(lite, clip) -> None:
    s = open_session(lite).init(list(clip.frames))
    m = s.add_prompt(0, 11, mask=clip.masks[0, 0])
    assert m.dtype == np.bool_ and np.array_equal(m, clip.masks[0, 0])
    pts = s.add_prompt(0, 22, points=[[40, 30]], labels=[1])
    box = s.add_prompt(1, 33, box=[10, 10, 50, 40])
    assert pts.shape == box.shape == (72, 96)
    out = run(s)
    assert [f for f, *_ in out] == list(range(6))
    for f, ids, logits, scores in out:
        assert ids == (11, 22, 33)
        assert logits.shape == (3, 1, 72, 96) and logits.dtype == torch.float32
        assert scores.shape == (3,) and scores.dtype == torch.float32
    assert torch.all(out[0][2][2] == NO_OBJ_SCORE) and out[0][3][2] == NO_OBJ_SCORE
    assert out[1][3][2] != NO_OBJ_SCORE
    assert np.array_equal(out[0][2][0, 0].numpy() > 0, m)  # the mask prompt is its frame's output


def test_all_objects_batched_equal_one_by_one(lite, clip) -> None:
    together = open_session(lite).init(list(clip.frames))
    for k in range(2):
        together.add_prompt(0, k, mask=clip.masks[k, 0])
    joint = run(together)
    for k in range(2):
        alone = open_session(lite).init(list(clip.frames))
        alone.add_prompt(0, k, mask=clip.masks[k, 0])
        for (_, _, lj, sj), (_, _, ls, ss) in zip(joint, run(alone)):
            assert torch.allclose(lj[k], ls[0], atol=1e-3)
            assert torch.allclose(sj[k], ss[0], atol=1e-4)


def test_correction_reconditions_later_frames(lite, clip) -> None:
    s = open_session(lite).init(list(clip.frames))
    s.add_prompt(0, 1, mask=clip.masks[0, 0])
    before = run(s)
    s.add_prompt(3, 1, mask=clip.masks[1, 3] if clip.masks[1, 3].any() else clip.masks[0, 3])
    after = run(s, start=3)
    assert [f for f, *_ in after] == [3, 4, 5]
    # frame 4 now reads the corrected frame (a random decoder: compare its object scores)
    assert not torch.allclose(before[4][3], after[1][3])
    assert s.memory.cond[0].keys() == {0, 3}  # the correction is a conditioning frame now


def test_repropagation_after_a_correction_keeps_the_recent_memory(lite) -> None:
    # tracking to the end pruned frames 3..9; re-propagating from a correction on frame 10 reads
    # them again (their masks from the first run), as the first run did past frame 10
    c = generate_clip(seed=4, n_frames=20, height=64, width=80, n_instruments=1)
    s = open_session(lite).init(list(c.frames))
    s.add_prompt(0, 1, mask=c.masks[0, 0])
    run(s)
    assert not set(range(3, 10)) & set(s.memory.tracked[0])
    s.add_prompt(10, 1, mask=c.masks[0, 10] if c.masks[0, 10].any() else c.masks[0, 0])
    assert [f for f, *_ in run(s, start=10, end=10)] == [10]
    assert s.memory.layout(0, 11, False) == ((0, 10), tuple(range(3, 10)))
    assert set(range(3, 10)) <= set(s.memory.keys)


def test_an_erased_frame_is_a_correction_the_object_is_absent_there(lite, clip) -> None:
    # a reviewer erases a false positive: an empty mask is a valid prompt once the object has one
    s = open_session(lite).init(list(clip.frames))
    s.add_prompt(0, 1, mask=clip.masks[0, 0])
    erased = s.add_prompt(2, 1, mask=np.zeros(clip.masks.shape[2:], bool))
    assert not erased.any() and s.memory.cond[0].keys() == {0, 2}
    steps = run(s)
    assert steps[2][0] == 2 and float(steps[2][3][0]) < 0 and (steps[2][2][0] <= 0).all()
    # the frame after reads the erased frame: nothing of the object is carried past it
    assert not (steps[3][2][0] > 0).any()
    with pytest.raises(InvalidInputError, match="empty"):  # a first prompt must show the object
        s.add_prompt(0, 2, mask=np.zeros(clip.masks.shape[2:], bool))


def test_reverse_and_streaming(lite) -> None:
    c = generate_clip(seed=2, n_frames=8, height=64, width=80, n_instruments=1)
    seq = open_session(lite).init(list(c.frames))
    seq.add_prompt(0, 1, mask=c.masks[0, 0])
    stream = open_session(lite).init(iter(c.frames))
    stream.add_prompt(0, 1, mask=c.masks[0, 0])
    for (f1, _, l1, _), (f2, _, l2, _) in zip(run(seq), run(stream)):
        assert f1 == f2 and torch.allclose(l1, l2, atol=1e-4)
    back = open_session(lite).init(list(c.frames))
    back.add_prompt(7, 1, mask=c.masks[0, 7] if c.masks[0, 7].any() else c.masks[0, 0])
    assert [f for f, *_ in run(back, reverse=True)] == list(range(7, -1, -1))


def test_memory_stays_bounded_on_long_streams(lite) -> None:
    c = generate_clip(seed=1, n_frames=4, height=48, width=64, n_instruments=1)
    frames = (np.roll(c.frames[t % 4], t, axis=1) for t in range(40))
    s = open_session(lite).init(frames)
    s.add_prompt(0, 1, mask=c.masks[0, 0])
    held = [s.memory.resident_frames() for _ in s.propagate()]
    assert len(held) == 40 and max(held) <= s.network.cfg.recent + 3


def test_bad_inputs(lite, clip) -> None:
    with pytest.raises(InvalidInputError, match="uint8"):
        open_session(lite).init([clip.frames[0].astype(np.float32)])
    s = open_session(lite).init(list(clip.frames))
    with pytest.raises(NotFoundError, match="frame 9"):
        s.add_prompt(9, 1, points=[[1, 1]], labels=[1])
    with pytest.raises(InvalidInputError, match="empty"):
        s.add_prompt(0, 1, mask=np.zeros((72, 96), bool))
    with pytest.raises(InvalidInputError, match="mask is"):
        s.add_prompt(0, 1, mask=np.ones((10, 10), bool))
    with pytest.raises(InvalidInputError, match="labels"):
        s.add_prompt(0, 1, points=[[1, 1]], labels=[1, 0])
    with pytest.raises(InvalidInputError, match="add_prompt"):
        list(s.propagate())
    with pytest.raises(InvalidInputError, match="init"):
        LiteSession(lite).add_prompt(0, 1, box=[0, 0, 4, 4])


def test_checkpoint_round_trip_and_architecture_enforced(lite, clip, tmp_path) -> None:
    path = write_checkpoint(tmp_path / "lite.pt", arch=lite.arch, model_state=lite.network.state_dict())
    assert not any(k.startswith("encoder.") for k in torch.load(path, weights_only=True)["model"])
    again = load_model(str(path), device="cpu")
    assert again.arch == lite0()
    a = open_session(lite).init(list(clip.frames[:3]))
    b = open_session(again).init(list(clip.frames[:3]))
    for s in (a, b):
        s.add_prompt(0, 1, points=[[40, 30]], labels=[1])
    for (_, _, la, _), (_, _, lb, _) in zip(run(a), run(b)):
        assert torch.equal(la, lb)
    other = write_checkpoint(tmp_path / "tiny.pt", arch=tiny_cpu(),
                             model_state=load_model("builtin:tiny-cpu").network.state_dict())
    with pytest.raises(InvalidInputError, match="does not fit|architecture"):
        load_model(f"sam2:tiny:{other}")


def test_fine_tune_is_deterministic_and_fits_a_clip() -> None:
    from model.train.lite.fine_tune import fine_tune

    c = generate_clip(seed=4, n_frames=4, height=64, width=96, n_instruments=1, n_blobs=1)
    videos = [(c.frames, c.masks)]
    nets = []
    for _ in range(2):
        torch.manual_seed(0)
        net = load_model("builtin:lite0", device="cpu", seed=0).network
        losses: list[float] = []
        fine_tune(net, videos, steps=30, lr=3e-3, seed=0, batch=4,
                  on_step=lambda step, m, out=losses: out.append(m["loss"]))
        nets.append((net, losses))
    (n1, l1), (n2, l2) = nets
    assert l1 == l2
    assert all(torch.equal(a, b) for a, b in zip(n1.state_dict().values(), n2.state_dict().values()))
    assert np.mean(l1[-5:]) < 0.7 * np.mean(l1[:5])


def test_stage_two_trains_on_click_sequences() -> None:
    from model.train.lite.feature_bank import FeatureBank
    from model.train.lite.fine_tune import video_samples
    from model.train.lite.lite_trainer import LiteTrainConfig, LiteTrainer

    c = generate_clip(seed=4, n_frames=3, height=64, width=96, n_instruments=1, n_blobs=1)
    torch.manual_seed(0)
    net = load_model("builtin:lite0", device="cpu", seed=0).network
    bank = FeatureBank(net, video_samples([(c.frames, c.masks)], net.input_size(64, 96)))
    cfg = LiteTrainConfig(steps=2, stage2_steps=3, warmup=3, prompt_batch=4, track_batch=2, iterative_p=1.0,
                          max_corrections=2)
    trainer = LiteTrainer(net, bank, cfg)
    seen: list[dict[str, float]] = []
    trainer.run(on_step=lambda step, m: seen.append(m))
    assert trainer.step == 5 and len(seen) == 5
    # stage 1 has no iterated examples; every stage-2 step does (iterative_p 1), on its own schedule
    assert [("iterated_loss" in m) for m in seen] == [False, False, True, True, True]
    assert trainer.lr_at(2) == pytest.approx(cfg.stage2_lr) and trainer.lr_at(4) < cfg.stage2_lr
    assert all(np.isfinite(m["loss"]) for m in seen)
