"""Checkpoint-state operation table, pure-Python twin of the compiled ``lambda_durable._table_c``.

An :class:`OperationTable` maps operation ``Id`` to the service's ``Operation`` wire dict exactly
as received: records are stored by reference (never copied) and their timestamps stay in wire
form (epoch milliseconds or whatever the client returned), converted by the callers that read
them. It is built from the invocation event's ``InitialExecutionState.Operations``
(:meth:`~OperationTable.load`) and the further ``GetDurableExecutionState`` pages
(:meth:`~OperationTable.add_page`); checkpoint responses are merged with
:meth:`~OperationTable.merge` in O(changed operations), never O(history) (protocol.md 2.3, 3.4:
merge by ``Id``, replacing the whole record).

Two indexes are maintained incrementally on every insertion or replacement:

* the number of operations whose ``Type`` is not ``EXECUTION``, so :meth:`has_history` (the root
  replay flag, protocol.md 2.2) is O(1);
* parent -> children: :meth:`children` lists the Ids of the operations whose ``ParentId`` is the
  given Id, in the order they were first stored (``children(None)``: those without a
  ``ParentId``). A record replaced with the same parent keeps its position; one whose parent
  changed moves to the end of its new parent's list.

The mapping itself is :attr:`operations` (a plain ``dict``, the same object for the table's
lifetime); writing to it directly bypasses the indexes.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["OperationTable"]

_EXECUTION = "EXECUTION"


class OperationTable:
    """Operations of one execution keyed by ``Id`` (wire dicts, stored as received)."""

    __slots__ = ("_ops", "_children", "_history")

    def __init__(self, operations: dict[str, dict] | None = None) -> None:
        """``operations``: an existing ``Id -> record`` dict to adopt (not copied: it becomes
        :attr:`operations`) and index; ``None`` starts empty."""
        self._ops: dict[str, dict] = {}
        self._children: dict[Any, list[str]] = {}
        self._history = 0
        if operations is not None:
            if type(operations) is not dict:
                raise TypeError(
                    f"OperationTable() takes a dict of operations, not {type(operations).__name__}"
                )
            self._ops = operations
            children = self._children
            history = 0
            for op_id, op in operations.items():
                if op.get("Type") != _EXECUTION:
                    history += 1
                parent = op.get("ParentId")
                siblings = children.get(parent)
                if siblings is None:
                    children[parent] = [op_id]
                else:
                    siblings.append(op_id)
            self._history = history

    # -- building and merging ----------------------------------------------------------------

    def load(self, operations: Iterable[dict]) -> None:
        """Store every operation of ``operations`` (the invocation event's list), by ``Id``."""
        self._store(operations, None)

    def add_page(self, operations: Iterable[dict]) -> None:
        """Store one ``GetDurableExecutionState`` page (merged by ``Id``)."""
        self._store(operations, None)

    def merge(self, operations: Iterable[dict]) -> list[dict]:
        """Merge a checkpoint response's changed operations (each replaces the whole record with
        its ``Id``); returns them as a new list, in order. O(len(operations))."""
        stored: list[dict] = []
        self._store(operations, stored)
        return stored

    def _store(self, operations: Iterable[dict], stored: list[dict] | None) -> None:
        table = self._ops
        lookup = table.get
        children = self._children
        siblings_of = children.get
        history = self._history
        try:
            for op in operations:
                op_id = op["Id"]
                old = lookup(op_id)
                table[op_id] = op
                if stored is not None:
                    stored.append(op)
                if old is None:  # a new Id
                    if op.get("Type") != _EXECUTION:
                        history += 1
                    parent = op.get("ParentId")
                    siblings = siblings_of(parent)
                    if siblings is None:
                        children[parent] = [op_id]
                    else:
                        siblings.append(op_id)
                elif old is not op:  # replaced (the very record stored again changes nothing)
                    was_history = old.get("Type") != _EXECUTION
                    if was_history != (op.get("Type") != _EXECUTION):
                        history += -1 if was_history else 1
                    old_parent = old.get("ParentId")
                    parent = op.get("ParentId")
                    if old_parent != parent:
                        _move_child(children, op_id, old_parent, parent)
        finally:
            self._history = history

    # -- lookups -----------------------------------------------------------------------------

    @property
    def operations(self) -> dict[str, dict]:
        """The ``Id -> record`` dict itself (live; never copied)."""
        return self._ops

    def get(self, operation_id: str) -> dict | None:
        """The record with this ``Id``, or ``None``."""
        return self._ops.get(operation_id)

    def status(self, operation_id: str) -> str | None:
        """The ``Status`` of the record with this ``Id`` (``None`` when absent)."""
        op = self._ops.get(operation_id)
        return None if op is None else op.get("Status")

    def has_history(self) -> bool:
        """True when any operation other than an EXECUTION one is stored (replay). O(1)."""
        return self._history > 0

    @property
    def history_count(self) -> int:
        """How many stored operations are not of ``Type`` EXECUTION."""
        return self._history

    def children(self, parent_id: str | None) -> list[str]:
        """Ids of the operations whose ``ParentId`` is ``parent_id`` (``None``: without a parent),
        in the order they were first stored (a new list)."""
        siblings = self._children.get(parent_id)
        return [] if siblings is None else siblings[:]

    def __len__(self) -> int:
        return len(self._ops)

    def __contains__(self, operation_id: object) -> bool:
        return operation_id in self._ops

    def __iter__(self):
        return iter(self._ops)

    def __repr__(self) -> str:
        return f"<OperationTable: {len(self._ops)} operations, {self._history} not EXECUTION>"


def _move_child(children: dict, op_id: str, old_parent: Any, parent: Any) -> None:
    """Move ``op_id`` from ``old_parent``'s list to the end of ``parent``'s (rare: a record
    replaced with another ParentId)."""
    siblings = children.get(old_parent)
    if siblings is not None:
        try:
            siblings.remove(op_id)
        except ValueError:  # pragma: no cover - the index always lists a stored record
            pass
        if not siblings:
            del children[old_parent]
    siblings = children.get(parent)
    if siblings is None:
        children[parent] = [op_id]
    else:
        siblings.append(op_id)
