"""What every cycle step works with: settings, the catalog, the object store and who is acting.

``with open_workspace(settings) as ws:`` opens the catalog and builds the store from Settings
(flows/services.py) and closes the catalog afterwards. Nothing is global: each flow run opens its
own workspace (a worker process may run many flow runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flows.services import actor_of, object_store, open_catalog
from flows.settings import Settings, load_settings

if TYPE_CHECKING:
    from storage.catalog.catalog import Catalog
    from storage.objects.object_store import ObjectStore


@dataclass(frozen=True)
class Workspace:
    """Open services of one flow run; ``actor``/``role`` are recorded on every catalog change."""

    settings: Settings
    catalog: Catalog
    store: ObjectStore
    actor: str
    role: str

    @property
    def who(self) -> dict[str, str]:
        """``actor=``/``role=`` keyword arguments of catalog writes."""
        return {"actor": self.actor, "role": self.role}

    def as_role(self, role: str) -> dict[str, str]:
        """Keyword arguments acting as ``role`` (e.g. ml_engineer for training and promotion)."""
        return {"actor": self.actor, "role": role if self.role != "admin" else self.role}


@contextmanager
def open_workspace(settings: Settings | None) -> Iterator[Workspace]:
    """Open the catalog and object store of ``settings`` (None: load them from the environment)."""
    settings = settings if settings is not None else load_settings()
    catalog = open_catalog(settings)
    try:
        yield Workspace(settings=settings, catalog=catalog, store=object_store(settings),
                        actor=actor_of(settings), role=settings.role)
    finally:
        catalog.close()
