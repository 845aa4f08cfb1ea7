"""The local service stack (``maskloop stack up``): PostgreSQL, S3 (SeaweedFS), Label Studio,
MLflow, Prefect with its two workers and the webhook receiver, each a plain process on 127.0.0.1
(one service per file, ordered by manager.py; secrets in the stack's secrets.json)."""
