"""Selector for the extended-type envelope encoder/decoder of the default serdes: the compiled
``_envelope_c`` when present and allowed (``._extensions.ALLOWED``), else the pure-Python
``_envelope_py`` (same interface, output and errors)."""
from __future__ import annotations

from ._extensions import ALLOWED

COMPILED = False
if ALLOWED:
    try:
        from ._envelope_c import decode, encode  # type: ignore[no-redef]

        COMPILED = True
    except ImportError:  # extension not built: fall back to the twin
        pass
if not COMPILED:
    from ._envelope_py import decode, encode  # type: ignore[assignment]

__all__ = ["COMPILED", "decode", "encode"]
