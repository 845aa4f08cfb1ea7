"""Video session: prompts on any frame, batched multi-object propagation, streamed frames.

    session = VideoSession(load_model("builtin:default"))
    session.init(frames)                       # sequence or iterator of uint8 [H, W, 3]
    mask = session.add_prompt(0, obj_id=1, points=[[x, y]], labels=[1])   # bool [H, W]
    for frame_idx, obj_ids, mask_logits, object_scores in session.propagate():
        ...                                    # mask_logits float32 [N, 1, H, W]; scores [N]

Every object without a prompt on the current frame goes through the network in one batch
(grouped by identical memory layout; one group in the usual case); the image backbone runs once
per frame. Only a bounded window of memories and frames is resident.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from model.errors import InvalidInputError, NotFoundError
from model.network.device import autocast_for
from model.network.refs import LoadedModel
from model.session.attached_video import AttachedVideo
from model.session.features import FeatureCache
from model.session.frames import FrameSource
from model.session.memory_bank import FrameMemory, MemoryBank
from model.session.objects import ObjectRegistry
from model.session.prompts import mask_input, point_inputs

NO_OBJ_SCORE = -1024.0
UNKNOWN_LENGTH = 1 << 30

Step = tuple[int, tuple[int, ...], torch.Tensor, torch.Tensor]


class VideoSession(AttachedVideo):
    """Interactive and streamed SAM 2 inference over one video (see module docstring)."""

    def __init__(self, model: LoadedModel, *, feature_cache: int = 2) -> None:
        self.network = model.network
        self.device = model.device
        self.image_size = int(self.network.image_size)
        stride = int(getattr(self.network, "memory_temporal_stride_for_eval", 1))
        self.keep = max(self.network.num_maskmem * stride, self.network.max_obj_ptrs_in_encoder)
        self._feature_cache = feature_cache
        self.frames: FrameSource | None = None

    # ------------------------------------------------------------------ setup
    def init(self, frames: Iterable[np.ndarray]) -> VideoSession:
        """Attach a video: a sequence (random access) or an iterator (streamed) of uint8 [H,W,3]."""
        self.frames = FrameSource(frames, image_size=self.image_size, window=self.keep + 2)
        self.features = FeatureCache(self.network, self.frames.image, self.device, self._feature_cache)
        self.objects = ObjectRegistry()
        self.bank = MemoryBank(self.keep)
        self._span: dict[int, tuple[int, int]] = {}  # frames tracked per object (inclusive range)
        self._pos_const: list[torch.Tensor] | None = None
        return self


    def _num_frames(self) -> int:
        n = self.frames.num_frames  # type: ignore[union-attr]
        return UNKNOWN_LENGTH if n is None else n

    # ------------------------------------------------------------------ prompts
    def add_prompt(self, frame_idx: int, obj_id: int, *, points: object = None, labels: object = None,
                   box: object = None, mask: object = None) -> np.ndarray:
        """Prompt object ``obj_id`` on ``frame_idx`` with clicks (points [P,2] x,y in pixels and
        labels [P]), a box [x0,y0,x1,y1] or a bool mask [H,W]; replaces earlier prompts of the
        object on that frame. A frame the object was already tracked on is a correction: it uses
        the memory and becomes a conditioning frame for what follows. Returns bool [H, W].
        """
        self._need()
        if mask is not None and (points is not None or box is not None):
            raise InvalidInputError("give either a mask or points/box on one frame, not both")
        if not isinstance(frame_idx, (int, np.integer)) or not self.frames.has(int(frame_idx)):
            raise NotFoundError(f"frame {frame_idx} does not exist in this video; prompt an existing frame")
        frame_idx = int(frame_idx)
        h, w, s = self.height, self.width, self.image_size
        pts = msk = None
        if mask is not None:
            msk = mask_input(mask, height=h, width=w, image_size=s,
                             allow_empty=obj_id in self.objects.ids).to(self.device)
        else:
            pts = {k: v.to(self.device) for k, v in
                   point_inputs(points, labels, box, height=h, width=w, image_size=s).items()}
        obj = self.objects.index(obj_id, create=True)
        self.bank.add_object(obj)
        lo, hi = self._span.get(obj, (1, 0))
        is_init = not lo <= frame_idx <= hi
        prev_ref = self.bank.get(obj, frame_idx)
        if not is_init:
            self._encode_pending()  # the frames this one is conditioned on need their memory features
        prev_logits = None
        if prev_ref is not None and pts is not None:
            mem, row = prev_ref
            prev_logits = mem.pred_masks[row:row + 1].to(self.device).clamp(-32.0, 32.0)
        with torch.inference_mode(), autocast_for(self.device):
            feats, pos, sizes = self.features.features(frame_idx, 1)
            out = self.network.track_step(
                frame_idx=frame_idx, is_init_cond_frame=is_init, current_vision_feats=feats,
                current_vision_pos_embeds=pos, feat_sizes=sizes, point_inputs=pts, mask_inputs=msk,
                output_dict=self.bank.output_dict([obj], frame_idx), num_frames=self._num_frames(),
                track_in_reverse=False, run_mem_encoder=False, prev_sam_mask_logits=prev_logits,
            )
        memory = FrameMemory(obj_rows=(obj,), pred_masks=out["pred_masks"].float(),
                             obj_ptr=out["obj_ptr"].float(),
                             object_score_logits=out["object_score_logits"].float(),
                             point_inputs=pts, mask_inputs=msk)
        self.bank.put(frame_idx, memory, cond=True)
        self._span[obj] = (min(lo, frame_idx), max(hi, frame_idx)) if lo <= hi else (frame_idx, frame_idx)
        return (self._to_video(memory.pred_masks)[0, 0] > 0).cpu().numpy()

    # ------------------------------------------------------------------ propagation
    def propagate(self, start: int | None = None, reverse: bool = False,
                  end: int | None = None) -> Iterator[Step]:
        """Track every prompted object from ``start`` (default: the earliest prompted frame)
        forward (or backward with ``reverse``) to ``end`` (default: the video's end/start).

        Yields (frame_idx, obj_ids, mask_logits float32 [N,1,H,W] at video resolution,
        object_scores float32 [N] (object-presence logits)). Objects are not tracked before their
        first prompt in the direction of travel: they get -1024 logits and scores there.
        """
        self._need()
        if len(self.objects) == 0:
            raise InvalidInputError("no object has a prompt yet; call add_prompt first")
        self._encode_pending()
        if start is None:
            start = min(t for per in self.bank.cond.values() for t in per)
        if not self.frames.has(start):
            raise NotFoundError(f"start frame {start} does not exist in this video")
        step = -1 if reverse else 1
        stop = (0 if end is None else end) if reverse else (None if end is None else end)
        f = start
        while (stop is None or (f >= stop if reverse else f <= stop)) and f >= 0 and self.frames.has(f):
            self._encode_pending()  # prompts added while propagating (e.g. objects entering)
            with torch.inference_mode(), autocast_for(self.device):
                logits, scores = self._track_frame(f, reverse)
                video_logits = self._to_video(logits)
            self.bank.prune(f)
            if self.frames.streaming and not reverse:
                self.frames.release_before(f - self.keep)
            yield f, self.obj_ids, video_logits, scores
            f += step

    def _track_frame(self, f: int, reverse: bool) -> tuple[torch.Tensor, torch.Tensor]:
        n, low = len(self.objects), self.image_size // 4
        logits = torch.full((n, 1, low, low), NO_OBJ_SCORE, device=self.device)
        scores = torch.full((n,), NO_OBJ_SCORE, device=self.device)
        groups: dict[tuple, list[int]] = {}
        for obj in range(n):
            ref = self.bank.cond[obj].get(f)
            if ref is not None:
                mem, row = ref
                logits[obj] = mem.pred_masks[row]
                scores[obj] = mem.object_score_logits[row, 0]
            elif any((t >= f) if reverse else (t <= f) for t in self.bank.cond[obj]):
                groups.setdefault(self.bank.group_key(obj, f), []).append(obj)
            else:
                continue
            lo, hi = self._span.get(obj, (f, f))
            self._span[obj] = (min(lo, f), max(hi, f))
        for objs in groups.values():
            feats, pos, sizes = self.features.features(f, len(objs))
            out = self.network.track_step(
                frame_idx=f, is_init_cond_frame=False, current_vision_feats=feats,
                current_vision_pos_embeds=pos, feat_sizes=sizes, point_inputs=None, mask_inputs=None,
                output_dict=self.bank.output_dict(objs, f), num_frames=self._num_frames(),
                track_in_reverse=reverse, run_mem_encoder=True,
            )
            memory = FrameMemory(
                obj_rows=tuple(objs), pred_masks=out["pred_masks"].float(), obj_ptr=out["obj_ptr"].float(),
                object_score_logits=out["object_score_logits"].float(),
                maskmem_features=out["maskmem_features"].to(torch.bfloat16),
                maskmem_pos_enc=self._pos_enc(out["maskmem_pos_enc"], len(objs)),
            )
            self.bank.put(f, memory, cond=False)
            idx = torch.tensor(objs, device=self.device)
            logits[idx] = memory.pred_masks
            scores[idx] = memory.object_score_logits[:, 0]
        return logits, scores

    def _encode_pending(self) -> None:
        """Encode memories of prompted frames (merged per frame, all objects batched)."""
        by_frame: dict[int, list[FrameMemory]] = {}
        for t, mem in self.bank.pending():
            by_frame.setdefault(t, []).append(mem)
        for t, mems in by_frame.items():
            merged = FrameMemory(
                obj_rows=tuple(o for m in mems for o in m.obj_rows),
                pred_masks=torch.cat([m.pred_masks for m in mems]),
                obj_ptr=torch.cat([m.obj_ptr for m in mems]),
                object_score_logits=torch.cat([m.object_score_logits for m in mems]),
            )
            n = len(merged.obj_rows)
            with torch.inference_mode(), autocast_for(self.device):
                feats, _, sizes = self.features.features(t, n)
                high = F.interpolate(merged.pred_masks, size=(self.image_size, self.image_size),
                                     mode="bilinear", align_corners=False)
                feat, pos = self.network._encode_new_memory(
                    current_vision_feats=feats, feat_sizes=sizes, pred_masks_high_res=high,
                    object_score_logits=merged.object_score_logits, is_mask_from_pts=True,
                )
            merged.maskmem_features = feat.to(torch.bfloat16)
            merged.maskmem_pos_enc = self._pos_enc(pos, n)
            self.bank.put(t, merged, cond=True)

    def _pos_enc(self, pos: list[torch.Tensor], n: int) -> list[torch.Tensor]:
        """The memory positional encoding is the same for every frame and object: keep one copy."""
        if self._pos_const is None:
            self._pos_const = [p[0:1].float().clone() for p in pos]
        return [p.expand(n, -1, -1, -1) for p in self._pos_const]

    def _to_video(self, low_res: torch.Tensor) -> torch.Tensor:
        """float [N,1,h,w] logits -> float32 [N,1,H,W] at the video's resolution (bilinear)."""
        return F.interpolate(low_res.float(), size=(self.height, self.width), mode="bilinear",
                             align_corners=False)
