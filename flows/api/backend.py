"""The catalog connection of the API service, chosen from Settings.

- ``MASKLOOP_AUDITOR_DATABASE_URL`` set (PostgreSQL, production): every read goes through the
  SELECT-only ``maskloop_auditor`` role, so even a bug in the service cannot write; requests are
  recorded through the SECURITY DEFINER function ``maskloop_append_api_event`` (migration 0003),
  the only write that role can do, and it appends ``api.*`` audit events only.
- otherwise ``MASKLOOP_DATABASE_URL`` (PostgreSQL with the owner's rights; ``read_only`` is False
  and the service says so at start) or, on the embedded default, the SQLite catalog file under
  ``MASKLOOP_HOME``. SQLite has no roles: the service only ever runs read queries plus the one
  audit append (``storage.audit.trail.append_event`` in a normal write transaction), but the file
  itself is writable by the process, and opening it migrates it to the newest schema like every
  other command does on SQLite. Use PostgreSQL + the auditor role when the guarantee matters.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.settings import Settings
from storage.catalog.catalog import Catalog


@dataclass(frozen=True)
class ApiBackend:
    """An open catalog plus what kind of connection it is. Close it with :meth:`close`."""

    catalog: Catalog
    read_only: bool  # True: connected as the SELECT-only auditor role
    description: str  # the URL without password, for the start-up line

    def close(self) -> None:
        self.catalog.close()


def open_backend(settings: Settings) -> ApiBackend:
    """Open the catalog the API reads (see module docstring); UnavailableError if unreachable."""
    if settings.auditor_database_url:
        catalog = Catalog.open(settings.auditor_database_url, auto_upgrade=False)
        read_only = True
    else:
        from flows.services import open_catalog

        catalog = open_catalog(settings)
        read_only = False
    where = catalog.engine.url.render_as_string(hide_password=True)
    return ApiBackend(catalog=catalog, read_only=read_only, description=where)
