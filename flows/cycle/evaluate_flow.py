"""The promotion gate: alias ``champion`` moves to a candidate only when its validation J&F beats
the current champion's on the same frozen validation split by ``settings.promotion_margin``.

Both scores, the margin and the decision are audited (``model.alias`` when promoted,
``model.promotion_decision`` otherwise) and tagged on the candidate's MLflow model version.
``promote_manually`` is the audited override behind ``maskloop model promote``.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow

from flows.cycle.champion import ensure_champion, tracker_of
from flows.cycle.config import CycleConfig
from flows.cycle.evaluate import evaluate_registered
from flows.cycle.workspace import Workspace, open_workspace
from flows.errors import NotFoundError
from flows.mlflow_tracker import CHAMPION
from flows.settings import Settings
from storage.catalog.model_aliases import ModelInfo, list_models, move_alias, record_decision


@dataclass(frozen=True)
class PromotionDecision:
    """Outcome of the gate: scores are validation J&F on ``dataset_version``'s val split."""

    candidate: str
    champion_before: str
    candidate_jf: float
    champion_jf: float
    margin: float
    promoted: bool
    champion_after: str
    dataset_version: str


def _model(ws: Workspace, name: str, version: int) -> ModelInfo:
    for info in list_models(ws.catalog, name):
        if info.ref.version == int(version):
            return info
    raise NotFoundError(f"model {name}@{version} not found; `maskloop model list` shows registered models")


def _label(info: ModelInfo) -> str:
    return f"{info.ref.name}@{info.ref.version}"


def _mirror(ws: Workspace, name: str, version: int, tags: dict[str, str]) -> None:
    tracker = tracker_of(ws)
    for key, value in tags.items():
        tracker.client.set_model_version_tag(name, str(version), key, value)


def promote_if_better(ws: Workspace, version: int, dataset_version: str, *, cfg: CycleConfig) -> PromotionDecision:
    """Evaluate candidate ``cfg.model_name@version`` and the champion, move the alias if it wins."""
    candidate = _model(ws, cfg.model_name, version)
    champion = ensure_champion(ws, cfg)
    margin = float(ws.settings.promotion_margin)
    cand = evaluate_registered(ws, candidate, dataset_version)
    champ = cand if champion.id == candidate.id else evaluate_registered(ws, champion, dataset_version)
    promoted = champion.id != candidate.id and float(cand["JF"]) > float(champ["JF"]) + margin
    details = {"decision": "promoted" if promoted else "kept_champion", "candidate": _label(candidate),
               "champion": _label(champion), "candidate_JF": float(cand["JF"]), "champion_JF": float(champ["JF"]),
               "margin": margin, "dataset_version": dataset_version}
    who = ws.as_role("ml_engineer")
    if promoted:
        move_alias(ws.catalog, name=cfg.model_name, version=candidate.ref.version, alias=CHAMPION, details=details,
                   **who)
        tracker_of(ws).set_champion(cfg.model_name, candidate.ref.version)
    else:
        record_decision(ws.catalog, model_version_id=candidate.id, details=details, **who)
    _mirror(ws, cfg.model_name, candidate.ref.version, {
        "maskloop.promotion": details["decision"], "maskloop.val_JF": f"{cand['JF']:.4f}",
        "maskloop.champion_JF": f"{champ['JF']:.4f}", "maskloop.compared_with": _label(champion)})
    return PromotionDecision(candidate=_label(candidate), champion_before=_label(champion),
                             candidate_jf=float(cand["JF"]), champion_jf=float(champ["JF"]), margin=margin,
                             promoted=promoted, champion_after=_label(candidate if promoted else champion),
                             dataset_version=dataset_version)


def promote_manually(ws: Workspace, name: str, version: int, *, reason: str = "manual override") -> str:
    """Give ``name@version`` the champion alias regardless of scores (audited); returns the old champion."""
    target = _model(ws, name, version)
    before = next((i for i in list_models(ws.catalog, name) if CHAMPION in i.aliases), None)
    tracker_of(ws).set_champion(name, target.ref.version)  # NotFoundError before anything moved
    move_alias(ws.catalog, name=name, version=target.ref.version, alias=CHAMPION,
               details={"decision": "manual", "reason": reason,
                        "champion": _label(before) if before else None}, **ws.who)
    return _label(before) if before else ""


@flow(name="evaluate-and-promote")
def evaluate_and_promote(version: int, dataset_version: str, settings: Settings | None = None,
                         config: CycleConfig | None = None) -> PromotionDecision:
    """Gate promotion of model version ``version`` (of ``config.model_name``) on ``dataset_version``."""
    with open_workspace(settings) as ws:
        return promote_if_better(ws, version, dataset_version, cfg=config or CycleConfig())
