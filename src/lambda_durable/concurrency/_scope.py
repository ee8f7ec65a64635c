"""Branch scopes of map/parallel: whether a branch may still checkpoint, and the state a branch's
operations see. Kept apart from the coordinator (:mod:`.executor`) so :mod:`lambda_durable.context`
can import :class:`ScopedState` without loading the map/parallel machinery (cold start)."""
from __future__ import annotations

from typing import Any

from ..exceptions import OrphanedChildException

__all__ = ["BranchScope", "ScopedState"]


def orphaned(operation_id: str) -> OrphanedChildException:
    """The error of an operation whose map/parallel branch was abandoned (its scope closed)."""
    return OrphanedChildException(
        f"operation {operation_id} belongs to a map/parallel branch that was abandoned when "
        "its batch completed",
        operation_id,
    )


class BranchScope:
    """Whether a branch may still checkpoint: closed once its batch completed without it.
    Scopes nest (a branch inside a branch): a branch is closed when any enclosing scope is."""

    __slots__ = ("closed", "parent")

    def __init__(self, parent: BranchScope | None = None) -> None:
        self.closed = False
        self.parent = parent

    def is_closed(self) -> bool:
        scope: BranchScope | None = self
        while scope is not None:
            if scope.closed:
                return True
            scope = scope.parent
        return False


class ScopedState:
    """The execution state as the operations of one branch see it: every checkpoint re-checks,
    under the state's lock, that the branch's scope is still open. The coordinator closes scopes
    under the same lock, before its batch's terminal checkpoint, so an update a branch built just
    before its batch completed can never be sent after that checkpoint (B18, B22)."""

    __slots__ = ("_state", "_scope")

    def __init__(self, state: Any, scope: BranchScope) -> None:
        self._state = state
        self._scope = scope

    def __getattr__(self, name: str) -> Any:
        if name in ScopedState.__slots__:  # not set yet (copy/pickle protocols)
            raise AttributeError(name)
        return getattr(self._state, name)

    def _check(self, update: dict) -> None:
        if self._scope.is_closed():
            raise orphaned(update["Id"])

    def enqueue(self, update: dict) -> None:
        with self._state._lock:
            self._check(update)
            self._state.enqueue(update)

    def checkpoint(self, update: dict) -> None:
        with self._state._lock:
            self._check(update)
            self._state.checkpoint(update)
