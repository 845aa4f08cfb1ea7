"""Typed deployment definitions read from infra/prefect.yaml (the one source of truth).

``maskloop deploy`` registers exactly what :func:`load_specs` returns; ``prefect deploy --all
--prefect-file infra/prefect.yaml`` reads the same file. Shapes (all immutable):

- :class:`ScheduleSpec`: ``cron`` (5-field cron string), ``timezone`` (IANA name), ``active``,
  ``parameters`` (overrides for runs of this schedule).
- :class:`EventTriggerSpec`: ``expect`` (event names), ``match`` (resource label -> glob),
  ``parameters`` (Jinja templates such as ``{{ event.payload.project_id }}``).
- :class:`DeploymentSpec`: ``name``, ``entrypoint`` (``path/to/file.py:flow_function``, relative to
  the repository root), ``work_pool``, schedules, triggers, default parameters, tags,
  ``concurrency_limit`` (flow runs of this deployment at once; None = unlimited).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.errors import InvalidInputError, NotFoundError

#: Where the deployments are defined, relative to the repository root.
PREFECT_YAML = Path("infra") / "prefect.yaml"


@dataclass(frozen=True)
class ScheduleSpec:
    """One cron schedule of a deployment."""

    cron: str
    timezone: str = "UTC"
    active: bool = True
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventTriggerSpec:
    """Run the deployment when an event named in ``expect`` arrives on a resource matching ``match``."""

    expect: tuple[str, ...]
    match: dict[str, str]
    parameters: dict[str, Any] = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True)
class DeploymentSpec:
    """A deployment ``<flow name>/<name>`` on ``work_pool``."""

    name: str
    entrypoint: str
    work_pool: str
    description: str = ""
    tags: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: tuple[ScheduleSpec, ...] = ()
    triggers: tuple[EventTriggerSpec, ...] = ()
    concurrency_limit: int | None = None

    @property
    def entrypoint_path(self) -> str:
        """The file part of the entrypoint (``flows/cycle/x.py``)."""
        return self.entrypoint.rsplit(":", 1)[0]

    @property
    def function_name(self) -> str:
        """The flow function part of the entrypoint."""
        return self.entrypoint.rsplit(":", 1)[1]


def _schedule(raw: dict[str, Any], where: str) -> ScheduleSpec:
    cron = raw.get("cron")
    if not isinstance(cron, str) or len(cron.split()) != 5:
        raise InvalidInputError(f"{where}: a schedule needs `cron` with 5 fields (got {cron!r})")
    return ScheduleSpec(
        cron=cron,
        timezone=str(raw.get("timezone") or "UTC"),
        active=bool(raw.get("active", True)),
        parameters=dict(raw.get("parameters") or {}),
    )


def _trigger(raw: dict[str, Any], where: str) -> EventTriggerSpec:
    if raw.get("type", "event") != "event":
        raise InvalidInputError(f"{where}: only `type: event` triggers are supported")
    expect = raw.get("expect") or []
    match = raw.get("match") or {}
    if not expect or not isinstance(match, dict) or not match:
        raise InvalidInputError(f"{where}: an event trigger needs `expect` and `match`")
    return EventTriggerSpec(
        expect=tuple(str(e) for e in expect),
        match={str(k): str(v) for k, v in match.items()},
        parameters=dict(raw.get("parameters") or {}),
        name=raw.get("name"),
    )


def _concurrency(raw: object, where: str) -> int | None:
    if raw is None:
        return None
    value = raw.get("limit") if isinstance(raw, dict) else raw
    if not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{where}: concurrency_limit must be a positive integer")
    return value


def spec_from_dict(raw: dict[str, Any]) -> DeploymentSpec:
    """One ``deployments:`` entry of a prefect.yaml as a :class:`DeploymentSpec`."""
    name = raw.get("name")
    where = f"deployment {name!r}"
    entrypoint = raw.get("entrypoint")
    if not name or not isinstance(entrypoint, str) or ".py:" not in entrypoint:
        raise InvalidInputError(f"{where}: needs a name and an entrypoint `path/file.py:function`")
    pool = (raw.get("work_pool") or {}).get("name")
    if not pool:
        raise InvalidInputError(f"{where}: needs `work_pool: {{name: ...}}`")
    return DeploymentSpec(
        name=str(name),
        entrypoint=entrypoint,
        work_pool=str(pool),
        description=str(raw.get("description") or ""),
        tags=tuple(str(t) for t in raw.get("tags") or ()),
        parameters=dict(raw.get("parameters") or {}),
        schedules=tuple(_schedule(s, where) for s in raw.get("schedules") or ()),
        triggers=tuple(_trigger(t, where) for t in raw.get("triggers") or ()),
        concurrency_limit=_concurrency(raw.get("concurrency_limit"), where),
    )


def load_specs(path: Path) -> tuple[DeploymentSpec, ...]:
    """Every deployment of the prefect.yaml at ``path`` (names must be unique)."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise NotFoundError(f"{path} not found; run from the repository root or pass --prefect-file") from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{path} is not valid YAML: {exc}") from exc
    specs = tuple(spec_from_dict(d) for d in doc.get("deployments") or ())
    names = [s.name for s in specs]
    if not specs or len(set(names)) != len(names):
        raise InvalidInputError(f"{path}: needs at least one deployment and unique names (got {names})")
    return specs


def find_spec(specs: tuple[DeploymentSpec, ...], name: str) -> DeploymentSpec:
    """The spec called ``name``."""
    for spec in specs:
        if spec.name == name:
            return spec
    raise InvalidInputError(f"no deployment {name!r} in prefect.yaml; known: {', '.join(s.name for s in specs)}")
