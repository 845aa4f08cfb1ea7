"""Memory bank: per-object conditioning and recent-frame memories, stored batched per frame.

One :class:`FrameMemory` holds the outputs of all objects that went through the network together
on a frame; each object points to (memory, row). Gathering a group of objects reuses the batched
tensors untouched when the group matches, else selects rows. Non-conditioning memories farther
than ``keep`` frames from the current frame are pruned, so memory stays flat in video length.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class FrameMemory:
    """Outputs of ``obj_rows`` (object indices, in row order) on one frame.

    pred_masks: float32 [n, 1, S/4, S/4] low-res logits; obj_ptr: float [n, C];
    object_score_logits: float [n, 1]; maskmem_features: bfloat16 [n, C_mem, S/16, S/16] or None
    while not yet encoded; maskmem_pos_enc: list of float [n, C_mem, S/16, S/16] or None.
    """

    obj_rows: tuple[int, ...]
    pred_masks: torch.Tensor
    obj_ptr: torch.Tensor
    object_score_logits: torch.Tensor
    maskmem_features: torch.Tensor | None = None
    maskmem_pos_enc: list[torch.Tensor] | None = None
    point_inputs: dict | None = None
    mask_inputs: torch.Tensor | None = None


Ref = tuple[FrameMemory, int]


class MemoryBank:
    """Conditioning (prompted) and non-conditioning (tracked) memories per object index."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.cond: dict[int, dict[int, Ref]] = {}
        self.noncond: dict[int, dict[int, Ref]] = {}

    def add_object(self, obj: int) -> None:
        self.cond.setdefault(obj, {})
        self.noncond.setdefault(obj, {})

    def put(self, frame_idx: int, memory: FrameMemory, *, cond: bool) -> None:
        """Store ``memory`` for each of its objects on ``frame_idx``."""
        for row, obj in enumerate(memory.obj_rows):
            if cond:
                self.cond[obj][frame_idx] = (memory, row)
                self.noncond[obj].pop(frame_idx, None)
            else:
                self.noncond[obj][frame_idx] = (memory, row)

    def get(self, obj: int, frame_idx: int) -> Ref | None:
        return self.cond[obj].get(frame_idx) or self.noncond[obj].get(frame_idx)

    def is_cond(self, obj: int, frame_idx: int) -> bool:
        return frame_idx in self.cond[obj]

    def group_key(self, obj: int, frame_idx: int) -> tuple:
        """Objects with equal keys can be batched on ``frame_idx`` (same memory layout)."""
        near = tuple(sorted(t for t in self.noncond[obj] if abs(t - frame_idx) <= self.keep))
        return tuple(sorted(self.cond[obj])), near

    def output_dict(self, objs: list[int], frame_idx: int) -> dict[str, dict[int, dict]]:
        """sam2's ``output_dict`` for a batch of objects sharing a :meth:`group_key`."""
        lead = objs[0]
        result: dict[str, dict[int, dict]] = {"cond_frame_outputs": {}, "non_cond_frame_outputs": {}}
        for name, store in (("cond_frame_outputs", self.cond), ("non_cond_frame_outputs", self.noncond)):
            for t in store[lead]:
                if name == "non_cond_frame_outputs" and abs(t - frame_idx) > self.keep:
                    continue
                refs = [store[o][t] for o in objs]
                result[name][t] = _stack(refs)
        return result

    def pending(self) -> list[tuple[int, FrameMemory]]:
        """Conditioning memories whose memory features are not encoded yet, as (frame, memory)."""
        seen: dict[int, tuple[int, FrameMemory]] = {}
        for per_obj in self.cond.values():
            for t, (mem, _) in per_obj.items():
                if mem.maskmem_features is None:
                    seen[id(mem)] = (t, mem)
        return list(seen.values())

    def prune(self, frame_idx: int) -> None:
        """Drop non-conditioning memories more than ``keep`` frames away from ``frame_idx``."""
        for per_obj in self.noncond.values():
            for t in [t for t in per_obj if abs(t - frame_idx) > self.keep]:
                del per_obj[t]

    def resident_frames(self) -> int:
        """Number of distinct frame memories held (for memory checks)."""
        return len({id(m) for d in (*self.cond.values(), *self.noncond.values()) for m, _ in d.values()})


def _stack(refs: list[Ref]) -> dict:
    mem0 = refs[0][0]
    rows = [r for _, r in refs]
    if all(m is mem0 for m, _ in refs) and rows == list(range(len(mem0.obj_rows))):
        return {"maskmem_features": mem0.maskmem_features, "maskmem_pos_enc": mem0.maskmem_pos_enc,
                "obj_ptr": mem0.obj_ptr, "pred_masks": mem0.pred_masks}

    def pick(get):
        return torch.cat([get(m)[r:r + 1] for m, r in refs], dim=0)

    return {
        "maskmem_features": pick(lambda m: m.maskmem_features),
        "maskmem_pos_enc": [torch.cat([m.maskmem_pos_enc[i][r:r + 1] for m, r in refs], dim=0)
                            for i in range(len(mem0.maskmem_pos_enc))],
        "obj_ptr": pick(lambda m: m.obj_ptr),
        "pred_masks": pick(lambda m: m.pred_masks),
    }
