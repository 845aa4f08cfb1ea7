"""Where a model came from: training run, dataset version, base models recursively, data composition."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from storage.catalog.refs import parse_ref
from storage.catalog.registry import model_row
from storage.lineage.common import frame, row

# Walk up: model -> its training run -> that run's base model -> ... (depth 0 = the model itself).
_UPSTREAM_SQL = sa.text(
    """
    WITH RECURSIVE up(model_id, depth) AS (
        SELECT CAST(:model_id AS INTEGER), 0
        UNION ALL
        SELECT tr.base_model_version_id, up.depth + 1
        FROM up
        JOIN model_version mv ON mv.id = up.model_id
        JOIN training_run tr ON tr.id = mv.training_run_id
        WHERE tr.base_model_version_id IS NOT NULL AND up.depth < 64
    )
    SELECT up.depth, mv.id AS model_id, mv.name, mv.version, mv.backend, mv.uri, mv.sha256,
           mv.created_at AS model_at, mv.created_by AS model_by,
           tr.id AS run_id, tr.mlflow_run_id, tr.status, tr.params, tr.metrics,
           tr.created_at AS run_at, tr.created_by AS run_by,
           dv.id AS version_id, dv.number, dv.manifest_sha256, dv.n_members, dv.composition,
           dv.created_at AS version_at, dv.created_by AS version_by, ds.name AS dataset
    FROM up
    JOIN model_version mv ON mv.id = up.model_id
    LEFT JOIN training_run tr ON tr.id = mv.training_run_id
    LEFT JOIN dataset_version dv ON dv.id = tr.dataset_version_id
    LEFT JOIN dataset ds ON ds.id = dv.dataset_id
    ORDER BY up.depth
    """
)


def model_lineage(session: Session, ref: str) -> pd.DataFrame:
    """Rows: model (depth 0) / base_model (depth >= 1), each with its training_run, dataset_version
    and composition* ({split, origin, masklets} of that version, stored at commit time)."""
    name, version = parse_ref(ref, what="model reference")
    model = model_row(session, name, version)
    out = []
    for r in session.execute(_UPSTREAM_SQL, {"model_id": int(model.id)}).all():
        relation = "model" if r.depth == 0 else "base_model"
        out.append(row(relation, f"model_version:{r.model_id}", f"{r.name}@{r.version}", r.model_at, r.model_by,
                       depth=r.depth, backend=r.backend, uri=r.uri, sha256=r.sha256))
        if r.run_id is None:
            continue
        out.append(row("training_run", f"training_run:{r.run_id}", r.mlflow_run_id or f"run {r.run_id}", r.run_at,
                       r.run_by, depth=r.depth, status=r.status, params=json.loads(r.params),
                       metrics=json.loads(r.metrics)))
        label = f"{r.dataset}@{r.number}"
        out.append(row("dataset_version", f"dataset_version:{r.version_id}", label, r.version_at, r.version_by,
                       depth=r.depth, n_members=r.n_members, manifest_sha256=r.manifest_sha256))
        for split, origins in json.loads(r.composition).items():
            for origin, n in origins.items():
                out.append(row("composition", f"dataset_version:{r.version_id}", f"{label} {split}/{origin}",
                               depth=r.depth, split=split, origin=origin, masklets=n))
    return frame(out)
