"""Meta's published SAM 2.1 checkpoints: file names, pinned sha256 digests and sizes.

File names and base URL are those of facebookresearch/sam2 ``checkpoints/download_ckpts.sh``
(``SAM2p1_BASE_URL=https://dl.fbaipublicfiles.com/segment_anything_2/092824``); the base URL is
the setting ``MASKLOOP_SAM2_CHECKPOINT_BASE_URL`` so a mirror can serve the same files.

Meta publishes no checksums. The digests below are the sha256 of each file as pinned by
computational-cell-analytics/micro-sam (``micro_sam/v2/util.py``, ``HASHES`` next to the same
dl.fbaipublicfiles.com URLs; pooch verifies them on every download) and, identically, by several
other public projects that download these files and check them (the base+ digest is also the
Hugging Face cache blob name of facebook/sam2.1-hiera-base-plus). Sizes in bytes are those other
projects report next to the same digests (large by two of them). A size is informative (progress,
summary); the digest decides. A size without a pinned digest (none at present) needs --sha256.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.errors import InvalidInputError

PREFIX = "sam2.1-"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Sam2Checkpoint:
    """One published SAM 2.1 checkpoint: its size name (as in ``sam2:<size>:PATH``) and file."""

    size: str               # tiny, small, base+, large (model/network/refs.py)
    filename: str           # file under the base URL
    sha256: str | None      # pinned digest, None when none is known
    n_bytes: int | None     # file size, None when unknown

    @property
    def spec(self) -> str:
        """The name ``maskloop model pull`` takes, e.g. ``sam2.1-base+``."""
        return PREFIX + self.size

    @property
    def model_name(self) -> str:
        """Catalog model name of the pulled checkpoint (the file stem, e.g. sam2.1_hiera_tiny)."""
        return self.filename.removesuffix(".pt")


SAM2_1_CHECKPOINTS: dict[str, Sam2Checkpoint] = {
    c.size: c
    for c in (
        Sam2Checkpoint("tiny", "sam2.1_hiera_tiny.pt",
                       "7402e0d864fa82708a20fbd15bc84245c2f26dff0eb43a4b5b93452deb34be69",
                       156_008_466),
        Sam2Checkpoint("small", "sam2.1_hiera_small.pt",
                       "6d1aa6f30de5c92224f8172114de081d104bbd23dd9dc5c58996f0cad5dc4d38",
                       184_416_285),
        Sam2Checkpoint("base+", "sam2.1_hiera_base_plus.pt",
                       "a2345aede8715ab1d5d31b4a509fb160c5a4af1970f199d9054ccfb746c004c5",
                       323_606_802),
        Sam2Checkpoint("large", "sam2.1_hiera_large.pt",
                       "2647878d5dfa5098f2f8649825738a9345572bae2d4350a2468587ece47dd318",
                       898_083_611),
    )
}


def choices() -> str:
    """``sam2.1-tiny, sam2.1-small, sam2.1-base+ or sam2.1-large``."""
    names = [c.spec for c in SAM2_1_CHECKPOINTS.values()]
    return ", ".join(names[:-1]) + " or " + names[-1]


def find_checkpoint(spec: str) -> Sam2Checkpoint:
    """The checkpoint named ``sam2.1-<size>``; InvalidInputError naming the choices otherwise."""
    text = spec.strip().lower() if isinstance(spec, str) else ""
    size = text.removeprefix(PREFIX) if text.startswith(PREFIX) else None
    if size is None or size not in SAM2_1_CHECKPOINTS:
        raise InvalidInputError(f"unknown checkpoint {spec!r}; choose {choices()}")
    return SAM2_1_CHECKPOINTS[size]


def expected_digest(checkpoint: Sam2Checkpoint, override: str | None) -> str:
    """The sha256 to verify against: ``override`` (``--sha256``) when given, else the pinned one."""
    if override is not None:
        digest = override.strip().lower()
        if not _HEX64.match(digest):
            raise InvalidInputError(f"--sha256 {override!r} is not a sha256 digest (64 hex digits)")
        return digest
    if checkpoint.sha256 is None:
        raise InvalidInputError(f"no published sha256 is pinned for {checkpoint.spec} "
                                f"({checkpoint.filename}); pass --sha256 HEX to pull it")
    return checkpoint.sha256
