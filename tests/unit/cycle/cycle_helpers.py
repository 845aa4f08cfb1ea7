"""Shared helpers of the cycle tests (unit and e2e): embedded settings, a test config, a builtin model."""

from __future__ import annotations

from pathlib import Path

from flows.cycle.config import CycleConfig
from flows.cycle.workspace import Workspace
from flows.settings import Settings

DATASET = "ds"

#: Small, permissive generation so random weights still propose masklets; tiny training.
TEST_CONFIG = CycleConfig(points_per_side=4, pred_iou_thresh=0.0, stability_thresh=0.0, max_masks=2,
                          min_region_area=0, review_passes=1, train_steps=2, train_clip_len=2,
                          train_max_objects=1)


def embedded_settings(home: Path, **extra: object) -> Settings:
    values: dict[str, object] = {"home": home, "database_url": None, "s3_endpoint": None, "mlflow_tracking_uri": None,
                                 "prefect_api_url": None, "label_studio_url": None, "sample_fps": 6.0,
                                 "device": "cpu", "default_model": "builtin:tiny-cpu", "actor": "tester",
                                 "role": "data_manager", **extra}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]



def register_builtin(ws: Workspace, *, champion: bool = True) -> int:
    """Register builtin:tiny-cpu as TEST_CONFIG.model_name@1 (optionally champion); returns its id."""
    from storage.catalog.registry import register_model
    model_id, _ = register_model(ws.catalog, name=TEST_CONFIG.model_name, backend="sam2", uri="builtin:tiny-cpu",
                                 aliases=("champion",) if champion else (), **ws.who)
    return model_id
