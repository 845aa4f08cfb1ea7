"""Retrain on a dataset version, logged in MLflow, registered as a new model version.

MLflow run: params (training config, base model, dataset version), per-step metrics (loss,
train IoU, learning rate) and per-epoch means (an epoch = one step per training video), the
dataset version as a ``training`` input (name NAME@N, digest = manifest sha256, source = the
manifest's object-store URI), the checkpoint (``checkpoint/model.pt``) and the validation report
(``evaluation/report.json``) as artifacts, tags with catalog ids. The new version is registered in
MLflow and in the catalog under the same number; the catalog's training_run row carries the MLflow
run id and its final metrics. Promotion is a separate step (flows/cycle/evaluate_flow.py).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from prefect import flow

from flows.cycle.champion import (
    CHECKPOINT_DIR,
    SAM2_PREFIX,
    ensure_champion,
    file_sha256,
    local_weights,
)
from flows.cycle.commit_version import manifest_uri
from flows.cycle.config import CycleConfig
from flows.cycle.training_data import TrainVideo, training_videos, validation_digest
from flows.cycle.workspace import Workspace, open_workspace
from flows.mlflow_tracker import DatasetInput, MlflowTracker
from flows.orchestration.gpu_slot import gpu_slot
from flows.settings import Settings
from storage.catalog.model_aliases import ModelInfo, list_models, record_evaluation
from storage.catalog.registry import add_training_run, finish_training_run, register_model
from storage.versions.members import get_version, version_members


@dataclass(frozen=True)
class TrainOutcome:
    """A finished retraining: the new model version, its MLflow run and validation scores."""

    model: str  # NAME@VERSION
    model_version_id: int
    version: int
    training_run_id: int
    mlflow_run_id: str
    dataset_version: str
    base: str
    val: dict


def resolve_base(ws: Workspace, base: str | None, cfg: CycleConfig) -> tuple[ModelInfo | None, Path, str]:
    """(registered model or None, checkpoint path, label) of the base: the champion by default,
    ``NAME@VERSION`` of a registered model, or any model reference (builtin:..., a path)."""
    if base is None:
        champion = ensure_champion(ws, cfg)
        return champion, local_weights(ws, champion), f"{champion.ref.name}@{champion.ref.version}"
    from flows.cycle.champion import write_checkpoint_of

    staged = ws.settings.home / "models" / "bases" / "base.pt"
    if "@" in base:
        name, _, ver = base.rpartition("@")
        for info in list_models(ws.catalog, name):
            if str(info.ref.version) != ver:
                continue
            if info.ref.uri.startswith(SAM2_PREFIX):  # official checkpoint (`maskloop model pull`)
                local_weights(ws, info)  # present and matching its recorded sha256
                path = write_checkpoint_of(info.ref.uri, staged, device=ws.settings.device)
                return info, path, base
            return info, local_weights(ws, info), base
    path = write_checkpoint_of(base, staged, device=ws.settings.device)
    return None, path, base


def _train(ws: Workspace, tracker: MlflowTracker, run_id: str, *, base_path: Path, videos: list[TrainVideo],
           cfg: CycleConfig, out: Path, progress: Callable[[int, int], None] | None) -> Path:
    from model.network.refs import load_model
    from model.train.config import TrainConfig
    from model.train.sampler import ClipSampler
    from model.train.trainer import Trainer

    base = load_model(str(base_path), device="cpu")
    arch = base.arch
    if arch.config == "maskloop-lite":  # model.network.architecture.LITE_CONFIG
        return _fine_tune_lite(tracker, run_id, base=base, videos=videos, cfg=cfg, out=out, progress=progress)
    sampler = ClipSampler([(v.frames, v.masks) for v in videos], clip_len=cfg.train_clip_len,
                          max_objects=cfg.train_max_objects, image_size=int(base.network.image_size))
    train_cfg = TrainConfig(seed=cfg.seed, total_steps=cfg.train_steps, lr=cfg.train_lr,
                            warmup_steps=max(1, cfg.train_steps // 10), clip_len=cfg.train_clip_len,
                            max_objects=cfg.train_max_objects)
    trainer = Trainer(arch, sampler, train_cfg, init_state=base.network.state_dict())
    per_epoch = max(1, len(videos))
    epoch: list[dict[str, float]] = []

    def on_step(step: int, metrics: dict[str, float]) -> None:
        keep = {k: v for k, v in metrics.items() if k in ("loss_total", "train_iou", "lr", "grad_norm")}
        tracker.log_metrics(run_id, keep, step=step)
        epoch.append(keep)
        if len(epoch) == per_epoch or step == cfg.train_steps:
            tracker.log_metrics(run_id, {f"epoch_{k}": float(np.mean([m[k] for m in epoch]))
                                         for k in ("loss_total", "train_iou")}, step=(step - 1) // per_epoch + 1)
            epoch.clear()
        if progress is not None:
            progress(step, cfg.train_steps)

    with gpu_slot():
        trainer.run(cfg.train_steps, callback=on_step)
    from model.network.checkpoint import write_checkpoint

    return write_checkpoint(out, arch=arch, model_state=trainer.network.state_dict(), step=trainer.step,
                            extra={"train_config": train_cfg.to_dict()})


def _fine_tune_lite(tracker: MlflowTracker, run_id: str, *, base, videos: list[TrainVideo],
                    cfg: CycleConfig, out: Path, progress: Callable[[int, int], None] | None) -> Path:
    """The lite default network: the decoder fine-tuned on the version's videos (encoder frozen)."""
    from model.network.checkpoint import write_checkpoint
    from model.train.lite.fine_tune import fine_tune

    def on_step(step: int, metrics: dict[str, float]) -> None:
        tracker.log_metrics(run_id, {k: v for k, v in metrics.items()
                                     if k in ("loss", "prompt", "track", "track_J", "lr")}, step=step)
        if progress is not None:
            progress(step, cfg.train_steps)

    with gpu_slot():
        net = fine_tune(base.network, [(v.frames, v.masks) for v in videos], steps=cfg.train_steps,
                        lr=cfg.train_lr, seed=cfg.seed, on_step=on_step)
    return write_checkpoint(out, arch=base.arch, model_state=net.state_dict(), step=cfg.train_steps,
                            extra={"recipe": "model.train.lite.fine_tune", "steps": cfg.train_steps,
                                   "lr": cfg.train_lr})


