"""``CompletionReason``, in a leaf module so that the completion policy (``_completion_py`` and its
compiled twin) and ``concurrency.models`` can both import it without an import cycle. Public
home: :mod:`lambda_durable.concurrency.models`."""
from __future__ import annotations

from enum import Enum

__all__ = ["CompletionReason"]


class CompletionReason(Enum):
    """Why a map/parallel batch completed (protocol.md 5.9), in priority order:
    FAILURE_TOLERANCE_EXCEEDED, CUSTOM_COMPLETION_SUCCEEDED / CUSTOM_COMPLETION_FAILED (the
    ``should_complete`` predicate fired), ALL_COMPLETED (every item finished),
    MIN_SUCCESSFUL_REACHED."""

    ALL_COMPLETED = "ALL_COMPLETED"
    MIN_SUCCESSFUL_REACHED = "MIN_SUCCESSFUL_REACHED"
    FAILURE_TOLERANCE_EXCEEDED = "FAILURE_TOLERANCE_EXCEEDED"
    CUSTOM_COMPLETION_SUCCEEDED = "CUSTOM_COMPLETION_SUCCEEDED"
    CUSTOM_COMPLETION_FAILED = "CUSTOM_COMPLETION_FAILED"
