"""Who may read what through the auditor API: the role -> permission matrix.

=============  ============  =============
role           lineage.read  audit.read
=============  ============  =============
auditor        yes           yes
admin          yes           yes
data_manager   yes           no
ml_engineer    yes           no
=============  ============  =============

``lineage.read``: masklet provenance, video impact, dataset versions and diffs, model lineage
(JSON, CSV and the HTML picture). ``audit.read``: audit events and audit verification. Data
managers and ML engineers work with datasets and models every day, so they may trace them; the
audit trail (who did what, when, including every API request) is for auditors and admins.
Nothing in the API writes, whatever the role: token management is the CLI's (``maskloop api
token``), and the service itself reads through the SELECT-only database role when configured.
"""

from __future__ import annotations

from typing import Literal

Permission = Literal["lineage.read", "audit.read"]

LINEAGE_READ: Permission = "lineage.read"
AUDIT_READ: Permission = "audit.read"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "auditor": frozenset({LINEAGE_READ, AUDIT_READ}),
    "admin": frozenset({LINEAGE_READ, AUDIT_READ}),
    "data_manager": frozenset({LINEAGE_READ}),
    "ml_engineer": frozenset({LINEAGE_READ}),
}


def allowed(role: str, permission: str) -> bool:
    """True when ``role`` holds ``permission`` (unknown roles hold nothing)."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def roles_with(permission: str) -> list[str]:
    """Roles holding ``permission``, in matrix order (for error messages)."""
    return [role for role, perms in ROLE_PERMISSIONS.items() if permission in perms]
