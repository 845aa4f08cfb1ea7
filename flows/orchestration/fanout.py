"""Fan masklet generation out: one flow run per video on the ``generate-masklets`` deployment.

With a Prefect server configured, :func:`run_generation_fanout` submits one flow run per video
(``run_deployment(..., timeout=0)``: it returns at once) to the ``gpu`` work pool, so every GPU
worker of the pool shares the round, then waits until every run is final. It submits in two
waves: first one lead run per ``gpu`` slot (one per GPU worker), then the rest once every lead run
is Running. A worker takes as many runs as its pool allows (``server_setup.PREFETCH``, 2) at each
poll; submitted together, the first two would start their interpreters side by side, and the first
one's start-up -- the only one no model work hides -- took 2.5 to 4 s on 2 cores instead of about
1.8 s alone. Later runs start while the lead run works, so the wait costs the round nothing
(bench/bench_orchestration.py on 2 cores, otherwise alike: median share 7.2 % in one wave, 5.9 % in
two, 3 runs each). Between reads of the runs the fan-out waits on their state events
(:class:`flows.orchestration.event_watch.EventWatch`), with a :data:`POLL_S` fallback. Without a
server (embedded defaults) it calls the same flow in-process, video after video. Generation is idempotent
per video, so rerunning a fan-out after a crash only redoes the videos that did not finish.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flows.errors import FlowError, NotFoundError

if TYPE_CHECKING:
    from flows.orchestration.event_watch import Waiter

#: Name of the per-video generation deployment in infra/prefect.yaml.
GENERATE_DEPLOYMENT = "generate-masklets"


@dataclass(frozen=True)
class VideoRun:
    """Outcome of one video's generation: ``state`` is a Prefect state type (COMPLETED, CRASHED, ...)."""

    video_id: int
    flow_run_id: str | None
    state: str


@dataclass(frozen=True)
class FanoutResult:
    """Every video's run; ``mode`` is ``deployment`` (server, workers) or ``in-process``."""

    round_id: int
    mode: str
    runs: tuple[VideoRun, ...]
    seconds: float

    @property
    def failed(self) -> tuple[VideoRun, ...]:
        """Runs that did not complete."""
        return tuple(r for r in self.runs if r.state != "COMPLETED")


def generation_parameters(
    *, round_id: int, video_id: int, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Parameters of one generation flow run (``extra``: more flow parameters, JSON-able)."""
    return {**dict(extra or {}), "round_id": int(round_id), "video_id": int(video_id)}


def _server_url(api_url: str | None) -> str | None:
    if api_url is not None:
        return api_url or None
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def generation_spec() -> Any:
    """The ``generate-masklets`` deployment spec of infra/prefect.yaml."""
    from flows.orchestration.deployer import repo_root
    from flows.orchestration.deployment_spec import PREFECT_YAML, find_spec, load_specs

    return find_spec(load_specs(repo_root() / PREFECT_YAML), GENERATE_DEPLOYMENT)


def deployment_id(client: Any, name: str, entrypoint: str) -> Any:
    """Id of the deployment ``name`` whose entrypoint is ``entrypoint`` (names are unique per flow only)."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    found = client.read_deployments(deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name])))
    ours = [d for d in found if d.entrypoint == entrypoint]
    if not ours:
        raise NotFoundError(f"no deployment {name!r} of {entrypoint} on the Prefect server; run `maskloop deploy`")
    return ours[0].id


#: The state every lead run (one per ``gpu`` slot) reaches before the other runs are submitted
#: (``PENDING``: a worker took it; ``RUNNING``: its body started); None submits all at once.
LEAD_UNTIL: str | None = "RUNNING"
#: Seconds the second wave waits for the lead runs at most (no worker up, a slow image pull, ...).
LEAD_WAIT_S = 20.0
_LATER = {"PENDING": frozenset({"PENDING", "RUNNING"}), "RUNNING": frozenset({"RUNNING"})}

#: Seconds between two reads of the runs when no event arrived (the event stream wakes the fan-out
#: within tens of ms of a state change; this covers a dropped stream).
POLL_S = 1.0

#: Flow runs read per API call (the server caps a page at 200).
_PAGE = 200


def _read_runs(client: Any, ids: list[Any]) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    runs: list[Any] = []
    for start in range(0, len(ids), _PAGE):
        page = ids[start : start + _PAGE]
        runs += client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=page)), limit=len(page))
    return runs


#: Events that wake the fan-out to read its runs again (Prefect emits ``prefect.flow-run.<state
#: name>`` on every state change): the lead runs starting, and every terminal state.
FLOW_RUN_EVENTS = tuple(f"prefect.flow-run.{name}" for name in
                        ("Running", "Completed", "Failed", "Crashed", "Cancelled", "TimedOut"))


def _wait_for(client: Any, ids: list[Any], *, done: Callable[[Any], bool], watch: Waiter, poll_s: float,
              timeout_s: float | None) -> list[Any]:
    """Read the runs ``ids`` until ``done(run)`` holds for each (or ``timeout_s`` passed); between two
    reads wait for an event of ``watch`` or ``poll_s`` seconds. Returns the last read."""
    started = time.monotonic()
    while True:
        watch.clear()  # before the read: an event after it wakes the next wait, one before it is in it
        runs = _read_runs(client, ids)
        if len(runs) == len(ids) and all(r.state is not None and done(r) for r in runs):
            return runs
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            return runs
        watch.wait(poll_s)


