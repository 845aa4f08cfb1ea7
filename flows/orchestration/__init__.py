"""Prefect mechanics below the loop: the ``gpu`` concurrency slot (gpu_slot.py), fan-out of one
flow run per video (fanout.py), deployments of infra/prefect.yaml (deploy_all.py, deployer.py),
schedules and event triggers. Nothing here knows a loop step."""
