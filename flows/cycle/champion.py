"""The champion model: which registered version the cycle uses, and loading it.

The catalog is the authority for aliases (``model_version.aliases``); the MLflow registry mirrors
them. Catalog and MLflow version numbers are the same: a model is registered in MLflow first and
the catalog row takes its number. With no champion yet, :func:`ensure_champion` bootstraps one from
``settings.default_model``: its weights are written as a checkpoint, logged in a bootstrap MLflow
run, registered and given the alias (audited as ``model.alias`` with reason ``bootstrap``).
Downloaded weights are cached under ``<home>/models/<name>/v<version>/``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from flows.cycle.config import CycleConfig
from flows.cycle.workspace import Workspace
from flows.errors import ConflictError, NotFoundError
from flows.mlflow_tracker import CHAMPION, MlflowTracker
from storage.catalog.model_aliases import ModelInfo, model_by_alias, move_alias
from storage.catalog.registry import register_model

if TYPE_CHECKING:
    from model.network.refs import LoadedModel

CHECKPOINT_FILE = "model.pt"
CHECKPOINT_DIR = "checkpoint"
SAM2_PREFIX = "sam2:"  # an official SAM 2 checkpoint on this machine (``maskloop model pull``)


def tracker_of(ws: Workspace) -> MlflowTracker:
    """The MLflow tracker of the workspace's settings (artifacts under ``<home>/mlartifacts``
    for the embedded SQLite store)."""
    embedded = not ws.settings.mlflow_tracking_uri
    return MlflowTracker(ws.settings.tracking_uri, artifact_root=ws.settings.home / "mlartifacts" if embedded else None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_path(ws: Workspace, name: str, version: int) -> Path:
    return (ws.settings.home / "models" / name / f"v{version}" / CHECKPOINT_FILE).resolve()


def write_checkpoint_of(ref: str, path: Path, *, device: str) -> Path:
    """Load model ``ref`` and write it as a maskloop checkpoint at ``path``."""
    from model.network.checkpoint import write_checkpoint
    from model.network.refs import load_model

    loaded = load_model(ref, device="cpu" if device == "auto" else device)
    return write_checkpoint(path, arch=loaded.arch, model_state=loaded.network.state_dict(),
                            extra={"source_ref": ref})


def ensure_champion(ws: Workspace, cfg: CycleConfig) -> ModelInfo:
    """The champion of ``cfg.model_name``, bootstrapped from ``settings.default_model`` if none."""
    found = model_by_alias(ws.catalog, cfg.model_name, CHAMPION)
    if found is not None:
        return found
    ref = ws.settings.default_model
    tracker = tracker_of(ws)
    staging = ws.settings.home / "models" / cfg.model_name / "bootstrap"
    path = write_checkpoint_of(ref, staging / CHECKPOINT_FILE, device=ws.settings.device)
    sha = file_sha256(path)
    run_id = tracker.start_run(
        run_name=f"bootstrap {ref}", params={"base_ref": ref, "kind": "bootstrap"},
        tags={"maskloop.kind": "bootstrap"}, dataset=None)
    tracker.log_artifact(run_id, path, artifact_path=CHECKPOINT_DIR)
    tracker.finish(run_id)
    registered = tracker.register(name=cfg.model_name, run_id=run_id, artifact_path=CHECKPOINT_DIR,
                                  tags={"maskloop.sha256": sha, "maskloop.base_ref": ref})
    who = ws.as_role("ml_engineer")
    model_id, _ = register_model(ws.catalog, name=cfg.model_name, backend="sam2", uri=registered.source, sha256=sha,
                                 version=registered.version, **who)
    move_alias(ws.catalog, name=cfg.model_name, version=registered.version, alias=CHAMPION,
               details={"reason": "bootstrap", "source_ref": ref}, **who)
    tracker.set_champion(cfg.model_name, registered.version)
    cached = cache_path(ws, cfg.model_name, registered.version)
    cached.parent.mkdir(parents=True, exist_ok=True)
    path.replace(cached)
    found = model_by_alias(ws.catalog, cfg.model_name, CHAMPION)
    assert found is not None and found.id == model_id
    return found


def local_weights(ws: Workspace, info: ModelInfo) -> Path:
    """A local checkpoint file of a registered model version (downloaded once, sha256 checked);
    for a ``sam2:`` version the official checkpoint file itself (load it with its reference)."""
    uri = info.ref.uri
    if uri.startswith("builtin:"):
        raise ConflictError(f"model {info.ref.name}@{info.ref.version} is {uri}; load it with load_model")
    if uri.startswith(SAM2_PREFIX):
        return _sam2_checkpoint(info)
    cached = cache_path(ws, info.ref.name, info.ref.version)
    if not cached.is_file():
        folder = tracker_of(ws).download(uri, dst=cached.parent / "download")
        found = next(iter(sorted(folder.rglob("*.pt"))), None)
        if found is None:
            raise ConflictError(f"the registered artifacts of {info.ref.name}@{info.ref.version} hold no .pt file")
        found.replace(cached)
    if info.ref.sha256 and file_sha256(cached) != info.ref.sha256:
        cached.unlink()
        raise ConflictError(f"weights of {info.ref.name}@{info.ref.version} do not match their recorded sha256; "
                            "the cached copy was removed, run again to download it anew")
    return cached


def _sam2_checkpoint(info: ModelInfo) -> Path:
    """The official SAM 2 checkpoint file of a ``sam2:<size>:<path>`` version (``model pull``),
    checked against its recorded sha256."""
    label = f"{info.ref.name}@{info.ref.version}"
    path = Path(info.ref.uri.split(":", 2)[-1])
    if not path.is_file():
        raise NotFoundError(f"the checkpoint of {label} is missing ({path}); "
                            "run `maskloop model pull` again to fetch it")
    if info.ref.sha256 and file_sha256(path) != info.ref.sha256:
        raise ConflictError(f"the checkpoint of {label} ({path}) does not match its recorded "
                            "sha256; delete it and run `maskloop model pull` again")
    return path


def load_registered(ws: Workspace, info: ModelInfo) -> LoadedModel:
    """Load a registered model version on the configured device."""
    from model.network.refs import load_model

    if info.ref.uri.startswith("builtin:"):
        return load_model(info.ref.uri, device=ws.settings.device)
    if info.ref.uri.startswith(SAM2_PREFIX):
        _sam2_checkpoint(info)
        return load_model(info.ref.uri, device=ws.settings.device)
    return load_model(str(local_weights(ws, info)), device=ws.settings.device)
