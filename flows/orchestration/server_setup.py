"""Server-side objects ``maskloop deploy`` creates besides deployments (all idempotent).

- The global concurrency limit ``gpu`` (limit = number of GPU workers): model work holds one slot
  (:func:`flows.orchestration.gpu_slot.gpu_slot`), so GPU work never oversubscribes the devices.
  The ``gpu`` work pool runs at most :data:`PREFETCH` flow runs per GPU worker at once: while one
  run holds the device, the next one starts its process, imports, loads its frames and waits for
  the slot (that start-up overlaps model work instead of adding to the round's wall time), and no
  more runs than that sit in memory waiting for a slot. A CPU-only worker counts as one device:
  torch already uses every core, and two model runs at once on 2 cores took 4.5 s each against
  2.0 s alone (60 to 73 s each with OpenMP's default spinning threads, see
  ``deployer.OPENMP_ENV``). Measured with bench/bench_orchestration.py on 2 shared cores, a third
  run per worker made 16-frame rounds about 5 % faster and 30-frame rounds about 5 % slower (two
  runs each): 2 it stays.
- The automation ``maskloop-crashed-flow-runs``: a flow run whose heartbeats stop for
  :data:`HEARTBEAT_GRACE_S` seconds (its worker host died or was killed with it) is set to Crashed,
  which frees its work-pool slot so a rerun can start. Flow runs send heartbeats every
  :data:`HEARTBEAT_S` seconds (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` in the deployments' env).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

GPU_LIMIT = "gpu"
GPU_POOL = "gpu"
#: Flow runs per GPU worker the ``gpu`` pool runs at once (one on the device, one starting).
PREFETCH = 2
CRASH_AUTOMATION = "maskloop-crashed-flow-runs"
#: Seconds between flow-run heartbeats (Prefect's minimum is 30).
HEARTBEAT_S = 30
#: Seconds without a heartbeat after which a running flow run is marked Crashed.
HEARTBEAT_GRACE_S = 90

_TERMINAL_EVENTS = frozenset(
    {
        "prefect.flow-run.heartbeat",
        "prefect.flow-run.Completed",
        "prefect.flow-run.Failed",
        "prefect.flow-run.Cancelled",
        "prefect.flow-run.Crashed",
    }
)


def ensure_gpu_limit(client: SyncPrefectClient, *, gpu_workers: int) -> None:
    """Set the global limit ``gpu`` to ``gpu_workers`` and the ``gpu`` pool's to ``PREFETCH * gpu_workers``."""
    from prefect.client.schemas.actions import WorkPoolUpdate

    client.upsert_global_concurrency_limit_by_name(GPU_LIMIT, gpu_workers)
    client.update_work_pool(GPU_POOL, WorkPoolUpdate(concurrency_limit=PREFETCH * gpu_workers))


def ensure_crash_detector(client: SyncPrefectClient) -> None:
    """(Re)create the automation that marks flow runs without heartbeats as Crashed."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    for old in client.read_automations_by_name(CRASH_AUTOMATION):
        client.delete_automation(old.id)
    client.create_automation(
        AutomationCore(
            name=CRASH_AUTOMATION,
            description="maskloop: a running flow run without heartbeats is marked Crashed.",
            trigger=EventTrigger(
                after={"prefect.flow-run.heartbeat"},
                expect=set(_TERMINAL_EVENTS),
                match={"prefect.resource.id": ["prefect.flow-run.*"]},
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(seconds=HEARTBEAT_GRACE_S),
            ),
            actions=[
                ChangeFlowRunState(
                    state=StateType.CRASHED,
                    message=f"no heartbeat for {HEARTBEAT_GRACE_S} s: the process running it is gone",
                )
            ],
        )
    )
