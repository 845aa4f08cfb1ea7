"""Video session of the lite default network (same contract as :class:`VideoSession`).

    session = LiteSession(load_model("builtin:default"))
    session.init(frames)                       # sequence or iterator of uint8 [H, W, 3]
    mask = session.add_prompt(0, obj_id=1, points=[[x, y]], labels=[1])   # bool [H, W]
    for frame_idx, obj_ids, mask_logits, object_scores in session.propagate():
        ...                                    # mask_logits float32 [N, 1, H, W]; scores [N]

Per frame the image encoder runs once; the affinity memory reads every tracked object out in one
product per memory layout, and the decoder turns each readout (its dense prompt) into a mask, all
objects of a layout in one batch; with ``readout_mix`` > 0 a tracked mask's probability is the
mix of the decoder's and the readout's. A prompt on a frame the object was already tracked on is a
correction: the memory's readout there is the decoder's dense prompt beside the clicks, and the
corrected mask becomes a conditioning frame for what follows. A correction changes the mask only
around its clicks (:meth:`LiteSession._obey_clicks`): the decoder alone, given the tracked mask as
its prior, redrew whole frames worse than the tracking had left them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from model.errors import InvalidInputError, NotFoundError
from model.network.device import autocast_for
from model.network.lite.lite_sam import FrameFeatures, LiteSam, mask_values, readout_prompt
from model.network.refs import LoadedModel
from model.session.affinity_memory import AffinityMemory
from model.session.attached_video import AttachedVideo
from model.session.frames import FrameSource
from model.session.objects import ObjectRegistry
from model.session.prompts import check_mask, point_inputs

NO_OBJ_SCORE = -1024.0
MASK_PROMPT_LOGIT = 20.0
HISTORY = 4096  # past (object, frame) mask values kept for corrections (~1.7 KB each at 640 px)
# A click's edit is bounded: it adds at most MAX_GROWTH times, or cuts at most MAX_CUT of, the
# mask's area (but may always touch MIN_EDIT_CELLS stride-4 cells); past that it is a brush stroke
# of BRUSH_CELLS radius at the click.
MAX_GROWTH, MAX_CUT, MIN_EDIT_CELLS, BRUSH_CELLS = 1.0, 0.5, 64.0, 3
FINE_HISTORY = 512  # past (object, frame) stride-4 masks kept as a correction's prior (26 KB each at 864 px)

Step = tuple[int, tuple[int, ...], torch.Tensor, torch.Tensor]


class LiteSession(AttachedVideo):
    """Interactive and streamed inference of :class:`LiteSam` over one video."""

    def __init__(self, model: LoadedModel, *, feature_cache: int = 2, readout_only: bool = False) -> None:
        """readout_only: track with the training-free affinity readout alone (the memory's
        probabilities thresholded at 0.5, no decoder): the ablation the model card compares."""
        if not isinstance(model.network, LiteSam):
            raise InvalidInputError("LiteSession needs the lite network; use open_session(model)")
        self.network: LiteSam = model.network
        self.device = model.device
        self.keep = self.network.cfg.recent + 2
        self._capacity = feature_cache
        self.readout_only = readout_only
        self.frames: FrameSource | None = None

    # ------------------------------------------------------------------ setup
    def init(self, frames: Iterable[np.ndarray]) -> LiteSession:
        """Attach a video: a sequence (random access) or an iterator (streamed) of uint8 [H,W,3]."""
        self._size: tuple[int, int] | None = None
        self.frames = FrameSource(frames, image_size=0, window=self.keep + 2, transform=self._transform)
        self._size = self.network.input_size(self.frames.height, self.frames.width)
        cfg = self.network.cfg
        self.memory = AffinityMemory(recent=cfg.recent, top_k=cfg.top_k, temperature=cfg.temperature,
                                     radius=cfg.radius, fine=cfg.readout_stride == 8)
        self.objects = ObjectRegistry()
        self._feats: OrderedDict[int, FrameFeatures] = OrderedDict()
        self._prompted: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]] = {}
        self._history: OrderedDict[tuple[int, int], torch.Tensor] = OrderedDict()
        self._fine: OrderedDict[tuple[int, int], torch.Tensor] = OrderedDict()  # uint8 probabilities
        self._iou: OrderedDict[tuple[int, int], float] = OrderedDict()  # (object, frame) -> predicted IoU
        return self

    def _transform(self, frame: np.ndarray) -> torch.Tensor:
        if self._size is None:
            self._size = self.network.input_size(frame.shape[0], frame.shape[1])
        arr = frame if frame.flags.writeable and frame.flags.c_contiguous else np.array(frame)
        return self.network.preprocess(torch.from_numpy(arr)[None], self._size)


    def _features(self, f: int) -> FrameFeatures:
        if f in self._feats:
            self._feats.move_to_end(f)
            return self._feats[f]
        feats = self.network.encode(self.frames.image(f).to(self.device))  # type: ignore[union-attr]
        self.memory.put_keys(f, feats.keys[0], None if feats.fine_keys is None else feats.fine_keys[0])
        self._feats[f] = feats
        while len(self._feats) > self._capacity:
            self._feats.popitem(last=False)
        return feats

    # ------------------------------------------------------------------ prompts
    def add_prompt(self, frame_idx: int, obj_id: int, *, points: object = None, labels: object = None,
                   box: object = None, mask: object = None) -> np.ndarray:
        """Prompt ``obj_id`` on ``frame_idx`` with clicks (points [P,2] x,y in video pixels,
        labels [P] 1/0), a box [x0,y0,x1,y1] or a bool mask [H,W]; replaces earlier prompts of
        the object on that frame. Returns the object's mask there, bool [H, W]."""
        self._need()
        if mask is not None and (points is not None or box is not None):
            raise InvalidInputError("give either a mask or points/box on one frame, not both")
        if not isinstance(frame_idx, (int, np.integer)) or not self.frames.has(int(frame_idx)):
            raise NotFoundError(f"frame {frame_idx} does not exist in this video; prompt an existing frame")
        f = int(frame_idx)
        h, w = self.height, self.width
        hin, win = self._size  # type: ignore[misc]
        if mask is not None:
            m = check_mask(mask, height=h, width=w, allow_empty=obj_id in self.objects.ids)
        else:
            pts = point_inputs(points, labels, box, height=h, width=w, image_size=1)
        obj = self.objects.index(obj_id, create=True)
        self.memory.add_object(obj)
        with torch.inference_mode(), autocast_for(self.device):
            feats = self._features(f)
            grid = _value_grid(feats)
            if mask is not None:
                full = torch.from_numpy(m)[None, None].float().to(self.device)
                video = (full * 2 - 1) * MASK_PROMPT_LOGIT
                score = torch.full((1,), 10.0 if m.any() else -10.0, device=self.device)  # empty: absent
                value = mask_values(full, grid)[0]
                self._remember_fine(obj, f, _to_u8(mask_values(full, _prompt_size(feats)))[0])
            else:
                coords = pts["point_coords"].to(self.device) * torch.tensor([win, hin], device=self.device)
                labs = pts["point_labels"].to(self.device)
                if not (labs >= 2).any():  # no box: pad as SAM 2 does
                    coords = torch.cat([coords, torch.zeros(1, 1, 2, device=self.device)], dim=1)
                    labs = torch.cat([labs, -torch.ones(1, 1, dtype=labs.dtype, device=self.device)], dim=1)
                dense = self._prior(obj, f, feats)
                if dense is not None and not (dense > 0).any():
                    dense = None  # the object was lost on this frame: the clicks alone decide
                multimask = dense is None and pts["point_labels"].shape[1] == 1
                out, iou, obj_logit = self.network.decode(feats, points=coords, labels=labs,
                                                          mask_logits=dense, multimask=multimask)
                best = iou.argmax(dim=1)
                logits = out[torch.arange(1), best][:, None].float()
                if dense is not None:
                    logits = self._obey_clicks(feats, coords, labs, dense, logits)
                self._remember_iou(obj, f, float(iou[0, best[0]]))
                score = obj_logit[:, 0].float().clamp(min=0.5)  # the user says the object is there
                value = mask_values(torch.sigmoid(logits), grid)[0]
                self._remember_fine(obj, f, _to_u8(torch.sigmoid(logits)[:, 0])[0])
                video = self._to_video(logits)
        if mask is not None:
            self._remember_iou(obj, f, 1.0)  # what the person drew
        self.memory.put(obj, f, value, cond=True)
        self._prompted[(obj, f)] = (video[0].cpu(), score.cpu())
        if mask is not None:
            return m.copy()
        return (video[0, 0] > 0).cpu().numpy()

    def _obey_clicks(self, feats: FrameFeatures, coords: torch.Tensor, labels: torch.Tensor,
                     prior: torch.Tensor, decoded: torch.Tensor) -> torch.Tensor:
        """A correction edits the mask where it was clicked and nowhere else.

        prior: the object's mask on the frame before these clicks, decoded: the decoder's answer
        to the prior and every click, both logits float [1, 1, 4h, 4w] (stride 4); coords float
        [1, P, 2] in model pixels, labels int [1, P]. For each click the current mask disobeys
        (a positive one outside it, a negative one inside), the connected region around the click
        that the decoder flips is flipped; where the decoder left the click's pixel unchanged, the
        segment a lone positive click there selects (no prior, best of three by predicted IoU)
        is added (positive) or cut out (negative) instead, again only its part connected to the
        click. Returns the edited logits [1, 1, 4h, 4w].
        """
        h4, w4 = prior.shape[-2:]
        keep = (labels[0] == 0) | (labels[0] == 1)
        pts, labs = coords[0][keep], labels[0][keep]
        out = prior[0, 0].float().clone()
        dec = decoded[0, 0].float()
        xi = (pts[:, 0] / 4).long().clamp(0, w4 - 1).tolist()
        yi = (pts[:, 1] / 4).long().clamp(0, h4 - 1).tolist()
        seg: dict[int, torch.Tensor] = {}
        for i in range(len(labs)):
            want, y, x = bool(labs[i] == 1), yi[i], xi[i]
            if bool(out[y, x] > 0) == want:
                continue
            area = float((out > 0).sum())
            limit = max(area * (MAX_GROWTH if want else MAX_CUT), MIN_EDIT_CELLS)
            part = fill = None
            if bool(dec[y, x] > 0) == want:
                part = _component((dec > 0) & (out <= 0) if want else (dec <= 0) & (out > 0), y, x)
                fill = dec
            if part is None or float(part.sum()) > limit:
                if i not in seg:
                    seg[i] = self._lone_click(feats, pts[i])
                part = _component((seg[i] > 0) & ((out <= 0) if want else (out > 0)), y, x)
                fill = seg[i] if want else -seg[i]
            if part is None or float(part.sum()) > limit:  # no bounded flip: a brush stroke at the click
                part = _disk(h4, w4, y, x, radius=BRUSH_CELLS, device=out.device)
                fill = torch.full_like(out, 2.0 if want else -2.0)
            out = torch.where(part, fill, out)
        return out[None, None]

    def _lone_click(self, feats: FrameFeatures, point: torch.Tensor) -> torch.Tensor:
        """The decoder's segment [4h, 4w] (logits) for one positive click at ``point`` (x, y), no prior."""
        pts = torch.stack([point, torch.zeros_like(point)])[None]
        lab = torch.tensor([[1, -1]], dtype=torch.int32, device=point.device)
        out, iou, _ = self.network.decode(feats, points=pts, labels=lab, multimask=True)
        return out[0, int(iou[0].argmax())].float()

    def _prior(self, obj: int, f: int, feats: FrameFeatures) -> torch.Tensor | None:
        """Dense prompt for a correction: the object's latest mask on the frame (its last prompt's
        result, else what tracking gave it), as SAM 2 feeds the previous logits of a corrected
        frame back to its decoder: at stride 4 while the frame is among the last FINE_HISTORY
        (object, frame) masks, else the memory's coarser value grid."""
        fine = self._fine.get((obj, f))
        if fine is not None:
            return readout_prompt(fine.float()[None] / 255, _prompt_size(feats))
        prev = self.memory.cond[obj].get(f)
        if prev is None:
            prev = self.memory.tracked[obj].get(f)
        if prev is None:
            prev = self._history.get((obj, f))
        if prev is None:
            return None
        return readout_prompt(prev.float()[None], _prompt_size(feats))

    # ------------------------------------------------------------------ propagation
    def propagate(self, start: int | None = None, reverse: bool = False,
                  end: int | None = None) -> Iterator[Step]:
        """Track every prompted object from ``start`` (default: the earliest prompted frame)
        forward (or backward with ``reverse``) to ``end`` (default: the video's end/start).

        Yields (frame_idx, obj_ids, mask_logits float32 [N,1,H,W] at video resolution,
        object_scores float32 [N] (presence logits)). Objects get -1024 before their first
        prompt in the direction of travel.
        """
        self._need()
        if len(self.objects) == 0:
            raise InvalidInputError("no object has a prompt yet; call add_prompt first")
        if start is None:
            start = min(t for per in self.memory.cond.values() for t in per)
        if not self.frames.has(start):
            raise NotFoundError(f"start frame {start} does not exist in this video")
        step = -1 if reverse else 1
        self._resume_recent(start, step)
        f = start
        while (end is None or (f >= end if reverse else f <= end)) and f >= 0 and self.frames.has(f):
            with torch.inference_mode(), autocast_for(self.device):
                logits, scores = self._track_frame(f, reverse)
            self.memory.prune(f, reverse)
            if self.frames.streaming and not reverse:
                self.frames.release_before(f - self.keep)
            yield f, self.obj_ids, logits, scores
            f += step

    def _resume_recent(self, start: int, step: int) -> None:
        """Before re-propagating from ``start`` (after a correction), give each object back its
        recent memory on the side it comes from -- the masks tracking left on the frames just
        before ``start``, which the memory had pruned -- so the corrected run keeps the local,
        recent evidence the first run had (re-encoding those frames' keys where they were dropped;
        frames a stream has released are skipped)."""
        side = [start - step * d for d in range(1, self.network.cfg.recent + 1)]
        for obj in range(len(self.objects)):
            for t in side:
                value = self._history.get((obj, t))
                if value is None or t in self.memory.cond[obj] or t in self.memory.tracked[obj]:
                    continue
                if t not in self.memory.keys:
                    try:
                        with torch.inference_mode(), autocast_for(self.device):
                            self._features(t)  # stores the frame's keys in the memory
                    except NotFoundError:
                        continue
                self.memory.put(obj, t, value.float(), cond=False)

    def _track_frame(self, f: int, reverse: bool) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.objects)
        h, w = self.height, self.width
        logits = torch.full((n, 1, h, w), NO_OBJ_SCORE)
        scores = torch.full((n,), NO_OBJ_SCORE)
        groups: dict[tuple, list[int]] = {}
        for obj in range(n):
            if f in self.memory.cond[obj] and (obj, f) in self._prompted:
                logits[obj], scores[obj] = self._prompted[(obj, f)][0], self._prompted[(obj, f)][1][0]
            elif self.memory.is_tracked_from(obj, f, reverse):
                groups.setdefault(self.memory.layout(obj, f, reverse), []).append(obj)
        if not groups:
            return logits, scores
        feats = self._features(f)
        grid, size = _value_grid(feats), _prompt_size(feats)
        fine_query = None if feats.fine_keys is None else feats.fine_keys[0]
        mix = self.network.cfg.readout_mix
        for layout, objs in groups.items():
            probs = self.memory.read(objs, f, feats.keys[0], layout, fine_query)
            prompt = readout_prompt(probs, size)
            if self.readout_only:
                out = prompt
                obj_logit = torch.where(probs.flatten(1).amax(1, keepdim=True) > 0.5, 1.0, -1.0)
            else:
                out, iou, obj_logit = self.network.decode(feats.select(0, len(objs)), mask_logits=prompt)
                for obj, value in zip(objs, iou[:, 0].float().cpu().tolist()):  # one device sync
                    self._remember_iou(obj, f, value)
                if mix > 0:
                    out = _mixed(out.float(), prompt.float(), mix)
            out = out.float()
            present = obj_logit[:, 0].float() > 0
            out = torch.where(present[:, None, None, None], out, torch.full_like(out, NO_OBJ_SCORE))
            prob = torch.sigmoid(out)
            values = mask_values(prob, grid)
            fine = _to_u8(prob[:, 0])
            for row, obj in enumerate(objs):
                self._remember_fine(obj, f, fine[row])
                self.memory.put(obj, f, values[row], cond=False)
                self._history[(obj, f)] = values[row].half()
                self._history.move_to_end((obj, f))
            while len(self._history) > HISTORY:
                self._history.popitem(last=False)
            idx = torch.tensor(objs)
            logits[idx] = self._to_video(out).cpu()
            scores[idx] = obj_logit[:, 0].float().cpu()
        return logits, scores

    def predicted_iou(self, frame_idx: int, obj_id: int) -> float | None:
        """The decoder's IoU estimate (clipped to 0..1) for ``obj_id`` on ``frame_idx`` (1.0 on a
        drawn mask), or None when the frame was not segmented for it (or is long past)."""
        if obj_id not in self._need().objects.ids:
            return None
        value = self._iou.get((self.objects.index(obj_id), int(frame_idx)))
        return None if value is None else min(max(value, 0.0), 1.0)

    def _remember_fine(self, obj: int, f: int, prob: torch.Tensor) -> None:
        """Keep uint8 [4h, 4w] stride-4 probabilities (x255) as a later correction's prior."""
        self._fine[(obj, f)] = prob
        self._fine.move_to_end((obj, f))
        while len(self._fine) > FINE_HISTORY:
            self._fine.popitem(last=False)

    def _remember_iou(self, obj: int, f: int, value: float) -> None:
        self._iou[(obj, f)] = value
        self._iou.move_to_end((obj, f))
        while len(self._iou) > HISTORY:
            self._iou.popitem(last=False)

    def _to_video(self, low_res: torch.Tensor) -> torch.Tensor:
        """float [N,1,h,w] logits -> float32 [N,1,H,W] at the video's resolution (bilinear)."""
        return F.interpolate(low_res.float(), size=(self.height, self.width), mode="bilinear",
                             align_corners=False)


