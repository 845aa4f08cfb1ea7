"""Memory manager of the lite session: per-frame readout keys and per-object mask values.

Each object's memory is its conditioning (prompted) frames -- the first one and the latest
``max_cond - 1`` -- plus its ``recent`` most recent tracked frames on the side it is travelling
from. Objects whose memory is laid out on the same frames are read out together (one matrix
product); keys and values are kept as float16 and tracked frames beyond the window are pruned,
so memory stays flat in video length.

With ``fine`` the values are kept at stride 8 and each frame also holds stride-8 keys: a read is
the stride-16 readout (values pooled 2x2) refined at stride 8 along the objects' outlines
(:func:`~model.network.lite.affinity_readout.refine_readout`) from the conditioning frames and the
``fine_recent`` nearest tracked ones (3 of 7: on DAVIS-2016 val's first 30 frames of blackswan,
breakdance, camel and kite-surf, J&F 0.726 with 3 at 3-4.7 frames/s; all 7 cost ~30% more time)). Off by default (``readout_stride=16``): on full DAVIS-2016 val
sequences it scored J&F 0.707 against 0.725 without it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from model.network.lite.affinity_readout import affinity_readout, local_mask, refine_readout


class AffinityMemory:
    """Keys [C, h, w] (and fine keys [C, 2h, 2w]) per frame; values (probabilities) per
    (object, frame) at the value grid: [2h, 2w] with ``fine``, else [h, w]."""

    def __init__(self, *, recent: int, top_k: int, temperature: float, radius: float,
                 max_cond: int = 4, fine: bool = False, fine_recent: int = 3) -> None:
        self.recent, self.top_k, self.temperature, self.radius = recent, top_k, temperature, radius
        self.max_cond = max_cond
        self.fine, self.fine_recent = fine, fine_recent
        self.keys: dict[int, torch.Tensor] = {}
        self.fine_keys: dict[int, torch.Tensor] = {}
        self.cond: dict[int, dict[int, torch.Tensor]] = {}
        self.tracked: dict[int, dict[int, torch.Tensor]] = {}
        self._near: torch.Tensor | None = None

    def add_object(self, obj: int) -> None:
        self.cond.setdefault(obj, {})
        self.tracked.setdefault(obj, {})

    def put_keys(self, frame: int, keys: torch.Tensor, fine_keys: torch.Tensor | None = None) -> None:
        """Keys [C, h, w] of ``frame`` (and its fine keys [C, 2h, 2w] when the memory is fine)."""
        self.keys.setdefault(frame, keys.half())
        if self.fine:
            if fine_keys is None:
                raise ValueError("a fine memory needs the frame's stride-8 keys")
            self.fine_keys.setdefault(frame, fine_keys.half())

    def put(self, obj: int, frame: int, value: torch.Tensor, *, cond: bool) -> None:
        """Store object ``obj``'s mask probabilities on ``frame`` (at the value grid)."""
        if cond:
            self.cond[obj][frame] = value.half()
            self.tracked[obj].pop(frame, None)
        else:
            self.tracked[obj][frame] = value.half()

    def is_tracked_from(self, obj: int, frame: int, reverse: bool) -> bool:
        """Whether ``obj`` has a prompt at or before ``frame`` in the direction of travel."""
        return any((t >= frame) if reverse else (t <= frame) for t in self.cond[obj])

    def layout(self, obj: int, frame: int, reverse: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(conditioning frames, recent tracked frames) ``obj`` reads from on ``frame``."""
        conds = sorted(self.cond[obj], key=lambda t: abs(t - frame))
        first = min(self.cond[obj]) if not reverse else max(self.cond[obj])
        chosen = [first] + [t for t in conds if t != first][: self.max_cond - 1]
        side = [t for t in self.tracked[obj] if (t > frame if reverse else t < frame)]
        near = sorted(side, key=lambda t: abs(t - frame))[: self.recent]
        return tuple(sorted(chosen)), tuple(sorted(near))

    def read(self, objs: list[int], frame: int, query: torch.Tensor,
             layout: tuple[tuple[int, ...], tuple[int, ...]],
             fine_query: torch.Tensor | None = None) -> torch.Tensor:
        """Probabilities of ``objs`` (all with ``layout``) on ``frame`` at the value grid,
        [len(objs), h, w] (or [.., 2h, 2w] when fine); query keys [C, h, w], fine_query
        [C, 2h, 2w] (needed when fine)."""
        conds, recent = layout
        frames = list(conds) + list(recent)
        keys = torch.stack([self.keys[t] for t in frames]).float()
        values = torch.stack([
            torch.stack([(self.cond[o] if t in conds else self.tracked[o])[t] for o in objs])
            for t in frames
        ]).float()
        fine_values = values
        if self.fine:
            values = F.avg_pool2d(values, 2)
        _, h, w = query.shape
        if self._near is None or self._near.shape[0] != h * w:
            self._near = local_mask(h, w, self.radius, query.device)
        is_local = [False] * len(conds) + [True] * len(recent)
        coarse = affinity_readout(query.float(), keys, values, near=self._near, is_local=is_local,
                                  top_k=self.top_k, temperature=self.temperature)
        if not self.fine:
            return coarse
        if fine_query is None:
            raise ValueError("a fine memory needs the frame's stride-8 keys to read")
        nearest = sorted(recent, key=lambda t: abs(t - frame))[: self.fine_recent]
        keep = list(range(len(conds))) + [len(conds) + i for i, t in enumerate(recent) if t in nearest]
        frames, fine_values = [frames[i] for i in keep], fine_values[keep]
        is_local = [is_local[i] for i in keep]
        fine_keys = torch.stack([self.fine_keys[t] for t in frames])
        return refine_readout(coarse, fine_query, fine_keys, fine_values, is_local=is_local,
                              radius=2 * self.radius, top_k=self.top_k, temperature=self.temperature)

    def prune(self, frame: int, reverse: bool) -> None:
        """Forget tracked values (and keys nobody uses) outside the window around ``frame``."""
        window = self.recent + 1
        for per in self.tracked.values():
            for t in [t for t in per if abs(t - frame) > window]:
                del per[t]
        used = {t for per in (*self.cond.values(), *self.tracked.values()) for t in per}
        for t in [t for t in self.keys if t not in used and abs(t - frame) > window]:
            del self.keys[t]
            self.fine_keys.pop(t, None)

    def resident_frames(self) -> int:
        """Distinct frames whose keys are held (for memory checks)."""
        return len(self.keys)
