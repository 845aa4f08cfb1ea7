"""Validation J, F and J&F of a registered model on a dataset version's frozen validation split.

Each val video's ground-truth objects are prompted with their mask on the first frame they appear
on and scored on every later frame (DAVIS semi-supervised protocol, model/metrics). Scores are
audited per (model version, val-set digest) and reused, so the champion is not re-evaluated on a
validation set it was already scored on.
"""

from __future__ import annotations

from flows.cycle.training_data import ValSequence, validation_digest, validation_sequences
from flows.cycle.workspace import Workspace
from flows.orchestration.gpu_slot import gpu_slot
from storage.catalog.model_aliases import ModelInfo, find_evaluation, record_evaluation


def score_model(model, sequences: list[ValSequence]) -> dict[str, object]:
    """{"J", "F", "JF", "sequences": {video_id: {"J","F","JF"}}} of a loaded model."""
    from model.metrics.semi_supervised import evaluate_sequence
    from model.metrics.vos import mean_scores

    results = {}
    for seq in sequences:
        results[seq.video_id] = evaluate_sequence(model, f"video-{seq.video_id}", list(seq.frames), seq.id_maps)
    means = mean_scores([r.model for r in results.values()])
    return {**means, "sequences": {str(v): {"J": r.model.J, "F": r.model.F, "JF": r.model.JF}
                                   for v, r in results.items()}}


def evaluate_registered(ws: Workspace, info: ModelInfo, dataset_version: str, *,
                        sequences: list[ValSequence] | None = None, model=None) -> dict[str, object]:
    """Scores of ``info`` on ``dataset_version``'s val split (cached by val digest, audited)."""
    from flows.cycle.champion import load_registered

    digest = validation_digest(ws, dataset_version)
    found = find_evaluation(ws.catalog, model_version_id=info.id, val_digest=digest)
    if found is not None:
        return found
    sequences = sequences if sequences is not None else validation_sequences(ws, dataset_version)
    with gpu_slot():
        scores = score_model(model if model is not None else load_registered(ws, info), sequences)
    record_evaluation(ws.catalog, model_version_id=info.id, dataset_version=dataset_version, val_digest=digest,
                      scores=scores, **ws.as_role("ml_engineer"))
    return scores
