"""Registers every command group on the root app (one ``*_cmd.py`` file per group).

Command modules import heavy libraries (torch, prefect, mlflow, sqlalchemy) inside their
functions, so ``maskloop --help`` stays fast.
"""

from __future__ import annotations

import typer

from flows.cli import (
    api_cmd,
    audit_cmd,
    bench_cmd,
    dataset_cmd,
    dataset_export_cmd,
    db_cmd,
    demo_cmd,
    deploy_cmd,
    eval_cmd,
    import_cmd,
    ingest_cmd,
    lineage_cmd,
    masklet_cmd,
    model_cmd,
    model_pull_cmd,
    report_cmd,
    review_cmd,
    round_cmd,
    round_schedule_cmd,
    stack_cmd,
    train_cmd,
    version_cmd,
)

GROUPS: tuple[tuple[str, typer.Typer], ...] = (
    ("stack", stack_cmd.app),
    ("db", db_cmd.app),
    ("import", import_cmd.app),
    ("round", round_cmd.app),
    ("review", review_cmd.app),
    ("masklet", masklet_cmd.app),
    ("report", report_cmd.app),
    ("dataset", dataset_cmd.app),
    ("model", model_cmd.app),
    ("lineage", lineage_cmd.app),
    ("audit", audit_cmd.app),
    ("api", api_cmd.app),
    ("bench", bench_cmd.app),
)

COMMANDS = (
    ("ingest", ingest_cmd.ingest),
    ("train", train_cmd.train),
    ("eval", eval_cmd.evaluate),
    ("deploy", deploy_cmd.deploy),
    ("demo", demo_cmd.demo),
    ("version", version_cmd.version),
)


# commands that add themselves to a group defined in another file
EXTENSIONS = (dataset_export_cmd, model_pull_cmd, round_schedule_cmd)


def register(app: typer.Typer) -> None:
    """Attach every group and top-level command to ``app``."""
    for name, sub in GROUPS:
        app.add_typer(sub, name=name)
    for name, func in COMMANDS:
        app.command(name)(func)
