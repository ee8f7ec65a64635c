"""map/parallel support: the batch data model lives in :mod:`lambda_durable.concurrency.models`."""
from __future__ import annotations

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
