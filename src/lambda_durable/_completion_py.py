"""Completion policy of map/parallel, pure-Python twin of the compiled ``_completion_c``.

The one place where a batch's completion is decided (protocol.md 5.9, B16, B17). The coordinator
calls :meth:`CompletionPolicy.decide` after every item transition (and once before scheduling);
``BatchResult.from_items`` uses :meth:`CompletionPolicy.reason`.

Rules, with ``total`` = number of items in the batch:

* tolerance exceeded: never when a ``should_complete`` predicate is configured; with no
  threshold at all (fail-fast) iff ``failed > 0``; else iff ``failed > tolerated_failure_count``
  or ``failed / total * 100 > tolerated_failure_percentage``;
* complete: the predicate returned ``complete_batch(...)``, or ``succeeded + failed >= total``,
  or ``succeeded >= min_successful``;
* reason priority: FAILURE_TOLERANCE_EXCEEDED > CUSTOM_COMPLETION_SUCCEEDED/FAILED >
  ALL_COMPLETED (all finished) > MIN_SUCCESSFUL_REACHED > ALL_COMPLETED (fallback).

The predicate receives a :class:`~lambda_durable.config.CompletionStatus`; it must return a
:class:`~lambda_durable.config.CompletionDecision` (``None`` counts as "continue"); anything else
raises ``ValidationError``. It must be deterministic and monotonic (it is re-evaluated on replay).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._completion_reason import CompletionReason
from .config import CompletionDecision, CompletionOutcome, CompletionStatus
from .exceptions import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from .config import CompletionConfig, CompletionItemStatus

__all__ = ["CompletionPolicy"]

_TOLERANCE = CompletionReason.FAILURE_TOLERANCE_EXCEEDED
_CUSTOM_OK = CompletionReason.CUSTOM_COMPLETION_SUCCEEDED
_CUSTOM_FAILED = CompletionReason.CUSTOM_COMPLETION_FAILED
_ALL = CompletionReason.ALL_COMPLETED
_MIN = CompletionReason.MIN_SUCCESSFUL_REACHED
_OUTCOME_FAILED = CompletionOutcome.FAILED


class CompletionPolicy:
    """Completion criteria of one batch of ``total`` items (fields as
    :class:`~lambda_durable.config.CompletionConfig`; build with :meth:`from_config`).

    Immutable. ``decide(succeeded, failed, items)`` is the hot-path call: it runs the predicate
    at most once and returns ``(complete, reason)``. The official SDK's finer-grained methods
    (``evaluate``, ``is_complete``, ``reason``, ``should_continue``) are offered too.
    """

    __slots__ = (
        "total",
        "min_successful",
        "tolerated_failure_count",
        "tolerated_failure_percentage",
        "should_complete",
        "_fail_fast",
    )

    total: int
    min_successful: int | None
    tolerated_failure_count: int | None
    tolerated_failure_percentage: float | None
    should_complete: Callable[[CompletionStatus], CompletionDecision] | None

    def __init__(
        self,
        total: int,
        min_successful: int | None = None,
        tolerated_failure_count: int | None = None,
        tolerated_failure_percentage: int | float | None = None,
        should_complete: Callable[[CompletionStatus], CompletionDecision] | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "total", total)
        setattr_(self, "min_successful", min_successful)
        setattr_(self, "tolerated_failure_count", tolerated_failure_count)
        setattr_(self, "tolerated_failure_percentage", tolerated_failure_percentage)
        setattr_(self, "should_complete", should_complete)
        setattr_(
            self,
            "_fail_fast",
            should_complete is None
            and min_successful is None
            and tolerated_failure_count is None
            and tolerated_failure_percentage is None,
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"CompletionPolicy is immutable (cannot set {name!r})")

    @classmethod
    def from_config(cls, total: int, config: CompletionConfig | None) -> CompletionPolicy:
        """The policy of a batch of ``total`` items under ``config`` (None = fail-fast)."""
        if config is None:
            return cls(total)
        return cls(
            total,
            config.min_successful,
            config.tolerated_failure_count,
            config.tolerated_failure_percentage,
            config.should_complete,
        )

    @property
    def has_criteria(self) -> bool:
        """True when any threshold (min_successful or a tolerance) is configured."""
        return (
            self.min_successful is not None
            or self.tolerated_failure_count is not None
            or self.tolerated_failure_percentage is not None
        )

    def is_tolerance_exceeded(self, failed: int) -> bool:
        """True when ``failed`` failures exceed the tolerance (never with a predicate)."""
        if self.should_complete is not None:
            return False
        if self._fail_fast:
            return failed > 0
        count = self.tolerated_failure_count
        if count is not None and failed > count:
            return True
        pct = self.tolerated_failure_percentage
        if pct is not None and self.total > 0:
            # evaluated exactly as protocol.md 5.9 writes it (float rounding included, e.g.
            # 7 of 100 gives 7.000000000000001 > 7): which items start must match the official
            # SDK's decision for replays to line up
            return failed / self.total * 100 > pct
        return False

    def should_continue(self, failed: int) -> bool:
        """True while more items may be scheduled (tolerance not exceeded)."""
        return not self.is_tolerance_exceeded(failed)

    def status(
        self, succeeded: int, failed: int, items: tuple[CompletionItemStatus, ...] = ()
    ) -> CompletionStatus:
        """The :class:`CompletionStatus` snapshot the predicate receives."""
        return CompletionStatus(succeeded, failed, succeeded + failed, self.total, tuple(items))

    def evaluate(
        self, succeeded: int, failed: int, items: tuple[CompletionItemStatus, ...] = ()
    ) -> CompletionDecision | None:
        """Run the ``should_complete`` predicate once; None when there is none (or it returned
        None). Raises ``ValidationError`` when it returns something other than a
        ``CompletionDecision``."""
        predicate = self.should_complete
        if predicate is None:
            return None
        decision = predicate(self.status(succeeded, failed, items))
        if decision is None or isinstance(decision, CompletionDecision):
            return decision
        msg = (
            "CompletionConfig.should_complete must return a CompletionDecision "
            f"(continue_batch() or complete_batch(outcome)), got: {decision!r}"
        )
        raise ValidationError(msg)

    def is_complete(
        self,
        succeeded: int,
        failed: int,
        items: tuple[CompletionItemStatus, ...] = (),
        decision: CompletionDecision | None = None,
    ) -> bool:
        """True when the predicate fired, every item finished, or ``min_successful`` was reached.
        ``decision``: the result of :meth:`evaluate` (evaluated here when None and a predicate
        exists). Does not look at tolerance (see :meth:`should_continue`)."""
        if self.should_complete is not None:
            if decision is None:
                decision = self.evaluate(succeeded, failed, items)
            if decision is not None and decision.complete:
                return True
        if succeeded + failed >= self.total:
            return True
        return self.min_successful is not None and succeeded >= self.min_successful

    def reason(
        self,
        succeeded: int,
        failed: int,
        items: tuple[CompletionItemStatus, ...] = (),
        decision: CompletionDecision | None = None,
    ) -> CompletionReason:
        """The completion reason by priority; ALL_COMPLETED when nothing else applies.
        ``decision`` as in :meth:`is_complete`."""
        complete, why = self.decide(succeeded, failed, items, decision)
        return why if complete else _ALL

    def decide(
        self,
        succeeded: int,
        failed: int,
        items: tuple[CompletionItemStatus, ...] = (),
        decision: CompletionDecision | None = None,
    ) -> tuple[bool, CompletionReason | None]:
        """``(True, reason)`` when the batch must end now (tolerance exceeded counts as an end),
        else ``(False, None)``. Runs the predicate at most once (not at all when ``decision`` is
        given)."""
        if self.should_complete is not None:
            if decision is None:
                decision = self.evaluate(succeeded, failed, items)
            if decision is not None and decision.complete:
                return True, (_CUSTOM_FAILED if decision.outcome is _OUTCOME_FAILED else _CUSTOM_OK)
        elif self.is_tolerance_exceeded(failed):
            return True, _TOLERANCE
        if succeeded + failed >= self.total:
            return True, _ALL
        if self.min_successful is not None and succeeded >= self.min_successful:
            return True, _MIN
        return False, None

    def __reduce__(self) -> tuple:
        return (
            type(self),
            (
                self.total,
                self.min_successful,
                self.tolerated_failure_count,
                self.tolerated_failure_percentage,
                self.should_complete,
            ),
        )

    def __repr__(self) -> str:
        return (
            f"CompletionPolicy(total={self.total!r}, min_successful={self.min_successful!r}, "
            f"tolerated_failure_count={self.tolerated_failure_count!r}, "
            f"tolerated_failure_percentage={self.tolerated_failure_percentage!r}, "
            f"should_complete={self.should_complete!r})"
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return (
            self.total,
            self.min_successful,
            self.tolerated_failure_count,
            self.tolerated_failure_percentage,
            self.should_complete,
        ) == (
            other.total,  # type: ignore[attr-defined]
            other.min_successful,  # type: ignore[attr-defined]
            other.tolerated_failure_count,  # type: ignore[attr-defined]
            other.tolerated_failure_percentage,  # type: ignore[attr-defined]
            other.should_complete,  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((self.total, self.min_successful, self.tolerated_failure_count,
                     self.tolerated_failure_percentage, id(self.should_complete)))
