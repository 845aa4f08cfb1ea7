"""The HTTP API (FastAPI, app.py): catalog reads, lineage and the audit log for the auditor role
(read-only by construction: roles.py, auth.py), with HTML pages for lineage and audit."""
