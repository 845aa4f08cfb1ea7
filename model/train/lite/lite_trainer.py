"""Trainer of the default network: the neck, prompt encoder and mask decoder learn on frozen
EfficientNet-Lite features; the affinity memory needs no weights.

Each step has ``prompt_batch`` prompt examples (one click with three candidate masks, a box, or
several clicks, on a random instance of a still image or video frame) and ``track_batch``
tracking examples (a video object given on a reference frame and on up to ``max_recent`` noisy
"predicted" frames, read out by the affinity memory on a target frame, optionally with one
corrective click; a target frame from another video teaches the object-score head absence).
A second stage (``stage2_steps`` more steps at ``stage2_lr``, after the first stage's schedule
ended) adds iterative corrections, as SAM trains its interactive mode: a share ``iterative_p`` of
the prompt examples are clicked 1 to ``max_corrections`` more times, each click at the interior of
the largest error region of the previous prediction (the simulated annotator's rule), which is
given back as the dense prompt with every click so far; the loss is on the last prediction.
Losses are SAM 2's (focal 20 + dice 1 on the best candidate, L1 on the IoU head, BCE on the
object score) at stride 2. Step k draws from ``np.random.default_rng([seed, k])``, so a resumed
run sees the same examples as an uninterrupted one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from model.errors import InvalidInputError
from model.metrics.click_annotator import next_click
from model.network.lite.affinity_readout import affinity_readout, local_mask, readout_keys
from model.network.lite.lite_sam import FrameFeatures, LiteSam, mask_values, readout_prompt
from model.train.lite.feature_bank import FeatureBank
from model.train.losses import LossWeights, frame_loss

StepCallback = Callable[[int, dict[str, float]], None]


@dataclass(frozen=True)
class LiteTrainConfig:
    """Recipe: steps, batch sizes, AdamW (lr, warm-up, cosine to 5% of lr), gradient clip."""

    steps: int = 2500
    prompt_batch: int = 12
    track_batch: int = 12
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: int = 150
    clip: float = 1.0
    max_gap: int = 12
    max_recent: int = 4
    absent_p: float = 0.1
    correct_p: float = 0.4
    bad_prior_p: float = 0.4
    seed: int = 0
    stage2_steps: int = 0
    stage2_lr: float = 3e-4
    iterative_p: float = 0.5
    max_corrections: int = 7

    @property
    def total_steps(self) -> int:
        return self.steps + self.stage2_steps


def _click(rng: np.random.Generator, region: torch.Tensor) -> tuple[float, float] | None:
    """A uniformly random pixel (x, y) of bool [h, w] ``region`` at stride 2, in model pixels."""
    ys, xs = torch.nonzero(region, as_tuple=True)
    if len(ys) == 0:
        return None
    i = int(rng.integers(len(ys)))
    return float(xs[i]) * 2 + 1, float(ys[i]) * 2 + 1


def _interior(region: torch.Tensor) -> torch.Tensor:
    """bool [h, w] ``region`` eroded by 3 px where that leaves anything (clicks go inside)."""
    inner = -F.max_pool2d(-region[None, None].float(), 7, 1, 3)[0, 0] > 0.5
    return inner if inner.any() else region


def _corrupt(prob: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """A wrong prior [h, w] for a correction example: lost, shifted or shrunk."""
    kind = rng.random()
    if kind < 0.3:
        return torch.zeros_like(prob)
    if kind < 0.7:
        dy, dx = (int(v) for v in rng.integers(-6, 7, 2))
        return torch.roll(prob, shifts=(dy, dx), dims=(0, 1))
    return -F.max_pool2d(-prob[None, None], 5, 1, 2)[0, 0]


def _noisy(values: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Ground-truth area fractions [h, w] -> a plausible predicted probability map."""
    v = values[None, None]
    k = int(rng.integers(0, 3)) * 2 + 1
    if k > 1:
        v = -F.max_pool2d(-v, k, 1, k // 2) if rng.random() < 0.5 else F.max_pool2d(v, k, 1, k // 2)
    noise = torch.from_numpy(rng.normal(0, 0.15, v.shape).astype(np.float32))
    return (v + noise).clamp(0, 1)[0, 0]


def _rows_of(feats: FrameFeatures, idx: torch.Tensor) -> FrameFeatures:
    """Rows ``idx`` of batched :class:`FrameFeatures`."""
    return FrameFeatures(feats.embedding[idx], (feats.high_res[0][idx], feats.high_res[1][idx]), feats.keys[idx])


class LiteTrainer:
    """Trains ``net`` (a :class:`LiteSam`) on a :class:`FeatureBank` with :class:`LiteTrainConfig`."""

    def __init__(self, net: LiteSam, bank: FeatureBank, cfg: LiteTrainConfig) -> None:
        self.net, self.bank, self.cfg = net, bank, cfg
        self.params = [p for p in net.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.step = 0
        self.weights = LossWeights()
        self.videos = [v for v, frames in bank.by_video.items() if len(frames) > 1]
        self.video_rows = [i for i, v in enumerate(bank.video) if v >= 0]
        self.prompt_rows = [(r, k) for r in range(len(bank)) for k in range(len(bank.masks2[r]))
                            if bank.masks2[r][k].any()]
        if not self.prompt_rows:
            raise InvalidInputError("no training image has a non-empty mask")
        self._near: torch.Tensor | None = None

    # -------------------------------------------------------------- state
    def state(self) -> dict:
        return {"model": self.net.state_dict(), "optimizer": self.opt.state_dict(), "step": self.step,
                "train_config": asdict(self.cfg)}

    def load_state(self, state: dict) -> None:
        self.net.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.step = int(state["step"])

    def lr_at(self, step: int) -> float:
        c = self.cfg
        if step >= c.steps:  # stage 2: its own warm-up and cosine, the first stage's steps unchanged
            s = step - c.steps
            if s < c.warmup // 3:
                return c.stage2_lr * (s + 1) / (c.warmup // 3)
            t = s / max(1, c.stage2_steps)
            return c.stage2_lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))
        if step < c.warmup:
            return c.lr * (step + 1) / c.warmup
        t = (step - c.warmup) / max(1, c.steps - c.warmup)
        return c.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))

    # -------------------------------------------------------------- examples
    def _prompt_examples(self, rng: np.random.Generator):
        rows, pts, labs, targets, multi = [], [], [], [], []
        while len(rows) < self.cfg.prompt_batch:
            r, k = self.prompt_rows[int(rng.integers(len(self.prompt_rows)))]
            m = self.bank.masks2[r][k]
            first = _click(rng, m)
            kind = rng.random()
            if kind < 0.5:                       # one click, three candidates
                p, lab = [first], [1]
            elif kind < 0.75:                    # a jittered box
                ys, xs = torch.nonzero(m, as_tuple=True)
                x0, x1, y0, y1 = [float(v) * 2 for v in (xs.min(), xs.max() + 1, ys.min(), ys.max() + 1)]
                bw, bh = x1 - x0, y1 - y0
                j = rng.normal(0, 0.07, 4) * np.array([bw, bh, bw, bh])
                p, lab = [(x0 + j[0], y0 + j[1]), (x1 + j[2], y1 + j[3])], [2, 3]
            else:                                # several clicks
                p, lab = [first], [1]
                ys, xs = torch.nonzero(m, as_tuple=True)
                grown = torch.zeros_like(m)
                grown[max(0, int(ys.min()) - 15):int(ys.max()) + 16, max(0, int(xs.min()) - 15):int(xs.max()) + 16] = True
                for _ in range(int(rng.integers(1, 4))):
                    pos = rng.random() < 0.5
                    c = _click(rng, m if pos else grown & ~m)
                    if c is not None:
                        p.append(c)
                        lab.append(1 if pos else 0)
            rows.append(r)
            pts.append(p)
            labs.append(lab)
            targets.append(m)
            multi.append(len(p) == 1)
        return rows, pts, labs, torch.stack(targets), multi

    def _track_example(self, rng: np.random.Generator):
        bank = self.bank
        v = self.videos[int(rng.integers(len(self.videos)))]
        frames = bank.by_video[v]
        ts = sorted(frames)
        k = int(rng.integers(len(bank.masks16[frames[ts[0]]])))
        present = [t for t in ts if bank.masks2[frames[t]][k].any()]
        if not present:
            return None
        ref = present[int(rng.integers(len(present)))]
        cands = [t for t in ts if t != ref and abs(t - ref) <= self.cfg.max_gap]
        if not cands:
            return None
        tgt = cands[int(rng.integers(len(cands)))]
        step = 1 if tgt > ref else -1
        between = [t for t in range(ref + step, tgt, step) if t in frames]
        n_recent = min(len(between), int(rng.integers(0, self.cfg.max_recent + 1)))
        recent = between[len(between) - n_recent:]
        mem_rows = [frames[ref]] + [frames[t] for t in recent]
        values = [bank.masks16[frames[ref]][k]] + [_noisy(bank.masks16[frames[t]][k], rng) for t in recent]
        target_row, target = frames[tgt], bank.masks2[frames[tgt]][k]
        others = [i for i in self.video_rows if bank.video[i] // 2 != v // 2]
        if others and rng.random() < self.cfg.absent_p:  # the memory read on another video's frame
            target_row = others[int(rng.integers(len(others)))]
            target = torch.zeros_like(target)
        return mem_rows, torch.stack(values), target_row, target

    def _readout(self, mem_rows: list[int], values: torch.Tensor, target_row: int) -> torch.Tensor:
        b = self.bank
        keys = [readout_keys(b.levels[r][1][None].float(), b.levels[r][2][None].float())[0]
                for r in [*mem_rows, target_row]]
        _, h, w = keys[0].shape
        if self._near is None or self._near.shape[0] != h * w:
            self._near = local_mask(h, w, self.net.cfg.radius)
        return affinity_readout(keys[-1], torch.stack(keys[:-1]), values[:, None], near=self._near,
                                is_local=[False] + [True] * (len(mem_rows) - 1),
                                top_k=self.net.cfg.top_k, temperature=self.net.cfg.temperature)[0]

    def _iterate(self, rng: np.random.Generator, feats: FrameFeatures, coords: torch.Tensor,
                 labels: torch.Tensor, targets: torch.Tensor, multi: list[bool]):
        """Stage 2: corrective clicks on a share of the prompt rows (see module docstring).

        coords float [B, P, 2] / labels int [B, P] (-1 padding) in model pixels; targets bool
        [B, h2, w2] (stride 2). Returns None (no row drawn) or (row indices [R], coords [R, P', 2],
        labels [R, P'] with the clicks added, the previous prediction as the dense prompt
        [R, 1, 4h, 4w]), all computed without gradients.
        """
        rows = [i for i in range(len(multi)) if rng.random() < self.cfg.iterative_p]
        if not rows:
            return None
        n = int(rng.integers(1, self.cfg.max_corrections + 1))
        h, w = feats.embedding.shape[-2:]
        idx = torch.tensor(rows)
        sub = _rows_of(feats, idx)
        pts, labs = coords[idx], labels[idx]
        prior = None
        with torch.no_grad():
            for k in range(n):
                single = k == 0 and all(multi[i] for i in rows)
                out, iou, _ = self.net.decode(sub, points=pts, labels=labs, mask_logits=prior, multimask=single)
                best = out[torch.arange(len(rows)), iou.argmax(1)][:, None]
                prob = torch.sigmoid(F.interpolate(best, scale_factor=2, mode="bilinear", align_corners=False))
                new = torch.zeros(len(rows), 1, 2)
                lab = -torch.ones(len(rows), 1, dtype=torch.int32)
                for j, i in enumerate(rows):
                    click = next_click(prob[j, 0].numpy() > 0.5, targets[i].numpy())
                    if click is not None:
                        new[j, 0] = torch.tensor([click[0] * 2 + 1, click[1] * 2 + 1])
                        lab[j, 0] = click[2]
                pts, labs = torch.cat([pts, new], 1), torch.cat([labs, lab], 1)
                prior = readout_prompt(mask_values(prob, (h, w)))
        return idx, pts, labs, prior

    # -------------------------------------------------------------- step
    def train_step(self) -> dict[str, float]:
        rng = np.random.default_rng([self.cfg.seed, self.step])
        for group in self.opt.param_groups:
            group["lr"] = self.lr_at(self.step)
        self.net.train()
        out: dict[str, float] = {}
        total = torch.zeros(())
        # prompt examples
        rows, pts, labs, targets, multi = self._prompt_examples(rng)
        feats = self.net.features(self.bank.pyramid(rows))
        n_pts = max(len(p) for p in pts)
        coords = torch.zeros(len(rows), n_pts + 1, 2)
        labels = -torch.ones(len(rows), n_pts + 1, dtype=torch.int32)
        for i, (p, lab) in enumerate(zip(pts, labs)):
            coords[i, :len(p)] = torch.tensor(p, dtype=torch.float32)
            labels[i, :len(lab)] = torch.tensor(lab, dtype=torch.int32)
        iterated = None
        if self.step >= self.cfg.steps and self.cfg.stage2_steps:
            iterated = self._iterate(rng, feats, coords, labels, targets, multi)
        plain = torch.ones(len(rows), dtype=torch.bool)
        prompt = torch.zeros(())
        if iterated is not None:
            idx, it_coords, it_labels, prior = iterated
            plain[idx] = False
            lg, io, ob = self.net.decode(_rows_of(feats, idx), points=it_coords, labels=it_labels,
                                         mask_logits=prior)
            up = F.interpolate(lg, scale_factor=2, mode="bilinear", align_corners=False)
            loss = frame_loss(up, io, ob, targets[idx], self.weights)["total"]
            prompt = prompt + loss * len(idx) / len(rows)
            out["iterated_loss"] = float(loss.detach())
        if plain.any():
            keep = torch.nonzero(plain)[:, 0]
            every, every_iou, obj = self.net.decode(_rows_of(feats, keep), points=coords[keep],
                                                    labels=labels[keep], multimask=None)
            logits, iou, single, single_iou = every[:, 1:], every_iou[:, 1:], every[:, :1], every_iou[:, :1]
            sel = torch.tensor(multi)[keep]
            up = F.interpolate(logits, scale_factor=2, mode="bilinear", align_corners=False)
            up1 = F.interpolate(single, scale_factor=2, mode="bilinear", align_corners=False)
            tgt = targets[keep]
            for part, rows_of in ((sel, (up, iou, obj)), (~sel, (up1, single_iou, obj))):
                if part.any():
                    lg, io, ob = rows_of
                    loss = frame_loss(lg[part], io[part], ob[part], tgt[part], self.weights)["total"]
                    prompt = prompt + loss * float(part.float().sum()) / len(rows)
        total = total + prompt
        out["prompt"] = float(prompt.detach())
        # tracking examples
        ex = []
        for _ in range(self.cfg.track_batch * 20 if self.videos else 0):
            e = self._track_example(rng)
            if e is not None:
                ex.append(e)
            if len(ex) == self.cfg.track_batch:
                break
        if not ex:
            return self._finish(total, out)
        with torch.no_grad():
            probs = torch.stack([self._readout(m, v, t) for m, v, t, _ in ex])
        tfeats = self.net.features(self.bank.pyramid([t for _, _, t, _ in ex]))
        t_targets = torch.stack([g for _, _, _, g in ex])
        coords = torch.zeros(len(ex), 2, 2)
        labels = -torch.ones(len(ex), 2, dtype=torch.int32)
        for i in range(len(ex)):
            if rng.random() < self.cfg.correct_p and t_targets[i].any():
                if rng.random() < self.cfg.bad_prior_p:
                    probs[i] = _corrupt(probs[i], rng)
                guess = F.interpolate(probs[i][None, None], size=t_targets[i].shape, mode="bilinear")[0, 0] > 0.5
                miss, extra = t_targets[i] & ~guess, guess & ~t_targets[i]
                pos = miss.sum() >= extra.sum()
                c = _click(rng, _interior(miss if pos else extra))
                if c is not None:
                    coords[i, 0] = torch.tensor(c)
                    labels[i, 0] = 1 if pos else 0
        dense = readout_prompt(probs)
        tl, tiou, tobj = self.net.decode(tfeats, points=coords, labels=labels, mask_logits=dense)
        tup = F.interpolate(tl, scale_factor=2, mode="bilinear", align_corners=False)
        track = frame_loss(tup, tiou, tobj, t_targets, self.weights)
        total = total + track["total"]
        out["track"] = float(track["total"].detach())
        out["track_iou_pred"] = float(track["iou"].detach())
        with torch.no_grad():
            inter = ((tup[:, 0] > 0) & t_targets).flatten(1).sum(-1).float()
            union = ((tup[:, 0] > 0) | t_targets).flatten(1).sum(-1).float()
            ok = t_targets.flatten(1).any(-1)
            out["track_J"] = float((inter / union.clamp(min=1))[ok].mean()) if ok.any() else 0.0
            rin = (F.interpolate(probs[:, None], size=t_targets.shape[-2:], mode="bilinear")[:, 0] > 0.5)
            rj = ((rin & t_targets).flatten(1).sum(-1).float() / (rin | t_targets).flatten(1).sum(-1).clamp(min=1))
            out["readout_J"] = float(rj[ok].mean()) if ok.any() else 0.0
        return self._finish(total, out)

    def _finish(self, total: torch.Tensor, out: dict[str, float]) -> dict[str, float]:
        self.opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.cfg.clip)
        self.opt.step()
        self.step += 1
        out["loss"] = float(total.detach())
        out["lr"] = self.lr_at(self.step - 1)
        return out

    def run(self, *, stop_at: int | None = None, state_path: Path | None = None, save_every: int = 100,
            on_step: StepCallback | None = None) -> None:
        """Train until ``stop_at`` (default: both stages), saving the state every ``save_every``."""
        end = min(stop_at or self.cfg.total_steps, self.cfg.total_steps)
        while self.step < end:
            metrics = self.train_step()
            if on_step:
                on_step(self.step, metrics)
            if state_path is not None and (self.step % save_every == 0 or self.step == end):
                tmp = state_path.with_name(state_path.name + ".tmp")
                torch.save(self.state(), tmp)
                tmp.replace(state_path)
