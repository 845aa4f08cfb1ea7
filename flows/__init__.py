"""maskloop flows layer: composes model/, storage/ and ui_adapters/ into the data engine's loop.

Sub-packages import one way, lowest first (tests/unit/test_layers.py checks it):

- the flat modules here (settings, errors, services, evaluation, mlflow_tracker, ...): no sub-package;
- ``orchestration/`` (GPU slot, fan-out of flow runs, deployments) and ``stack/`` (the local services);
- ``cycle/``: the loop's steps, one file each (see its docstring for their order);
- ``report/``: HTML reports and plots of rounds;
- ``programs/``: what is built on the loop (the demo, the engine benchmark, the DAVIS work copy);
- ``api/`` (the read-only HTTP API and its pages) and ``cli/`` (``maskloop``), on top.
"""
