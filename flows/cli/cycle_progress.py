"""Progress display shared by the commands that run whole cycles in-process (``demo``, ``bench engine``).

Prefect and MLflow log every flow, task and run at INFO; a person watching a cycle wants one bar and
one line per step, so :func:`cycle_progress` quiets them (before Prefect configures its logging)
and shows a rich progress bar on stderr. stdout stays free for the table or the ``--json`` object.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: Loggers quieted to WARNING while a cycle runs in-process.
QUIET_LOGGERS = ("prefect", "prefect.flow_runs", "prefect.task_runs", "mlflow", "alembic")

Step = Callable[[str], None]
Progress = Callable[[int, int], None]


@contextmanager
def cycle_progress(title: str, *, log_steps: bool) -> Iterator[tuple[Step, Progress]]:
    """Yield ``(step, progress)``: ``step(text)`` names the current step (and logs it to stderr when
    ``log_steps``), ``progress(done, total)`` fills the bar (items of that step)."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # before prefect's logging is configured
    import mlflow  # noqa: F401  (both configure their loggers on import; quiet them below)
    import prefect  # noqa: F401
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task(title, total=None)

        def step(text: str) -> None:
            bar.update(task, description=text, total=None, completed=0)
            if log_steps:
                err.log(text)

        def progress(done: int, total: int) -> None:
            bar.update(task, total=total, completed=done)

        yield step, progress