def _is_final(run: Any) -> bool:
    return bool(run.state.is_final())


def _reached(state: str) -> Callable[[Any], bool]:
    later = _LATER[state]
    return lambda run: run.state.type.value in later or run.state.is_final()


def _lead_count(client: Any) -> int:
    """Slots of the global ``gpu`` limit (one per GPU worker); 1 when the limit is not there."""
    from flows.orchestration.server_setup import GPU_LIMIT

    try:
        return max(1, int(client.read_global_concurrency_limit_by_name(GPU_LIMIT).limit))
    except Exception:  # noqa: BLE001 -- no limit yet (``maskloop deploy`` not run): one lead run
        return 1


def _submit_and_wait(
    round_id: int, video_ids: Sequence[int], *, api_url: str, poll_s: float, timeout_s: float | None,
    extra: Mapping[str, Any] | None, lead_until: str | None,
) -> tuple[VideoRun, ...]:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.orchestration.event_watch import EventWatch

    with temporary_settings(updates={PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        target = deployment_id(client, GENERATE_DEPLOYMENT, generation_spec().entrypoint)

        def submit(video_id: int) -> tuple[int, Any]:
            return int(video_id), run_deployment(
                target,
                parameters=generation_parameters(round_id=round_id, video_id=video_id, extra=extra),
                timeout=0,
                flow_run_name=f"round-{round_id}-video-{video_id}",
                tags=[f"round:{round_id}", f"video:{video_id}"],
            ).id

        n_lead = _lead_count(client) if lead_until else len(video_ids)
        submitted = [submit(v) for v in video_ids[:n_lead]]
        # subscribe once the lead runs are submitted: connecting overlaps their start-up
        with EventWatch(events=FLOW_RUN_EVENTS) as watch:
            if lead_until and len(video_ids) > n_lead:
                lead_s = LEAD_WAIT_S if timeout_s is None else min(LEAD_WAIT_S, timeout_s)
                _wait_for(client, [f for _, f in submitted], done=_reached(lead_until), watch=watch,
                          poll_s=poll_s, timeout_s=lead_s)
            submitted += [submit(v) for v in video_ids[n_lead:]]
            runs = _wait_for(client, [f for _, f in submitted], done=_is_final, watch=watch, poll_s=poll_s,
                             timeout_s=timeout_s)
    states = {str(r.id): (r.state.type.value if r.state else "PENDING") for r in runs}
    return tuple(VideoRun(video_id=v, flow_run_id=str(f), state=states.get(str(f), "PENDING")) for v, f in submitted)


def _in_process(
    round_id: int, video_ids: Sequence[int], generate: Callable[..., Any], extra: Mapping[str, Any] | None
) -> tuple[VideoRun, ...]:
    runs: list[VideoRun] = []
    for video_id in video_ids:
        generate(**generation_parameters(round_id=round_id, video_id=video_id, extra=extra))
        runs.append(VideoRun(video_id=int(video_id), flow_run_id=None, state="COMPLETED"))
    return tuple(runs)


def default_generate() -> Callable[..., Any]:
    """The generation flow named by the ``generate-masklets`` entrypoint of infra/prefect.yaml."""
    spec = generation_spec()
    module = spec.entrypoint_path.removesuffix(".py").replace("/", ".")
    from importlib import import_module

    return getattr(import_module(module), spec.function_name)


def run_generation_fanout(
    round_id: int,
    video_ids: Sequence[int],
    *,
    api_url: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    generate: Callable[..., Any] | None = None,
    poll_s: float = POLL_S,
    timeout_s: float | None = None,
    raise_on_failure: bool = True,
    lead_until: str | None = LEAD_UNTIL,
) -> FanoutResult:
    """Generate masklets for every video of ``video_ids`` in round ``round_id``; returns each run's state.

    ``api_url``: the Prefect API (default: ``PREFECT_API_URL`` of this process; ``""`` forces
    in-process). ``parameters``: more parameters of every run (e.g. ``{"config": {...}}``; never
    settings or secrets: they would be stored on the server). ``generate``: the in-process flow (default: the deployment's entrypoint).
    ``poll_s``: seconds between two reads of the runs at most (a state event wakes it earlier).
    ``timeout_s``: stop waiting after this many seconds (None: until every run is final).
    ``lead_until``: see :data:`LEAD_UNTIL`.
    Raises FlowError naming the videos whose run did not complete when ``raise_on_failure``.
    """
    if lead_until is not None and lead_until not in _LATER:
        raise ValueError(f"lead_until must be one of {sorted(_LATER)} or None, not {lead_until!r}")
    started = time.monotonic()
    ids = [int(v) for v in dict.fromkeys(video_ids)]
    url = _server_url(api_url)
    if url:
        runs = _submit_and_wait(round_id, ids, api_url=url, poll_s=poll_s, timeout_s=timeout_s, extra=parameters,
                                lead_until=lead_until)
        mode = "deployment"
    else:
        runs = _in_process(round_id, ids, generate or default_generate(), parameters)
        mode = "in-process"
    result = FanoutResult(round_id=int(round_id), mode=mode, runs=runs, seconds=time.monotonic() - started)
    if raise_on_failure and result.failed:
        bad = ", ".join(f"video {r.video_id}: {r.state}" for r in result.failed)
        raise FlowError(f"masklet generation of round {round_id} did not complete ({bad}); rerun the round"
                        " (generation is idempotent per video)")
    return result
