"""map/parallel support: the batch data model lives in :mod:`lambda_durable.concurrency.models`.

The names below are loaded on first access (PEP 562), so importing a submodule of this package
(e.g. :mod:`._scope`, which every context needs) does not build the batch data model.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .models import (
        BatchCompletionError,
        BatchItem,
        BatchResult,
        CompletionPolicy,
        CompletionReason,
        CompletionRecord,
    )

__all__ = [
    "BatchCompletionError",
    "BatchItem",
    "BatchResult",
    "CompletionPolicy",
    "CompletionReason",
    "CompletionRecord",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import models

        value = getattr(models, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
