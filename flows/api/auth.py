"""Bearer-token authentication and the role check of every route.

``Authorization: Bearer <token>``: the token's sha256 is looked up in ``api_token``
(:func:`storage.catalog.api_tokens.find_token`). Missing, malformed, unknown or revoked -> 401
with ``WWW-Authenticate: Bearer``; a valid token whose role lacks the route's permission
(:mod:`flows.api.roles`) -> 403. The principal is left on ``request.state.principal`` so the audit
middleware can record who asked, whatever the outcome. Tokens are never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from flows.api.roles import allowed, roles_with
from storage.catalog.api_tokens import find_token

BEARER = HTTPBearer(auto_error=False, description="An API token from `maskloop api token create`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    """Who is asking: the token's name and role."""

    name: str
    role: str


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers=_CHALLENGE)


def require(permission: str) -> Callable[..., Principal]:
    """A FastAPI dependency admitting tokens whose role holds ``permission``."""

    def dependency(request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Security(BEARER),  # noqa: B008 (FastAPI's API)
                   ) -> Principal:
        if credentials is None or not credentials.credentials:
            raise _unauthorized("missing bearer token: send 'Authorization: Bearer <token>' "
                                "(create one with `maskloop api token create`)")
        token = find_token(request.app.state.backend.catalog, credentials.credentials)
        if token is None:
            raise _unauthorized("invalid API token: check it, or create a new one with `maskloop api token create`")
        principal = Principal(name=token.name, role=token.role)
        request.state.principal = principal
        if not token.active:
            raise _unauthorized(f"API token {token.name!r} was revoked; ask an admin for a new one")
        if not allowed(token.role, permission):
            raise HTTPException(status_code=403, detail=(
                f"role {token.role!r} may not use this endpoint ({permission}); it needs one of "
                f"{', '.join(roles_with(permission))}"))
        return principal

    return dependency
