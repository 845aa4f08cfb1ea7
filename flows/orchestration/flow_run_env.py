"""The environment a deployment's flow runs get (``job_variables.env``), without any secret.

A process worker starts each flow run as ``python -m flows.orchestration.flow_run_main`` (Prefect's
engine, see ``deployer.engine_command``) in the repository root with the worker's own environment
plus this mapping. It carries every non-secret setting (absolute
``MASKLOOP_HOME``, ``MASKLOOP_STACK_DIR``, the service URLs, model and cycle knobs) so the run
builds the same :class:`flows.settings.Settings` as the command that deployed it. Secrets never go
into the deployment (the Prefect API stores and shows job variables): they come from the stack's
``stack.env`` (found through ``MASKLOOP_STACK_DIR``; mode 0600) or, in production, from the
worker's own environment (e.g. a Kubernetes secret).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from flows.settings import ENV_PREFIX, STACK_ENV_FILENAME, Settings

#: Settings set separately (home, stack dir) or only used to run the stack (``stack_*``, the venv).
_NEVER = frozenset({"stack_dir", "home", "label_studio_venv"})


def _has_password(value: str) -> bool:
    try:
        return urlsplit(value).password is not None
    except ValueError:
        return True  # unparseable: treat as secret


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return str(value.resolve())
    return str(value)


def flow_run_env(settings: Settings) -> dict[str, str]:
    """``MASKLOOP_*`` variables for flow runs: every set, non-secret setting; paths absolute.

    ``MASKLOOP_STACK_DIR`` is included only when that directory holds a ``stack.env``.
    """
    env: dict[str, str] = {f"{ENV_PREFIX}HOME": str(settings.home.resolve())}
    stack_dir = settings.resolved_stack_dir.resolve()
    if (stack_dir / STACK_ENV_FILENAME).is_file():
        env[f"{ENV_PREFIX}STACK_DIR"] = str(stack_dir)
    for name in type(settings).model_fields:
        if name in _NEVER or name.startswith("stack_"):
            continue
        value = getattr(settings, name)
        if value is None or isinstance(value, SecretStr):
            continue
        text = _text(value)
        if "://" in text and _has_password(text):
            continue
        env[f"{ENV_PREFIX}{name.upper()}"] = text
    return env


def secret_names(settings: Settings) -> tuple[str, ...]:
    """Names of the variables :func:`flow_run_env` leaves out because they are (or hold) secrets."""
    left_out: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) or (isinstance(value, str) and "://" in value and _has_password(value)):
            left_out.append(f"{ENV_PREFIX}{name.upper()}")
    return tuple(left_out)
