"""Selector for operation-ID generation: the compiled ``_ids_c`` when present and allowed, else
the pure-Python ``_ids_py`` (same interface and results)."""
from __future__ import annotations

from ._extensions import ALLOWED

COMPILED = False
if ALLOWED:
    try:
        from ._ids_c import IdSequence, operation_id  # type: ignore[no-redef]

        COMPILED = True
    except ImportError:  # extension not built: fall back to the twin
        pass
if not COMPILED:
    from ._ids_py import IdSequence, operation_id  # type: ignore[assignment]

__all__ = ["COMPILED", "IdSequence", "operation_id"]
