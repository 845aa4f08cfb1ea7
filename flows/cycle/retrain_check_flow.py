"""The ``retrain-check`` deployment's flow: retrain every dataset that has K new accepted masklets.

Scheduled (hourly by default, infra/prefect.yaml) and on demand (``prefect deployment run
retrain-check/retrain-check -p dataset=NAME -p force=true``). For each dataset that has had an
annotation round (only those can gain reviewed masklets) -- or just ``dataset`` -- it counts the
masklets accepted since the dataset's newest version; at ``settings.retrain_after_accepted``
(MASKLOOP_RETRAIN_AFTER_ACCEPTED) or with ``force`` it commits a version, retrains from the
champion and gates promotion (:func:`flows.cycle.auto_retrain.check_and_retrain`). Training holds
the ``gpu`` concurrency slot, so a check on the cpu pool never oversubscribes the GPUs.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow

from flows.cycle.config import CycleConfig
from flows.settings import Settings


@dataclass(frozen=True)
class DatasetCheck:
    """One dataset's check: new accepted masklets, the threshold, the version trained on (or None)."""

    dataset: str
    new_accepted: int
    threshold: int
    dataset_version: str | None
    promoted: bool | None


def datasets_to_check(rounds: list, dataset: str | None) -> list[str]:  # type: ignore[type-arg]
    """``[dataset]``, or every dataset named by a round (``RoundInfo``), in first-round order."""
    if dataset is not None:
        return [dataset]
    return list(dict.fromkeys(r.dataset for r in rounds))


@flow(name="retrain-check")
def retrain_check(dataset: str | None = None, force: bool = False, settings: Settings | None = None,
                  config: CycleConfig | None = None) -> tuple[DatasetCheck, ...]:
    """Commit + retrain + gate promotion for each due dataset (see module docstring).

    ``config``: the cycle's knobs (training steps, model name, ...); default ``CycleConfig()``.
    """
    from flows.cycle.auto_retrain import check_and_retrain
    from flows.cycle.workspace import open_workspace
    from storage.catalog.rounds import list_rounds

    out: list[DatasetCheck] = []
    with open_workspace(settings) as ws:
        for name in datasets_to_check(list_rounds(ws.catalog), dataset):
            check = check_and_retrain(ws, name, cfg=config or CycleConfig(), force=force)
            decision = check.decision
            out.append(DatasetCheck(
                dataset=name, new_accepted=check.new_accepted, threshold=check.threshold,
                dataset_version=check.dataset_version,
                promoted=None if decision is None else decision.promoted,
            ))
    return tuple(out)
