"""Object registry: client object ids <-> model row indices, in insertion order."""

from __future__ import annotations

from model.errors import InvalidInputError, NotFoundError


class ObjectRegistry:
    """Maps client object ids (any int) to dense indices 0..N-1 in the order they were added."""

    def __init__(self) -> None:
        self._index: dict[int, int] = {}
        self.ids: list[int] = []

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, obj_id: int, *, create: bool = False) -> int:
        """Index of ``obj_id``; registers it when ``create`` (adding a prompt), else NotFoundError."""
        if isinstance(obj_id, bool) or not isinstance(obj_id, int):
            raise InvalidInputError(f"object id {obj_id!r} must be an int")
        if obj_id not in self._index:
            if not create:
                raise NotFoundError(
                    f"unknown object id {obj_id}; known ids {self.ids}; add a prompt for it first"
                )
            self._index[obj_id] = len(self.ids)
            self.ids.append(obj_id)
        return self._index[obj_id]
