"""Connected components (8-connectivity) and small region / hole removal in numpy.

Run-length labelling: each row is split into runs of True pixels and runs touching a run of the
previous row (8-connected) are merged with a union-find, so cost grows with the number of runs,
not pixels.
"""

from __future__ import annotations

import numpy as np


def _runs(row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    padded = np.concatenate([[False], row, [False]])
    d = np.flatnonzero(padded[1:] != padded[:-1])
    return d[0::2], d[1::2]  # start (inclusive), end (exclusive)


def component_labels(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label the 8-connected components of bool [H, W].

    Returns (labels int32 [H, W] with 0 = background and 1..K components, areas int64 [K]).
    """
    mask = np.asarray(mask, dtype=bool)
    parent: list[int] = []

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    rows: list[tuple[np.ndarray, np.ndarray, list[int]]] = []
    prev_s = prev_e = np.zeros(0, int)
    prev_ids: list[int] = []
    for y in range(mask.shape[0]):
        s, e = _runs(mask[y])
        ids = []
        for a, b in zip(s, e):
            rid = len(parent)
            parent.append(rid)
            # previous runs overlapping [a-1, b+1) touch this one (8-connectivity)
            touch = np.flatnonzero((prev_s < b + 1) & (prev_e > a - 1))
            for j in touch:
                ra, rb = find(rid), find(prev_ids[j])
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
            ids.append(rid)
        rows.append((s, e, ids))
        prev_s, prev_e, prev_ids = s, e, ids
    roots = {}
    labels = np.zeros(mask.shape, np.int32)
    areas: list[int] = []
    for y, (s, e, ids) in enumerate(rows):
        for a, b, rid in zip(s, e, ids):
            r = find(rid)
            if r not in roots:
                roots[r] = len(roots) + 1
                areas.append(0)
            k = roots[r]
            labels[y, a:b] = k
            areas[k - 1] += int(b - a)
    return labels, np.asarray(areas, dtype=np.int64)


def remove_small_regions(mask: np.ndarray, area_thresh: int, mode: str) -> tuple[np.ndarray, bool]:
    """Remove islands (mode "islands") or fill holes (mode "holes") under ``area_thresh`` px.

    Like SAM's ``remove_small_regions``: when every island is small the largest one is kept.
    Returns (new bool mask, changed).
    """
    if mode not in ("holes", "islands"):
        raise ValueError(f"mode must be holes or islands, got {mode!r}")
    mask = np.asarray(mask, dtype=bool)
    holes = mode == "holes"
    work = mask ^ holes
    labels, areas = component_labels(work)
    small = np.flatnonzero(areas < area_thresh) + 1
    if len(small) == 0:
        return mask, False
    if holes:
        return mask | np.isin(labels, small), True
    keep = [k for k in range(1, len(areas) + 1) if k not in set(small.tolist())]
    if not keep:
        keep = [int(np.argmax(areas)) + 1]
    return np.isin(labels, keep), True
