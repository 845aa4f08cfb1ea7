"""The env file ``<dir>/stack.env`` that ``stack up`` writes and :func:`flows.settings.load_settings` reads.

Format: one ``export KEY=value`` line per variable (shell- and dotenv-compatible), mode 0600.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from flows.settings import STACK_ENV_FILENAME
from flows.stack.records import StackInfo
from flows.stack.state import write_private


def env_path(stack_dir: Path) -> Path:
    """``<stack_dir>/stack.env``."""
    return stack_dir / STACK_ENV_FILENAME


def stack_env(info: StackInfo) -> dict[str, str]:
    """Variables clients need to use ``info``'s services (maskloop's and the tools' own names)."""
    env: dict[str, str] = {}
    if info.database_url:
        env["MASKLOOP_DATABASE_URL"] = info.database_url
    if info.s3_endpoint:
        env["MASKLOOP_S3_ENDPOINT"] = info.s3_endpoint
        env["MASKLOOP_S3_ACCESS_KEY"] = info.s3_access_key or ""
        env["MASKLOOP_S3_SECRET_KEY"] = info.s3_secret_key or ""
        env["MASKLOOP_S3_REGION"] = info.s3_region
        env["MASKLOOP_S3_BUCKET"] = info.s3_bucket
        env["MASKLOOP_S3_WORM_BUCKET"] = info.s3_worm_bucket
    if info.label_studio_url:
        env["MASKLOOP_LABEL_STUDIO_URL"] = info.label_studio_url
        env["MASKLOOP_LABEL_STUDIO_TOKEN"] = info.label_studio_token or ""
    if info.mlflow_tracking_uri:
        env["MASKLOOP_MLFLOW_TRACKING_URI"] = info.mlflow_tracking_uri
        env["MLFLOW_TRACKING_URI"] = info.mlflow_tracking_uri
    if info.prefect_api_url:
        env["MASKLOOP_PREFECT_API_URL"] = info.prefect_api_url
        env["PREFECT_API_URL"] = info.prefect_api_url
    env["MASKLOOP_WEBHOOK_SECRET"] = info.webhook_secret
    if info.webhook_url:
        env["MASKLOOP_WEBHOOK_URL"] = info.webhook_url
    if info.s3_endpoint:
        env["MLFLOW_S3_ENDPOINT_URL"] = f"http://{info.s3_endpoint}"
        env["AWS_ACCESS_KEY_ID"] = info.s3_access_key or ""
        env["AWS_SECRET_ACCESS_KEY"] = info.s3_secret_key or ""
        env["AWS_DEFAULT_REGION"] = info.s3_region
    return env


def render(env: dict[str, str]) -> str:
    """``export KEY=value`` lines (values shell-quoted when needed), newline-terminated."""
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())


def parse(text: str) -> dict[str, str]:
    """Inverse of :func:`render` (also accepts lines without ``export`` and ``#`` comments)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        parts = shlex.split(value) if value else [""]
        out[key.strip()] = parts[0] if parts else ""
    return out


def write_env_file(stack_dir: Path, env: dict[str, str]) -> Path:
    """Write ``env`` to ``<stack_dir>/stack.env`` (mode 0600); returns the path."""
    path = env_path(stack_dir)
    write_private(
        path, "# written by `maskloop stack up`; removed by `maskloop stack down`\n" + render(env)
    )
    return path


def read_env_file(stack_dir: Path) -> dict[str, str]:
    """Variables of ``<stack_dir>/stack.env`` (empty when the file does not exist)."""
    try:
        return parse(env_path(stack_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def remove_env_file(stack_dir: Path) -> None:
    """Delete ``<stack_dir>/stack.env`` if present."""
    env_path(stack_dir).unlink(missing_ok=True)
