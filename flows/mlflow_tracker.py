"""MLflow side of retraining: one run per training, the dataset version as an input, the
checkpoint and report as artifacts, a registered model version, and the ``champion`` alias.

Only flows/ talks to MLflow. Works against a tracking server (``http://...``) or an embedded SQLite
store (``sqlite:///...``); the file store is not used (its model registry raises in MLflow 3).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flows.errors import NotFoundError, UnavailableError

CHAMPION = "champion"
EXPERIMENT = "maskloop-retraining"
#: MLflow stores at most 36 characters of a dataset digest: the manifest sha256 is cut to that
#: prefix there and kept whole in the input's ``manifest_sha256`` tag.
DIGEST_MAX = 36


@dataclass(frozen=True)
class DatasetInput:
    """A dataset version as MLflow sees it: ``name`` NAME@N, ``digest`` manifest sha256 (logged as
    its first :data:`DIGEST_MAX` hex digits, the whole in a tag),
    ``source`` the manifest's object-store URI, ``n_members`` masklet revisions in it."""

    name: str
    digest: str
    source: str
    n_members: int


@dataclass(frozen=True)
class RegisteredVersion:
    """A model version in the MLflow registry."""

    name: str
    version: int
    run_id: str
    source: str


class MlflowTracker:
    """Thin, typed wrapper over the MLflow client for the retraining flow."""

    def __init__(
        self, tracking_uri: str, *, experiment: str = EXPERIMENT, artifact_root: Path | None = None
    ) -> None:
        """``artifact_root``: where an embedded store keeps artifacts (a server decides itself)."""
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        import mlflow
        from mlflow import MlflowClient

        self._mlflow = mlflow
        self._tracking_uri = tracking_uri
        mlflow.set_tracking_uri(tracking_uri)
        self.client = MlflowClient(tracking_uri=tracking_uri)
        try:
            found = self.client.get_experiment_by_name(experiment)
            self.experiment_id = (
                found.experiment_id
                if found
                else self.client.create_experiment(
                    experiment,
                    artifact_location=artifact_root.resolve().as_uri() if artifact_root else None,
                )
            )
        except Exception as exc:
            raise UnavailableError(f"cannot reach MLflow at {tracking_uri}: {exc}") from exc

    # --- runs ------------------------------------------------------------------------------------
    def start_run(
        self, *, run_name: str, params: Mapping[str, object], tags: Mapping[str, str],
        dataset: DatasetInput | None,
    ) -> str:
        """Create a run with params, tags and the dataset version as a training input (None: no
        input, e.g. a bootstrap run registering given weights); returns its id."""
        import pandas as pd
        from mlflow.data.pandas_dataset import from_pandas

        run = self.client.create_run(self.experiment_id, run_name=run_name, tags=dict(tags))
        run_id = run.info.run_id
        for key, value in params.items():
            self.client.log_param(run_id, key, value)
        if dataset is None:
            return run_id
        frame = pd.DataFrame({"dataset_version": [dataset.name], "members": [float(dataset.n_members)]})
        with warnings.catch_warnings():  # source-type and schema hints irrelevant to a manifest reference
            warnings.simplefilter("ignore", UserWarning)
            ds = from_pandas(frame, source=dataset.source, name=dataset.name, digest=dataset.digest[:DIGEST_MAX])
            with self._mlflow.start_run(run_id=run_id):
                self._mlflow.log_input(ds, context="training", tags={"dataset_version": dataset.name,
                                                                     "manifest_sha256": dataset.digest})
        return run_id

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], *, step: int) -> None:
        """Log scalar metrics at ``step`` (training step or epoch)."""
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(
            run_id, metrics=[Metric(k, float(v), now, step) for k, v in metrics.items()]
        )

    def log_artifact(self, run_id: str, path: Path, *, artifact_path: str) -> None:
        self.client.log_artifact(run_id, str(path), artifact_path=artifact_path)

    def finish(self, run_id: str, *, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status=status)

    # --- registry --------------------------------------------------------------------------------
    def register(self, *, name: str, run_id: str, artifact_path: str,
                 tags: Mapping[str, str]) -> RegisteredVersion:
        """Register the run's ``artifact_path`` (the checkpoint folder) as a new model version."""
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(name)
        except MlflowException:
            self.client.create_registered_model(name)
        run = self.client.get_run(run_id)
        source = f"{run.info.artifact_uri}/{artifact_path}"
        mv = self.client.create_model_version(name, source=source, run_id=run_id, tags=dict(tags))
        return RegisteredVersion(name=name, version=int(mv.version), run_id=run_id, source=source)

    def champion(self, name: str) -> RegisteredVersion | None:
        """The version holding the ``champion`` alias, or None when there is none yet."""
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version_by_alias(name, CHAMPION)
        except MlflowException:
            return None
        return RegisteredVersion(name=name, version=int(mv.version), run_id=mv.run_id or "",
                                 source=mv.source)

    def set_champion(self, name: str, version: int) -> None:
        """Move the ``champion`` alias to ``version`` (NotFoundError if it does not exist)."""
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_model_version(name, str(version))
        except MlflowException as exc:
            raise NotFoundError(f"model {name} has no version {version} in MLflow") from exc
        self.client.set_registered_model_alias(name, CHAMPION, str(version))

    def download(self, source: str, *, dst: Path) -> Path:
        """Fetch a registered version's artifacts to ``dst``; returns the local path."""
        dst.mkdir(parents=True, exist_ok=True)
        return Path(self._mlflow.artifacts.download_artifacts(source, dst_path=str(dst),
                                                               tracking_uri=self._tracking_uri))
