"""Selector for the map/parallel completion policy: the compiled ``_completion_c`` when present
and allowed (``._extensions.ALLOWED``), else the pure-Python ``_completion_py`` (same interface
and results)."""
from __future__ import annotations

from ._extensions import ALLOWED

COMPILED = False
if ALLOWED:
    try:
        from ._completion_c import CompletionPolicy  # type: ignore[no-redef]

        COMPILED = True
    except ImportError:  # extension not built: fall back to the twin
        pass
if not COMPILED:
    from ._completion_py import CompletionPolicy  # type: ignore[assignment]

__all__ = ["COMPILED", "CompletionPolicy"]
