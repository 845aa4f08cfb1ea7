"""The command a process worker starts each flow run with: ``python -m flows.orchestration.flow_run_main``.

It runs ``python -m prefect.engine`` (the flow run's id comes from the worker's environment), with
one difference: Python's cyclic garbage collector is paused while Prefect is imported. That import
builds tens of thousands of long-lived objects (pydantic models of settings, schemas and blocks),
and every few hundred allocations the collector walks them again; paused, the import of ``prefect``
takes about a fifth less time. The objects are then frozen (``gc.freeze``: moved to a generation no
collection walks) and the collector is resumed for the flow body.

Why it matters: a flow run is not Running before its interpreter has imported Prefect, and the
first run of a round is the one start-up no model work hides (bench/bench_orchestration.py). It is
the same single process as ``python -m prefect.engine``: the worker's signals, exit code and kill
reach the engine directly.
"""

from __future__ import annotations

import gc
import runpy


def main() -> None:
    """Import Prefect with the collector paused, freeze what it built, run Prefect's engine as ``__main__``."""
    gc.disable()
    try:
        import prefect  # noqa: F401 -- the bulk of the engine's imports (not prefect.engine: runpy runs it)
    finally:
        gc.freeze()
        gc.enable()
    runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
