"""``maskloop model pull``: fetch Meta's SAM 2.1 checkpoint, verify, cache, register.

The file is downloaded from ``settings.sam2_checkpoint_base_url`` + its published name, verified
against its sha256 (pinned in flows/sam2_checkpoints.py, or ``--sha256``) and cached,
content-addressed, at ``<home>/checkpoints/sam2.1/<sha256[:16]>/<file>``. It is then registered
in the catalog as a version of model ``sam2.1_hiera_<size>`` (backend ``sam2``, the sha256, uri
``sam2:<size>:<cached path>``, the reference ``--model``/``--base`` accept), audited as
``model.register``.

Pulling again is idempotent: a cached file whose digest matches is not downloaded again, and a
version with the same uri and sha256 is not registered twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flows.checkpoint_download import Progress, display_url, download_verified
from flows.cycle.champion import file_sha256
from flows.sam2_checkpoints import Sam2Checkpoint, expected_digest, find_checkpoint
from flows.services import actor_of, open_catalog
from flows.settings import Settings

CACHE_DIR = ("checkpoints", "sam2.1")
BACKEND = "sam2"


@dataclass(frozen=True)
class PullOutcome:
    """What ``pull_sam2`` did: the registered version and whether anything new happened."""

    name: str
    version: int
    model_version_id: int
    uri: str
    sha256: str
    path: Path
    n_bytes: int
    source: str           # URL without credentials
    downloaded: bool      # False: the cached file was already there (digest checked)
    registered: bool      # False: the same uri and sha256 were already registered


def cached_path(settings: Settings, checkpoint: Sam2Checkpoint, sha256: str) -> Path:
    """Where the verified file with digest ``sha256`` lives under ``settings.home``."""
    return (settings.home.joinpath(*CACHE_DIR) / sha256[:16] / checkpoint.filename).resolve()


def checkpoint_url(settings: Settings, checkpoint: Sam2Checkpoint) -> str:
    """``<base URL>/<file>`` (a query string of the base URL, e.g. a mirror's token, is kept)."""
    parts = urlsplit(settings.sam2_checkpoint_base_url.strip())
    path = parts.path.rstrip("/") + "/" + checkpoint.filename
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def pull_sam2(settings: Settings, spec: str, *, sha256: str | None = None,
              progress: Progress | None = None) -> PullOutcome:
    """Pull checkpoint ``spec`` (``sam2.1-<tiny|small|base+|large>``); see the module docstring."""
    from storage.catalog.guard import check_writer
    from storage.catalog.model_aliases import list_models
    from storage.catalog.registry import register_model

    checkpoint = find_checkpoint(spec)
    digest = expected_digest(checkpoint, sha256)
    model_name = checkpoint.model_name
    actor = actor_of(settings)
    check_writer(actor, settings.role)  # an auditor is refused before anything is downloaded
    url = checkpoint_url(settings, checkpoint)
    path = cached_path(settings, checkpoint, digest)
    uri = f"{BACKEND}:{checkpoint.size}:{path}"

    downloaded = False
    if path.is_file() and file_sha256(path) != digest:
        path.unlink()  # damaged or replaced by hand: fetch it again
    if not path.is_file():
        download_verified(url, path, sha256=digest, expected_bytes=checkpoint.n_bytes,
                          progress=progress)
        downloaded = True
    n_bytes = path.stat().st_size

    with open_catalog(settings) as catalog:
        for info in list_models(catalog, model_name):
            if info.ref.uri == uri and info.ref.sha256 == digest:
                return PullOutcome(model_name, info.ref.version, info.id, uri, digest, path,
                                   n_bytes, display_url(url), downloaded, registered=False)
        role = settings.role if settings.role == "admin" else "ml_engineer"
        model_id, ref = register_model(catalog, name=model_name, backend=BACKEND, uri=uri,
                                       sha256=digest, actor=actor, role=role)
    return PullOutcome(model_name, ref.version, model_id, uri, digest, path, n_bytes,
                       display_url(url), downloaded, registered=True)
