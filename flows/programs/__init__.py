"""Programs built on the loop: ``maskloop demo`` (demo.py, demo_data.py), the engine benchmark and
its phase comparison (engine_bench.py, engine_phases.py) on a DAVIS work copy (davis_workcopy.py),
and ``maskloop model pull`` (model_pull.py)."""
