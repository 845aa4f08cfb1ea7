"""API tokens of the auditor API (table ``api_token``) and the append path of ``api.*`` audit events.

A token is ``mlk_`` + ``secrets.token_urlsafe(32)`` (about 256 random bits). Only its sha256 hex is
stored; the secret is returned once by :func:`create_token` and never again. Creating and revoking
are catalog changes: refused for the read-only auditor role, audited (``api_token.create`` /
``api_token.revoke`` on entity ``api_token:<id>``, details ``{name, role}``, never the secret or
its hash) in the same transaction. Minting an ``admin`` token needs the ``admin`` role.

:func:`append_api_event` records one request of the API service:
- PostgreSQL: ``SELECT maskloop_append_api_event(...)`` (migration 0003, SECURITY DEFINER), so it
  works on the SELECT-only ``maskloop_auditor`` connection, which has no other write right;
- SQLite (embedded, no roles): :func:`storage.audit.trail.append_event` in a write transaction
  on the catalog file.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from storage.audit.chain import canonical_json
from storage.audit.trail import append_event
from storage.catalog.api_token_table import API_ROLES, ApiToken
from storage.catalog.catalog import Catalog
from storage.catalog.guard import check_writer, db_errors
from storage.catalog.refs import check_name
from storage.errors import ConflictError, InvalidInputError, NotFoundError

TOKEN_PREFIX = "mlk_"
MAX_TOKEN_CHARS = 200  # a longer bearer value cannot be one of ours; rejected before hashing
API_ACTION_PREFIX = "api."


@dataclass(frozen=True)
class TokenInfo:
    """A stored token without its secret. Times are UTC; ``revoked_at`` None means active."""

    name: str
    role: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewToken:
    """A freshly created token: ``secret`` is shown to the user once and stored nowhere."""

    info: TokenInfo
    secret: str


def hash_token(secret: str) -> str:
    """sha256 hex of a token secret (what the table stores and lookups compare)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(name=row.name, role=row.role, created_at=_utc(row.created_at), created_by=row.created_by,
                     revoked_at=_utc(row.revoked_at))


def _check_role(role: str) -> str:
    if role not in API_ROLES:
        raise InvalidInputError(f"unknown API role {role!r}; use one of {', '.join(API_ROLES)}")
    return role


def create_token(catalog: Catalog, *, name: str, role: str, actor: str, actor_role: str) -> NewToken:
    """Create token ``name`` with ``role``; ConflictError if the name exists (even revoked)."""
    check_writer(actor, actor_role)
    check_name(name, what="token")
    _check_role(role)
    if role == "admin" and actor_role != "admin":
        raise InvalidInputError("only the admin role may create admin tokens (set MASKLOOP_ROLE=admin)")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with catalog.session(f"creating API token {name!r}") as s:
        if s.execute(sa.select(ApiToken.id).where(ApiToken.name == name)).first() is not None:
            raise ConflictError(f"an API token named {name!r} exists already (names are never reused); "
                                "choose another name")
        row = ApiToken(name=name, role=role, token_sha256=hash_token(secret), created_at=datetime.now(UTC),
                       created_by=actor)
        s.add(row)
        s.flush()
        append_event(s, actor=actor, role=actor_role, action="api_token.create", entity=f"api_token:{row.id}",
                     details={"name": name, "role": role})
        return NewToken(info=_info(row), secret=secret)


def revoke_token(catalog: Catalog, *, name: str, actor: str, actor_role: str) -> TokenInfo:
    """Revoke token ``name`` (NotFoundError if unknown, ConflictError if already revoked)."""
    check_writer(actor, actor_role)
    check_name(name, what="token")
    with catalog.session(f"revoking API token {name!r}") as s:
        row = s.execute(sa.select(ApiToken).where(ApiToken.name == name)).scalar_one_or_none()
        if row is None:
            raise NotFoundError(f"no API token named {name!r}; `maskloop api token list` lists them")
        if row.revoked_at is not None:
            raise ConflictError(f"API token {name!r} was already revoked at {_utc(row.revoked_at).isoformat()}")
        if row.role == "admin" and actor_role != "admin":
            raise InvalidInputError("only the admin role may revoke admin tokens (set MASKLOOP_ROLE=admin)")
        row.revoked_at = datetime.now(UTC)
        s.add(row)
        s.flush()
        append_event(s, actor=actor, role=actor_role, action="api_token.revoke", entity=f"api_token:{row.id}",
                     details={"name": name, "role": row.role})
        return _info(row)


def list_tokens(catalog: Catalog) -> list[TokenInfo]:
    """Every token (active and revoked), oldest first; no secrets, no hashes."""
    with catalog.session("listing API tokens") as s:
        return [_info(r) for r in s.execute(sa.select(ApiToken).order_by(ApiToken.id)).scalars()]


def find_token(catalog: Catalog, secret: str) -> TokenInfo | None:
    """The token whose sha256 matches ``secret`` (active or revoked), or None. Read-only query."""
    if not secret or len(secret) > MAX_TOKEN_CHARS:
        return None
    with db_errors("checking an API token"), catalog.engine.connect() as conn:
        row = conn.execute(
            sa.select(ApiToken.name, ApiToken.role, ApiToken.created_at, ApiToken.created_by, ApiToken.revoked_at)
            .where(ApiToken.token_sha256 == hash_token(secret))
        ).first()
    if row is None:
        return None
    return TokenInfo(name=row.name, role=row.role, created_at=_utc(row.created_at), created_by=row.created_by,
                     revoked_at=_utc(row.revoked_at))


def append_api_event(catalog: Catalog, *, actor: str, role: str, action: str, entity: str, details: dict) -> None:
    """Append one ``api.*`` event (see module docstring for the two paths).

    ``actor`` <= 200, ``role`` <= 50, ``entity`` <= 200 characters (column sizes); ``details`` is
    JSON-serializable and must not contain NUL characters (PostgreSQL text cannot hold them).
    """
    if not action.startswith(API_ACTION_PREFIX):
        raise InvalidInputError(f"append_api_event records {API_ACTION_PREFIX}* actions only, not {action!r}")
    if len(actor) > 200 or len(role) > 50 or len(entity) > 200 or len(action) > 100:
        raise InvalidInputError("an audit field is longer than its column; truncate it first")
    details_text = canonical_json(details)
    if "\x00" in actor + role + action + entity + details_text:
        raise InvalidInputError("audit fields cannot contain NUL characters")
    if catalog.engine.dialect.name == "postgresql":
        with db_errors("recording an API request in the audit trail"), catalog.engine.begin() as conn:
            conn.execute(sa.text("SELECT maskloop_append_api_event(:actor, :role, :action, :entity, :details)"),
                         {"actor": actor, "role": role, "action": action, "entity": entity, "details": details_text})
        return
    with catalog.session("recording an API request in the audit trail") as s:
        append_event(s, actor=actor, role=role, action=action, entity=entity, details=details)
