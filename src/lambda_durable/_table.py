"""Selector for the checkpoint-state operation table: the compiled ``_table_c`` when present and
allowed (``._extensions.ALLOWED``), else the pure-Python ``_table_py`` (same interface and
results)."""
from __future__ import annotations

from ._extensions import ALLOWED

COMPILED = False
if ALLOWED:
    try:
        from ._table_c import OperationTable  # type: ignore[no-redef]

        COMPILED = True
    except ImportError:  # extension not built: fall back to the twin
        pass
if not COMPILED:
    from ._table_py import OperationTable  # type: ignore[assignment]

__all__ = ["COMPILED", "OperationTable"]
