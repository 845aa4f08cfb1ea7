"""maskloop settings: one pydantic-settings model, env prefix ``MASKLOOP_``.

Built once by the CLI (or a flow entry point) with :func:`load_settings` and passed down as an
argument; no module reads the environment on its own.

Resolution order (highest first): real environment variables, the local stack's env file
(``<home>/stack/stack.env``, written by ``maskloop stack up`` and removed by ``stack down``), the
defaults below. With no configuration at all every command runs on the embedded defaults under
``MASKLOOP_HOME`` (default ``./.maskloop``): a SQLite catalog file and a local object-store folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "MASKLOOP_"
STACK_ENV_FILENAME = "stack.env"


class Settings(BaseSettings):
    """Every knob of maskloop. Field ``foo`` is set by the variable ``MASKLOOP_FOO``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, env_file_encoding="utf-8"
    )

    # --- where things live -------------------------------------------------------------------
    home: Path = Field(Path(".maskloop"), description="Work directory of the embedded defaults.")
    stack_dir: Path | None = Field(
        None, description="State and logs of the local stack; default <home>/stack."
    )

    # --- who is acting (recorded in the audit trail) ----------------------------------------
    actor: str | None = Field(None, description="Name recorded as the actor of CLI changes; default: the OS user.")
    role: str = Field(
        "data_manager", description="Role recorded with CLI changes: data_manager, ml_engineer, admin or auditor."
    )

    # --- catalog -------------------------------------------------------------------------------
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the catalog, e.g. postgresql+psycopg://u:p@127.0.0.1:55432/maskloop."
        " Default: SQLite file <home>/catalog.sqlite.",
    )
    auditor_database_url: str | None = Field(
        None, description="URL of the SELECT-only maskloop_auditor role (read-only services)."
    )

    # --- object store --------------------------------------------------------------------------
    s3_endpoint: str | None = Field(
        None, description="host:port of an S3 server (MinIO, SeaweedFS). Default: local folder store."
    )
    s3_access_key: SecretStr | None = Field(None, description="S3 access key.")
    s3_secret_key: SecretStr | None = Field(None, description="S3 secret key.")
    s3_region: str = Field("us-east-1", description="S3 region name.")
    s3_secure: bool = Field(False, description="Use HTTPS to reach the S3 server.")
    s3_bucket: str = Field("maskloop", description="Bucket for frames, masklet blobs and manifests.")
    s3_worm_bucket: str = Field(
        "maskloop-worm", description="Object-lock (WORM) bucket for manifests and audit exports."
    )

    worm_retain_days: int = Field(
        0,
        ge=0,
        description="When > 0 (and S3 is configured), dataset manifests and audit exports are also"
        " written to the object-lock bucket, retained this many days (COMPLIANCE mode).",
    )

    # --- Label Studio --------------------------------------------------------------------------
    label_studio_url: str | None = Field(None, description="Base URL of the Label Studio server.")
    label_studio_token: SecretStr | None = Field(None, description="Label Studio API token.")
    label_studio_venv: Path = Field(
        Path(".venv-labelstudio"), description="Virtualenv holding the Label Studio server (stack)."
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Shared secret Label Studio sends with webhooks."
    )
    webhook_url: str | None = Field(
        None,
        description="URL Label Studio posts review webhooks to (the receiver's /webhooks/label-studio);"
        " registered on each round's project when its review opens. Unset or empty: no webhook.",
    )
    review_max_frames: int = Field(
        32, ge=1, le=500, description="Cap of frames shown per review task (longer masklets are subsampled)."
    )

    # --- MLflow / Prefect ----------------------------------------------------------------------
    mlflow_tracking_uri: str | None = Field(
        None, description="MLflow tracking URI. Default: sqlite:///<home>/mlflow.db."
    )
    prefect_api_url: str | None = Field(
        None, description="Prefect API URL. Default: Prefect's ephemeral in-process mode."
    )

    # --- local stack ports (all bound to 127.0.0.1) ---------------------------------------------
    stack_host: str = Field("127.0.0.1", description="Address every stack service binds to.")
    stack_postgres_port: int = Field(55432, description="PostgreSQL port of the local stack.")
    stack_s3_port: int = Field(8333, description="SeaweedFS S3 gateway port of the local stack.")
    stack_label_studio_port: int = Field(8089, description="Label Studio port of the local stack.")
    stack_mlflow_port: int = Field(5001, description="MLflow server port of the local stack.")
    stack_prefect_port: int = Field(4201, description="Prefect server port of the local stack.")
    stack_webhook_port: int = Field(8765, description="Webhook receiver port of the local stack.")

    # --- model / cycle -------------------------------------------------------------------------
    device: str = Field("auto", description="Torch device: auto (CUDA if present, else CPU), cpu, cuda[:N].")
    default_model: str = Field("builtin:default", description="Model reference used when none is given.")
    sample_fps: float = Field(6.0, gt=0, description="Frames per second kept at ingest.")
    promotion_margin: float = Field(
        0.0, ge=0, description="J&F a candidate must gain over the champion to be promoted."
    )
    retrain_after_accepted: int = Field(
        50, ge=1, description="Accepted masklets since the last dataset version that trigger retraining."
    )
    sam2_checkpoint_base_url: str = Field(
        "https://dl.fbaipublicfiles.com/segment_anything_2/092824/",
        description="Where `maskloop model pull` downloads the SAM 2.1 checkpoints from (Meta's"
        " release, or a mirror serving the same file names).",
    )

    # --- derived -------------------------------------------------------------------------------
    @property
    def resolved_stack_dir(self) -> Path:
        """Directory holding the local stack's state, logs and env file."""
        return self.stack_dir if self.stack_dir is not None else self.home / "stack"

    @property
    def catalog_url(self) -> str:
        """SQLAlchemy URL of the catalog (SQLite under ``home`` when none is configured)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'catalog.sqlite').resolve()}"

    @property
    def objects_dir(self) -> Path:
        """Folder of the embedded object store."""
        return self.home / "objects"

    @property
    def tracking_uri(self) -> str:
        """MLflow tracking URI (SQLite under ``home`` when none is configured)."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    @property
    def uses_s3(self) -> bool:
        """True when an S3 server is configured instead of the local folder store."""
        return bool(self.s3_endpoint)


def stack_env_path(home: Path, stack_dir: Path | None = None) -> Path:
    """Path of the env file the local stack writes (``<stack_dir>/stack.env``)."""
    return (stack_dir if stack_dir is not None else home / "stack") / STACK_ENV_FILENAME


def load_settings(**overrides: object) -> Settings:
    """Build the settings once: environment, then the stack env file if present, then defaults.

    ``overrides`` (e.g. from CLI options) win over everything.
    """
    home = Path(str(overrides.get("home") or os.environ.get(f"{ENV_PREFIX}HOME", ".maskloop")))
    stack_dir_raw = overrides.get("stack_dir") or os.environ.get(f"{ENV_PREFIX}STACK_DIR")
    stack_dir = Path(str(stack_dir_raw)) if stack_dir_raw else None
    env_file = stack_env_path(home, stack_dir)
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(_env_file=env_file if env_file.is_file() else None, **clean)  # type: ignore[call-arg]
