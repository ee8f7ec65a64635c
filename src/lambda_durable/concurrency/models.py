"""Data model of map/parallel (protocol.md 5.9): results (:class:`BatchItem`, :class:`BatchResult`,
:class:`CompletionReason`), the completion policy (:class:`CompletionPolicy`, compiled when
available), the large-result summary record (:class:`CompletionRecord`) and the small value types
a batch coordinator uses (:class:`Executable`, :class:`Branch`, :class:`BranchEvent`).

Wire forms (checkpoint compatible with the official SDK 3.x):

* ``BatchItem.to_dict()`` -> ``{"index": int, "status": "SUCCEEDED"|"FAILED"|"STARTED",
  "result": <value>, "error": <ErrorObject wire dict> | None}``;
* ``BatchResult.to_dict()`` -> ``{"all": [item dicts], "completionReason": "<reason>"}`` (the
  serdes wraps it in the ``br`` envelope, protocol.md 6.1);
* summary record (result too large to checkpoint): plain ``json.dumps`` of ``{"type",
  "totalCount", "completionReason", "startedIndexes"|"completedIndexes", "startedCount",
  "successCount", "failureCount", "status", "summary"?}``.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._completion import CompletionPolicy
from .._completion_reason import CompletionReason
from ..config import BatchItemStatus, CompletionItemStatus
from ..exceptions import BatchCompletionError, ChildContextError, InvalidStateError
from ..lambda_service import ErrorObject
from ..types import BatchResult as BatchResultProtocol

if TYPE_CHECKING:  # pragma: no cover
    from ..config import CompletionConfig
    from ..types import SummaryGenerator

logger = logging.getLogger(__name__)

R = TypeVar("R")
CallableType = TypeVar("CallableType")
ResultType = TypeVar("ResultType")

__all__ = [
    "BatchCompletionError",
    "BatchItem",
    "BatchResult",
    "Branch",
    "BranchEvent",
    "BranchEventKind",
    "BranchStatus",
    "CompletionPolicy",
    "CompletionReason",
    "CompletionRecord",
    "Executable",
    "envelope_summary_generator",
]

_SUCCEEDED = BatchItemStatus.SUCCEEDED
_FAILED = BatchItemStatus.FAILED
_STARTED = BatchItemStatus.STARTED

# region Results


@dataclass(frozen=True)
class BatchItem(Generic[R]):
    """One item (map) or branch (parallel) of a batch: its 0-based ``index`` in the input,
    ``status`` (STARTED = started but unfinished when the batch completed), the ``result`` of a
    SUCCEEDED item and the ``error`` (an :class:`ErrorObject`, the inner error's type, not the
    ChildContextError wrapper) of a FAILED one. ``error`` may be None on a FAILED item rebuilt
    from a record without one."""

    index: int
    status: BatchItemStatus
    result: R | None = None
    error: ErrorObject | None = None

    def to_dict(self) -> dict:
        """``{"index", "status", "result", "error"}`` with ``status`` as its string value and
        ``error`` as the ErrorObject wire dict (``ErrorMessage``/``ErrorType``/... , None keys
        omitted) or None."""
        error = self.error
        return {
            "index": self.index,
            "status": self.status.value,
            "result": self.result,
            "error": None if error is None else dict(error.to_dict()),
        }

    @classmethod
    def from_dict(cls, data: dict) -> BatchItem[R]:
        """Inverse of :meth:`to_dict`; a missing or empty ``error`` gives None. Raises
        ``KeyError`` / ``ValueError`` on a dict without ``index`` or with an unknown status."""
        error = data.get("error")
        if error and not isinstance(error, ErrorObject):
            error = ErrorObject.from_dict(error)
        return cls(
            index=data["index"],
            status=BatchItemStatus(data["status"]),
            result=data.get("result"),
            error=error or None,
        )


@dataclass(frozen=True)
class BatchResult(Generic[R], BatchResultProtocol[R]):
    """What ``map`` and ``parallel`` return: ``all`` items that were started (in index order;
    never-started items are omitted) and the ``completion_reason``.

    map/parallel never raise for item failures: inspect :attr:`status` / :attr:`has_failure` or
    call :meth:`throw_if_error`.
    """

    all: list[BatchItem[R]]
    completion_reason: CompletionReason

    @classmethod
    def from_dict(
        cls, data: dict, completion_config: CompletionConfig | None = None
    ) -> BatchResult[R]:
        """Inverse of :meth:`to_dict`. Without ``completionReason`` the reason is inferred from
        the items with :meth:`from_items` (and a warning is logged). Raises ``KeyError`` without
        ``all``, ``ValueError`` on an unknown status or reason."""
        items: list[BatchItem[R]] = [
            item if isinstance(item, BatchItem) else BatchItem.from_dict(item)
            for item in data["all"]
        ]
        reason = data.get("completionReason")
        if reason is None:
            result = cls.from_items(items, completion_config)
            logger.warning(
                "BatchResult without completionReason: inferred %s from its %d items",
                result.completion_reason.value,
                len(items),
            )
            return result
        return cls(items, CompletionReason(reason))

    @classmethod
    def from_items(
        cls, items: list[BatchItem[R]], completion_config: CompletionConfig | None = None
    ) -> BatchResult[R]:
        """A result whose reason is inferred by :class:`CompletionPolicy` from the items'
        statuses, taking ``len(items)`` as the batch size (exact only when every item is
        present)."""
        succeeded = failed = 0
        for item in items:
            if item.status is _SUCCEEDED:
                succeeded += 1
            elif item.status is _FAILED:
                failed += 1
        policy = CompletionPolicy.from_config(len(items), completion_config)
        snapshot = tuple(CompletionItemStatus(index=i.index, status=i.status) for i in items)
        return cls(items, policy.reason(succeeded, failed, snapshot))

    def to_dict(self) -> dict:
        """``{"all": [BatchItem.to_dict(), ...], "completionReason": "<reason value>"}``."""
        return {
            "all": [item.to_dict() for item in self.all],
            "completionReason": self.completion_reason.value,
        }

    def succeeded(self) -> list[BatchItem[R]]:
        """Items with status SUCCEEDED."""
        return [item for item in self.all if item.status is _SUCCEEDED]

    def failed(self) -> list[BatchItem[R]]:
        """Items with status FAILED."""
        return [item for item in self.all if item.status is _FAILED]

    def started(self) -> list[BatchItem[R]]:
        """Items still STARTED (unfinished) when the batch completed."""
        return [item for item in self.all if item.status is _STARTED]

    @property
    def status(self) -> BatchItemStatus:
        """FAILED for CUSTOM_COMPLETION_FAILED, SUCCEEDED for CUSTOM_COMPLETION_SUCCEEDED,
        otherwise FAILED iff some item failed."""
        reason = self.completion_reason
        if reason is CompletionReason.CUSTOM_COMPLETION_FAILED:
            return _FAILED
        if reason is CompletionReason.CUSTOM_COMPLETION_SUCCEEDED:
            return _SUCCEEDED
        return _FAILED if self.has_failure else _SUCCEEDED

    @property
    def has_failure(self) -> bool:
        """True when some item FAILED."""
        return any(item.status is _FAILED for item in self.all)

    def throw_if_error(self) -> None:
        """Raise for the first FAILED item (index order) a ``ChildContextError`` carrying its
        ErrorObject fields (``error_type`` = the item's inner error type); when no item failed
        but a ``should_complete`` predicate completed the batch as FAILED, raise
        ``BatchCompletionError``. Otherwise return None."""
        for item in self.all:
            if item.status is _FAILED:
                if item.error is None:
                    raise ChildContextError(
                        f"map/parallel item {item.index} failed (no error details recorded)"
                    )
                item.error.raise_as_operation_error(ChildContextError)
        reason = self.completion_reason
        if reason is CompletionReason.CUSTOM_COMPLETION_FAILED:
            raise BatchCompletionError(
                reason,
                f"should_complete ended the batch with outcome FAILED ({reason.value})",
            )

    def get_results(self) -> list[R]:
        """Results of the SUCCEEDED items in index order (a None result is kept)."""
        return [item.result for item in self.all if item.status is _SUCCEEDED]  # type: ignore[misc]

    def get_errors(self) -> list[ErrorObject | None]:
        """Errors of the FAILED items in index order (None for an item without one)."""
        return [item.error for item in self.all if item.status is _FAILED]

    @property
    def success_count(self) -> int:
        """Number of SUCCEEDED items."""
        return sum(1 for item in self.all if item.status is _SUCCEEDED)

    @property
    def failure_count(self) -> int:
        """Number of FAILED items."""
        return sum(1 for item in self.all if item.status is _FAILED)

    @property
    def started_count(self) -> int:
        """Number of items still STARTED."""
        return sum(1 for item in self.all if item.status is _STARTED)

    @property
    def total_count(self) -> int:
        """``len(all)``: the items that were started (not the number of inputs)."""
        return len(self.all)


# endregion Results

# region Summary record


@dataclass(frozen=True)
class CompletionRecord:
    """The completion decision kept in a batch's summary record (written when the BatchResult
    is too large to checkpoint; replay rebuilds the result from it, B06).

    ``started_total``: items ever started (the record's ``totalCount``; items are admitted in
    index order, so they are indexes ``0 .. started_total-1``). ``started_indexes``: those still
    STARTED when the batch completed.
    """

    completion_reason: CompletionReason
    started_total: int
    started_indexes: frozenset[int]

    @classmethod
    def from_summary_payload(cls, payload: str | None) -> CompletionRecord | None:
        """Parse a summary record; None (never an exception) when ``payload`` is empty, not
        JSON, not an object, or lacks a valid ``completionReason``, ``totalCount`` (int >= 0) and
        index list (ints in ``[0, totalCount)``)."""
        if not payload:
            return None
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        total = data.get("totalCount")
        if type(total) is not int or total < 0:
            return None
        try:
            reason = CompletionReason(data.get("completionReason"))
        except ValueError:
            return None
        if "startedIndexes" in data:
            started = cls._indexes(data["startedIndexes"], total)
        elif "completedIndexes" in data:
            completed = cls._indexes(data["completedIndexes"], total)
            started = None if completed is None else frozenset(range(total)) - completed
        else:
            return None
        if started is None:
            return None
        return cls(reason, total, started)

    @staticmethod
    def _indexes(raw: Any, total: int) -> frozenset[int] | None:
        if not isinstance(raw, list):
            return None
        if not all(type(i) is int and 0 <= i < total for i in raw):
            return None
        return frozenset(raw)

    @staticmethod
    def summary_index_fields(items: list[BatchItem]) -> dict[str, list[int]]:
        """``{"startedIndexes": [...]}`` or ``{"completedIndexes": [...]}``, whichever list is
        shorter (started on a tie)."""
        started: list[int] = []
        completed: list[int] = []
        for item in items:
            (started if item.status is _STARTED else completed).append(item.index)
        if len(started) <= len(completed):
            return {"startedIndexes": started}
        return {"completedIndexes": completed}

    @staticmethod
    def summary_envelope(result: BatchResult, result_type: str, summary: str | None) -> str:
        """The summary record of ``result`` as plain ``json.dumps`` (default separators), keys
        in wire order; ``result_type`` is ``"MapResult"`` or ``"ParallelResult"``; ``summary``
        (the user generator's output) is added verbatim when not None."""
        record: dict[str, Any] = {
            "type": result_type,
            "totalCount": result.total_count,
            "completionReason": result.completion_reason.value,
        }
        record.update(CompletionRecord.summary_index_fields(result.all))
        record["startedCount"] = result.started_count
        record["successCount"] = result.success_count
        record["failureCount"] = result.failure_count
        record["status"] = result.status.value
        if summary is not None:
            record["summary"] = summary if isinstance(summary, str) else str(summary)
        return json.dumps(record)


def envelope_summary_generator(
    result_type: str, custom_generator: SummaryGenerator | None
) -> SummaryGenerator:
    """The summary generator of a map/parallel operation: always writes the SDK's record
    (:meth:`CompletionRecord.summary_envelope`); ``custom_generator(result)``, when given, only
    supplies its ``summary`` field (its exceptions propagate and fail the operation)."""

    def generate(result: BatchResult) -> str:
        summary = None if custom_generator is None else custom_generator(result)
        return CompletionRecord.summary_envelope(result, result_type, summary)

    return generate


# endregion Summary record

# region Coordinator values


@dataclass(frozen=True)
class Executable(Generic[CallableType]):
    """A unit of a batch: input ``index``, the ``func`` to run and the item/branch ``name``."""

    index: int
    func: CallableType
    name: str | None = None


class BranchStatus(Enum):
    """Where a branch is in the coordinator's life cycle."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    SUSPENDED = "suspended"
    SUSPENDED_WITH_TIMEOUT = "suspended_with_timeout"
    FAILED = "failed"


class Branch(Generic[CallableType, ResultType]):
    """Mutable state of one branch, owned by the coordinator thread only (no locking).

    PENDING -> RUNNING (``start``) -> COMPLETED / FAILED / SUSPENDED / SUSPENDED_WITH_TIMEOUT
    (``resume_at`` epoch seconds); a timed suspension may ``start`` again.
    """

    __slots__ = ("executable", "status", "result", "error", "resume_at")

    def __init__(self, executable: Executable[CallableType]) -> None:
        self.executable = executable
        self.status = BranchStatus.PENDING
        self.result: ResultType | None = None
        self.error: Exception | None = None
        self.resume_at: float | None = None

    @property
    def index(self) -> int:
        return self.executable.index

    def start(self) -> None:
        """PENDING or SUSPENDED_WITH_TIMEOUT -> RUNNING; ``InvalidStateError`` otherwise."""
        if self.status is not BranchStatus.PENDING and (
            self.status is not BranchStatus.SUSPENDED_WITH_TIMEOUT
        ):
            raise InvalidStateError(
                f"branch {self.index} cannot start from status {self.status.name}"
            )
        self.status = BranchStatus.RUNNING
        self.resume_at = None

    def complete(self, result: ResultType | None) -> None:
        self.status = BranchStatus.COMPLETED
        self.result = result

    def fail(self, error: Exception) -> None:
        self.status = BranchStatus.FAILED
        self.error = error

    def suspend(self) -> None:
        """Suspended until something external happens (no resume time)."""
        self.status = BranchStatus.SUSPENDED
        self.resume_at = None

    def suspend_until(self, resume_at: float) -> None:
        """Suspended until ``resume_at`` (epoch seconds); may be resumed in-process."""
        self.status = BranchStatus.SUSPENDED_WITH_TIMEOUT
        self.resume_at = resume_at

    def __repr__(self) -> str:
        return f"Branch(index={self.index}, status={self.status.name})"


class BranchEventKind(Enum):
    """What happened to a branch run."""

    COMPLETED = "completed"
    FAILED = "failed"
    SUSPENDED = "suspended"
    SUSPENDED_UNTIL = "suspended_until"
    ORPHANED = "orphaned"
    FATAL = "fatal"


@dataclass(frozen=True)
class BranchEvent(Generic[ResultType]):
    """The message a worker sends the coordinator when a branch run ends (``result`` of a
    completed run, ``error`` of a failed one, ``resume_at`` epoch seconds of a timed
    suspension, ``fatal_error`` a ``BaseException`` the coordinator must re-raise)."""

    index: int
    kind: BranchEventKind
    result: ResultType | None = None
    error: Exception | None = None
    resume_at: float | None = None
    fatal_error: BaseException | None = None

    @classmethod
    def completed(cls, index: int, result: ResultType | None) -> BranchEvent[ResultType]:
        return cls(index, BranchEventKind.COMPLETED, result=result)

    @classmethod
    def failed(cls, index: int, error: Exception) -> BranchEvent[ResultType]:
        return cls(index, BranchEventKind.FAILED, error=error)

    @classmethod
    def suspended(cls, index: int) -> BranchEvent[ResultType]:
        return cls(index, BranchEventKind.SUSPENDED)

    @classmethod
    def suspended_until(cls, index: int, resume_at: float) -> BranchEvent[ResultType]:
        return cls(index, BranchEventKind.SUSPENDED_UNTIL, resume_at=resume_at)

    @classmethod
    def orphaned(cls, index: int) -> BranchEvent[ResultType]:
        return cls(index, BranchEventKind.ORPHANED)

    @classmethod
    def fatal(cls, index: int, error: BaseException) -> BranchEvent[ResultType]:
        return cls(index, BranchEventKind.FATAL, fatal_error=error)


# endregion Coordinator values
