"""Selector for cutting the checkpoint update queue into API calls: the compiled ``_batching_c``
when present and allowed (``._extensions.ALLOWED``), else the pure-Python ``_batching_py`` (same
interface and results)."""
from __future__ import annotations

from ._extensions import ALLOWED

COMPILED = False
if ALLOWED:
    try:
        from ._batching_c import cut_batches, update_size  # type: ignore[no-redef]

        COMPILED = True
    except ImportError:  # extension not built: fall back to the twin
        pass
if not COMPILED:
    from ._batching_py import cut_batches, update_size  # type: ignore[assignment]

__all__ = ["COMPILED", "cut_batches", "update_size"]