def run_retraining(ws: Workspace, dataset_version: str, *, base: str | None = None, cfg: CycleConfig,
                   progress: Callable[[int, int], None] | None = None,
                   round_id: int | None = None) -> TrainOutcome:
    """Train, evaluate and register (see module docstring); does not promote."""
    from flows.cycle.champion import tracker_of
    from flows.cycle.evaluate import score_model
    from flows.cycle.training_data import validation_sequences

    ref = get_version(ws.catalog, dataset_version)
    base_info, base_path, base_label = resolve_base(ws, base, cfg)
    videos = training_videos(ws, ref.name, origins=cfg.train_origins)
    sequences = validation_sequences(ws, ref.name)
    n_members = len(version_members(ws.catalog, ref.name))
    tracker = tracker_of(ws)
    params = {"dataset_version": ref.name, "base": base_label, "steps": cfg.train_steps, "lr": cfg.train_lr,
              "clip_len": cfg.train_clip_len, "max_objects": cfg.train_max_objects, "seed": cfg.seed,
              "train_origins": ",".join(cfg.train_origins), "train_videos": len(videos),
              "round_id": round_id if round_id is not None else ""}
    run_id = tracker.start_run(
        run_name=f"train {ref.name}", params=params,
        tags={"maskloop.dataset_version": ref.name, "maskloop.base_model": base_label,
              "maskloop.round_id": str(round_id or "")},
        dataset=DatasetInput(name=ref.name, digest=ref.manifest_sha256, source=manifest_uri(ws, ref),
                             n_members=n_members))
    who = ws.as_role("ml_engineer")
    train_id = add_training_run(ws.catalog, dataset_version=ref.name, mlflow_run_id=run_id, params=params,
                                base_model_version_id=base_info.id if base_info else None, **who)
    tracker.client.set_tag(run_id, "maskloop.training_run_id", str(train_id))
    try:
        with tempfile.TemporaryDirectory(prefix="maskloop-train-") as tmp:
            ckpt = _train(ws, tracker, run_id, base_path=base_path, videos=videos, cfg=cfg,
                          out=Path(tmp) / "model.pt", progress=progress)
            tracker.log_artifact(run_id, ckpt, artifact_path=CHECKPOINT_DIR)
            sha = file_sha256(ckpt)
            from model.network.refs import load_model

            with gpu_slot():
                val = score_model(load_model(str(ckpt), device=ws.settings.device), sequences)
            report = Path(tmp) / "report.json"
            report.write_text(json.dumps({"dataset_version": ref.name, "base": base_label, "val": val}, indent=1))
            tracker.log_artifact(run_id, report, artifact_path="evaluation")
            tracker.log_metrics(run_id, {"val_J": val["J"], "val_F": val["F"], "val_JF": val["JF"]},
                                step=cfg.train_steps)
            registered = tracker.register(name=cfg.model_name, run_id=run_id, artifact_path=CHECKPOINT_DIR,
                                          tags={"maskloop.sha256": sha, "maskloop.training_run_id": str(train_id),
                                                "maskloop.dataset_version": ref.name})
            model_id, _ = register_model(ws.catalog, name=cfg.model_name, backend="sam2", uri=registered.source,
                                         sha256=sha, training_run_id=train_id,
                                         version=registered.version, **who)
            from flows.cycle.champion import cache_path

            cached = cache_path(ws, cfg.model_name, registered.version)
            cached.parent.mkdir(parents=True, exist_ok=True)
            ckpt.replace(cached)
        tracker.client.set_tag(run_id, "maskloop.model_version_id", str(model_id))
        metrics = {"val_J": val["J"], "val_F": val["F"], "val_JF": val["JF"]}
        finish_training_run(ws.catalog, train_id, status="finished", metrics=metrics, **who)
        tracker.finish(run_id)
    except BaseException:
        finish_training_run(ws.catalog, train_id, status="failed", metrics={}, **who)
        tracker.finish(run_id, status="FAILED")
        raise
    record_evaluation(ws.catalog, model_version_id=model_id, dataset_version=ref.name,
                      val_digest=validation_digest(ws, ref.name), scores=val, **who)
    return TrainOutcome(model=f"{cfg.model_name}@{registered.version}", model_version_id=model_id,
                        version=registered.version, training_run_id=train_id, mlflow_run_id=run_id,
                        dataset_version=ref.name, base=base_label, val=val)


@flow(name="retrain")
def retrain(dataset_version: str, base: str | None = None, settings: Settings | None = None,
            config: CycleConfig | None = None) -> TrainOutcome:
    """Retrain on ``dataset_version`` (default base: the champion), then gate promotion."""
    from flows.cycle.evaluate_flow import promote_if_better

    cfg = config or CycleConfig()
    with open_workspace(settings) as ws:
        outcome = run_retraining(ws, dataset_version, base=base, cfg=cfg)
        promote_if_better(ws, outcome.version, dataset_version, cfg=cfg)
        return outcome