def _to_u8(prob: torch.Tensor) -> torch.Tensor:
    """Probabilities float [N, H, W] -> uint8 [N, H, W] (x255, rounded) on the CPU."""
    return (prob.float() * 255).round().to(torch.uint8).cpu()


def _component(region: torch.Tensor, y: int, x: int) -> torch.Tensor | None:
    """The 8-connected component of bool [H, W] ``region`` holding pixel (y, x), or None."""
    if not bool(region[y, x]):
        return None
    labelled, _ = ndimage.label(region.cpu().numpy(), structure=np.ones((3, 3), bool))
    return torch.from_numpy(labelled == labelled[y, x]).to(region.device)


def _disk(h: int, w: int, y: int, x: int, *, radius: int, device: torch.device) -> torch.Tensor:
    """bool [h, w], True within ``radius`` cells of (y, x)."""
    yy, xx = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    return (yy - y) ** 2 + (xx - x) ** 2 <= radius ** 2


def _value_grid(feats: FrameFeatures) -> tuple[int, int]:
    """The memory's value grid: stride 8 with fine keys, else stride 16."""
    grid = feats.embedding.shape[-2:] if feats.fine_keys is None else feats.fine_keys.shape[-2:]
    return int(grid[0]), int(grid[1])


def _prompt_size(feats: FrameFeatures) -> tuple[int, int]:
    """The decoder's dense-prompt (stride 4) size of these features."""
    h, w = feats.embedding.shape[-2:]
    return 4 * int(h), 4 * int(w)


def _mixed(decoder: torch.Tensor, readout: torch.Tensor, mix: float) -> torch.Tensor:
    """Logits of ``(1 - mix) * sigmoid(decoder) + mix * sigmoid(readout)`` (both [N, 1, H4, W4])."""
    p = ((1 - mix) * torch.sigmoid(decoder) + mix * torch.sigmoid(readout)).clamp(1e-6, 1 - 1e-6)
    return torch.log(p / (1 - p))
