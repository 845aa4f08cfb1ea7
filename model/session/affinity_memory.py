"""Memory manager of the lite session: per-frame readout keys and per-object mask values.

Each object's memory is its conditioning (prompted) frames -- the first one and the latest
``max_cond - 1`` -- plus its ``recent`` most recent tracked frames on the side it is travelling
from. Objects whose memory is laid out on the same frames are read out together (one matrix
product); keys and values are kept as float16 and tracked frames beyond the window are pruned,
so memory stays flat in video length.
"""

from __future__ import annotations

import torch

from model.network.lite.affinity_readout import affinity_readout, local_mask


class AffinityMemory:
    """Keys [C, h, w] per frame; values [h, w] (probabilities) per (object, frame)."""

    def __init__(self, *, recent: int, top_k: int, temperature: float, radius: float,
                 max_cond: int = 4) -> None:
        self.recent, self.top_k, self.temperature, self.radius = recent, top_k, temperature, radius
        self.max_cond = max_cond
        self.keys: dict[int, torch.Tensor] = {}
        self.cond: dict[int, dict[int, torch.Tensor]] = {}
        self.tracked: dict[int, dict[int, torch.Tensor]] = {}
        self._near: torch.Tensor | None = None

    def add_object(self, obj: int) -> None:
        self.cond.setdefault(obj, {})
        self.tracked.setdefault(obj, {})

    def put_keys(self, frame: int, keys: torch.Tensor) -> None:
        self.keys.setdefault(frame, keys.half())

    def put(self, obj: int, frame: int, value: torch.Tensor, *, cond: bool) -> None:
        """Store object ``obj``'s mask probabilities [h, w] on ``frame``."""
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
             layout: tuple[tuple[int, ...], tuple[int, ...]]) -> torch.Tensor:
        """Probabilities [len(objs), h, w] of ``objs`` (all with ``layout``) on ``frame``
        (query keys [C, h, w])."""
        conds, recent = layout
        frames = list(conds) + list(recent)
        keys = torch.stack([self.keys[t] for t in frames]).float()
        values = torch.stack([
            torch.stack([(self.cond[o] if t in conds else self.tracked[o])[t] for o in objs])
            for t in frames
        ]).float()
        _, h, w = query.shape
        if self._near is None or self._near.shape[0] != h * w:
            self._near = local_mask(h, w, self.radius, query.device)
        return affinity_readout(query.float(), keys, values, near=self._near,
                                is_local=[False] * len(conds) + [True] * len(recent),
                                top_k=self.top_k, temperature=self.temperature)

    def prune(self, frame: int, reverse: bool) -> None:
        """Forget tracked values (and keys nobody uses) outside the window around ``frame``."""
        window = self.recent + 1
        for per in self.tracked.values():
            for t in [t for t in per if abs(t - frame) > window]:
                del per[t]
        used = {t for per in (*self.cond.values(), *self.tracked.values()) for t in per}
        for t in [t for t in self.keys if t not in used and abs(t - frame) > window]:
            del self.keys[t]

    def resident_frames(self) -> int:
        """Distinct frames whose keys are held (for memory checks)."""
        return len(self.keys)
