"""Configuration objects of the durable operations (names, fields and defaults of the official SDK
3.x ``config`` module, so positional and keyword construction behave the same).

Every config is a frozen dataclass validated in ``__post_init__``: a value the service would reject
(or that makes no sense) raises :class:`~lambda_durable.exceptions.ValidationError` when the config
is built, before anything is checkpointed. All durations are whole seconds (:class:`Duration`).

Rules come from protocol.md: SubType pattern (1.3, 1.4), callback timeouts (1.4, 5.6), completion
configs (5.9), jitter (5.4).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import _backoff
from .exceptions import ValidationError
from .limits import MAX_CALLBACK_TIMEOUT_SECONDS, SUBTYPE_PATTERN

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from .retries import RetryDecision
    from .serdes import SerDes
    from .types import SummaryGenerator

P = TypeVar("P")  # invoke payload type
R = TypeVar("R")  # invoke result type
T = TypeVar("T")

__all__ = [
    "BatchItemStatus",
    "CheckpointStrategy",
    "CallbackConfig",
    "ChildConfig",
    "CompletionConfig",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionStatus",
    "Duration",
    "InvokeConfig",
    "JitterStrategy",
    "MapConfig",
    "NestingType",
    "ParallelBranch",
    "ParallelConfig",
    "StepConfig",
    "StepSemantics",
    "WaitForCallbackConfig",
    "complete_batch",
    "continue_batch",
]

_SUB_TYPE_RE = SUBTYPE_PATTERN
# (compiled by the first InvokeConfig with a tenant id, through ``re``'s cache, not at import)
_TENANT_ID_PATTERN = r"[a-zA-Z0-9._:/=+\-@ ]{1,256}"


def _is_int(value: object) -> bool:
    import numbers  # here, not at import: cold start

    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _validate_sub_type(sub_type: object) -> None:
    """``None`` and ``""`` select the SDK's default SubType; anything else must match the API's
    SubType pattern ``[a-zA-Z0-9-_]{1,32}`` (protocol.md 1.3/1.4), checked before any checkpoint."""
    if sub_type is None or sub_type == "":
        return
    if not isinstance(sub_type, str) or _SUB_TYPE_RE.fullmatch(sub_type) is None:
        msg = (
            "sub_type must be 1 to 32 characters from A-Z, a-z, 0-9, '-' and '_' "
            f"(or None/'' for the default), got: {sub_type!r}"
        )
        raise ValidationError(msg)


def _coerce_duration(owner: object, name: str) -> None:
    """Accept a :class:`Duration` (or whole seconds as an int) for field ``name`` of ``owner``."""
    value = getattr(owner, name)
    if isinstance(value, Duration):
        return
    if _is_int(value):
        object.__setattr__(owner, name, Duration(int(value)))
        return
    msg = f"{type(owner).__name__}.{name} must be a Duration, got: {value!r}"
    raise ValidationError(msg)


# region Duration


@dataclass(frozen=True)
class Duration:
    """A length of time in whole seconds (``seconds >= 0``).

    The ``from_*`` constructors truncate toward zero with ``int()`` (``from_seconds(1.9)`` is 1 s,
    ``from_minutes(0.5)`` is 30 s), as the official SDK does (protocol.md 5.1). A float passed to
    the constructor is truncated the same way. Negative values raise ``ValidationError``.
    """

    seconds: int = 0

    def __post_init__(self) -> None:
        value = self.seconds
        if type(value) is int and value >= 0:  # fast path
            return
        if not _is_number(value):
            msg = f"Duration seconds must be a number of seconds, got: {value!r}"
            raise ValidationError(msg)
        if value < 0:
            msg = f"Duration seconds must not be negative, got: {value!r}"
            raise ValidationError(msg)
        if isinstance(value, float) and not math.isfinite(value):
            msg = f"Duration seconds must be finite, got: {value!r}"
            raise ValidationError(msg)
        if not isinstance(value, int) or isinstance(value, bool):
            object.__setattr__(self, "seconds", int(value))

    def to_seconds(self) -> int:
        """Total length in whole seconds."""
        return self.seconds

    @classmethod
    def from_seconds(cls, value: float) -> Duration:
        """``Duration(int(value))``; non-finite or negative values raise ``ValidationError``."""
        return cls(seconds=value)

    @classmethod
    def from_minutes(cls, value: float) -> Duration:
        """``Duration(int(value * 60))``."""
        return cls(seconds=value * 60)

    @classmethod
    def from_hours(cls, value: float) -> Duration:
        """``Duration(int(value * 3600))``."""
        return cls(seconds=value * 3600)

    @classmethod
    def from_days(cls, value: float) -> Duration:
        """``Duration(int(value * 86400))``."""
        return cls(seconds=value * 86400)


# endregion Duration

# region Enums


class NestingType(Enum):
    """How map/parallel items run: ``NESTED`` gives every item its own CONTEXT operation
    (MapIteration/ParallelBranch); ``FLAT`` runs items in virtual contexts that checkpoint nothing
    for themselves (their inner operations report the Map/Parallel operation as parent,
    protocol.md 4.3)."""

    NESTED = "NESTED"
    FLAT = "FLAT"


class BatchItemStatus(Enum):
    """Status of one map/parallel item in a :class:`~lambda_durable.concurrency.models.BatchResult`
    (STARTED = started but unfinished when the batch completed)."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STARTED = "STARTED"


class CompletionOutcome(Enum):
    """Outcome a ``should_complete`` predicate gives the batch when it completes it."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class StepSemantics(Enum):
    """Delivery guarantee of a step attempt (protocol.md 5.3).

    ``AT_LEAST_ONCE_PER_RETRY`` (default): START is checkpointed asynchronously; after a crash the
    attempt's body may run again. ``AT_MOST_ONCE_PER_RETRY``: START is checkpointed synchronously
    before the body; an attempt found STARTED on replay is treated as interrupted and handed to
    the retry strategy as ``StepInterruptedError`` instead of re-running the body.
    """

    AT_MOST_ONCE_PER_RETRY = "AT_MOST_ONCE_PER_RETRY"
    AT_LEAST_ONCE_PER_RETRY = "AT_LEAST_ONCE_PER_RETRY"


class JitterStrategy(StrEnum):
    """Random spread applied to a retry/poll delay (protocol.md 5.4).

    ``NONE``: the base delay. ``FULL``: ``random() * base``. ``HALF``:
    ``base/2 + random() * base/2``. The jittered delay is then rounded up and clamped to at least
    1 second (:meth:`finalize_delay`).
    """

    NONE = "NONE"
    FULL = "FULL"
    HALF = "HALF"

    def apply_jitter(self, delay: float) -> float:
        """The jittered ``delay`` in (fractional) seconds."""
        return _backoff.apply_jitter(self.value, delay)

    def finalize_delay(self, base_delay: float) -> int:
        """``max(1, ceil(apply_jitter(base_delay)))``: whole seconds, at least 1."""
        return _backoff.finalize_delay(self.value, base_delay)


class CheckpointStrategy(Enum):
    """When the SDK sends the updates user code produces (``durable_execution(...,
    checkpoint_strategy=...)``). None of them sleeps waiting for more updates, and every one
    flushes and waits for the acknowledgement of everything before the invocation returns.

    ``EAGER`` (default): every update that must be durable before the code goes on (a step's
    SUCCEED/FAIL/RETRY, an AT_MOST_ONCE step's START, a wait/callback/invoke START, a child's
    end) is sent at once, together with the queued non-blocking updates (an AT_LEAST_ONCE step's
    START, a child's START); those are also sent on their own after
    ``limits.ASYNC_FLUSH_DELAY_SECONDS``. Durability: once an operation has returned to user
    code, its result survives any crash.

    ``BATCHED``: updates whose response the SDK does not read and that no guarantee needs durable
    at once (a step's or a child's SUCCEED/FAIL) are queued too and coalesced into the next call
    that must go out (a wait/callback/invoke START, a RETRY, an AT_MOST_ONCE START, the end of
    the invocation) or the delayed safety flush. Fewest calls. Durability: a crash before that
    call loses the queued results: AT_LEAST_ONCE steps completed meanwhile run again on the next
    invocation (still at least once per retry); an AT_MOST_ONCE step completed meanwhile is
    found STARTED and handed to its retry strategy as interrupted.

    ``OPTIMISTIC``: those same updates are sent at once by a background thread, without user
    code waiting for the acknowledgement; updates whose response the SDK needs (CALLBACK START
    for its CallbackId, CHAINED_INVOKE START, WAIT START, a RETRY, anything followed by a
    re-read) or that a guarantee needs durable first (an AT_MOST_ONCE START, the EXECUTION
    result) still block, after the background sends. Fastest. Durability: like ``BATCHED``,
    but the window is one round trip; a failed background send is raised at the next
    checkpoint or at the end of the invocation.
    """

    EAGER = "EAGER"
    BATCHED = "BATCHED"
    OPTIMISTIC = "OPTIMISTIC"


# endregion Enums

# region Completion


@dataclass(frozen=True)
class CompletionDecision:
    """What a ``should_complete`` predicate returns; build it with :func:`continue_batch` or
    :func:`complete_batch`. ``outcome`` is required when ``complete`` is True and must be None
    otherwise (``ValidationError``)."""

    complete: bool
    outcome: CompletionOutcome | None = None

    def __post_init__(self) -> None:
        if self.complete and self.outcome is None:
            raise ValidationError("CompletionDecision.outcome is required when complete is True")
        if not self.complete and self.outcome is not None:
            raise ValidationError("CompletionDecision.outcome must be None when complete is False")


def continue_batch() -> CompletionDecision:
    """Do not complete the batch now."""
    return CompletionDecision(complete=False)


def complete_batch(outcome: CompletionOutcome = CompletionOutcome.SUCCEEDED) -> CompletionDecision:
    """Complete the batch now with ``outcome`` (reason CUSTOM_COMPLETION_SUCCEEDED / _FAILED)."""
    return CompletionDecision(complete=True, outcome=outcome)


@dataclass(frozen=True)
class CompletionItemStatus:
    """One item as a ``should_complete`` predicate sees it: ``status`` is None while the item has
    not reached a reported state (not started), else a :class:`BatchItemStatus`."""

    index: int
    name: str | None = None
    status: BatchItemStatus | None = None


@dataclass(frozen=True)
class CompletionStatus:
    """Snapshot handed to ``should_complete``: counts so far (``completed_count`` = successes +
    failures, ``total_count`` = all items) and the per-item view ``items``."""

    success_count: int
    failure_count: int
    completed_count: int
    total_count: int
    items: tuple[CompletionItemStatus, ...] = ()


@dataclass(frozen=True)
class CompletionConfig:
    """When a map/parallel batch is complete (protocol.md 5.9).

    * ``min_successful``: complete once this many items succeeded (``>= 1``; more than the number
      of items raises ``ValidationError`` when the batch starts, see :meth:`validate_for_total`).
    * ``tolerated_failure_count``: tolerance is exceeded when failures ``>`` this (``>= 0``).
    * ``tolerated_failure_percentage``: exceeded when ``failed / total * 100 >`` this
      (``0..100``).
    * ``should_complete(CompletionStatus) -> CompletionDecision``: custom predicate, exclusive
      with the three thresholds; it replaces tolerance checking entirely.

    With nothing set the batch is fail-fast: the first failure exceeds tolerance. A batch always
    completes once every item finished. Presets: :meth:`first_successful`, :meth:`all_completed`,
    :meth:`all_successful`.
    """

    min_successful: int | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: int | float | None = None
    should_complete: Callable[[CompletionStatus], CompletionDecision] | None = None

    def __post_init__(self) -> None:
        ms = self.min_successful
        if ms is not None and (not _is_int(ms) or ms < 1):
            msg = f"CompletionConfig.min_successful must be an integer >= 1 (or None), got: {ms!r}"
            raise ValidationError(msg)
        count = self.tolerated_failure_count
        if count is not None and (not _is_int(count) or count < 0):
            msg = (
                "CompletionConfig.tolerated_failure_count must be an integer >= 0 (or None), "
                f"got: {count!r}"
            )
            raise ValidationError(msg)
        pct = self.tolerated_failure_percentage
        if pct is not None and (not _is_number(pct) or not 0 <= pct <= 100):
            msg = (
                "CompletionConfig.tolerated_failure_percentage must be a number between 0 and 100 "
                f"(or None), got: {pct!r}"
            )
            raise ValidationError(msg)
        if self.should_complete is not None:
            if not callable(self.should_complete):
                msg = (
                    "CompletionConfig.should_complete must be a callable "
                    f"(CompletionStatus) -> CompletionDecision, got: {self.should_complete!r}"
                )
                raise ValidationError(msg)
            if ms is not None or count is not None or pct is not None:
                msg = (
                    "CompletionConfig.should_complete cannot be combined with min_successful, "
                    "tolerated_failure_count or tolerated_failure_percentage"
                )
                raise ValidationError(msg)

    def validate_for_total(self, total: int) -> None:
        """Raise ``ValidationError`` when ``min_successful`` exceeds ``total`` items (called by
        map/parallel before anything is checkpointed; takes no operation ID)."""
        if self.min_successful is not None and self.min_successful > total:
            msg = (
                "CompletionConfig.min_successful cannot be greater than the number of items: "
                f"{self.min_successful} > {total}"
            )
            raise ValidationError(msg)

    # name used by the official SDK
    _validate_for_total = validate_for_total

    @staticmethod
    def first_successful() -> CompletionConfig:
        """Complete at the first success: ``CompletionConfig(min_successful=1)``."""
        return CompletionConfig(min_successful=1)

    @staticmethod
    def all_completed() -> CompletionConfig:
        """Run every item whatever fails: ``tolerated_failure_percentage=100``."""
        return CompletionConfig(tolerated_failure_percentage=100)

    @staticmethod
    def all_successful() -> CompletionConfig:
        """Stop at the first failure: ``tolerated_failure_count=0``,
        ``tolerated_failure_percentage=0``."""
        return CompletionConfig(tolerated_failure_count=0, tolerated_failure_percentage=0)


# endregion Completion

# region Operation configs


def _validate_max_concurrency(owner: object) -> None:
    value = owner.max_concurrency  # type: ignore[attr-defined]
    if value is not None and (not _is_int(value) or value < 1):
        msg = (
            f"{type(owner).__name__}.max_concurrency must be an integer >= 1 (or None), "
            f"got: {value!r}"
        )
        raise ValidationError(msg)


@dataclass(frozen=True)
class ParallelConfig:
    """``parallel`` options (protocol.md 5.9).

    ``max_concurrency``: branches running at once (None = all; ``< 1`` raises
    ``ValidationError``). ``completion_config`` defaults to :meth:`CompletionConfig.all_successful`.
    Branch results use ``item_serdes or serdes``; the BatchResult uses ``serdes``.
    ``summary_generator(BatchResult) -> str`` contributes the ``summary`` field of the record
    written when the result exceeds the checkpoint size limit. ``nesting_type``: see
    :class:`NestingType`.
    """

    max_concurrency: int | None = None
    completion_config: CompletionConfig = field(default_factory=CompletionConfig.all_successful)
    serdes: SerDes | None = None
    item_serdes: SerDes | None = None
    summary_generator: SummaryGenerator | None = None
    nesting_type: NestingType = NestingType.NESTED

    def __post_init__(self) -> None:
        _validate_max_concurrency(self)
        if self.completion_config is None:
            object.__setattr__(self, "completion_config", CompletionConfig.all_successful())


@dataclass(frozen=True)
class ParallelBranch(Generic[T]):
    """A parallel branch with a name: ``func(ctx)`` runs in the branch's child context; ``name``
    replaces the default ``parallel-branch-<i>``. Calling the branch calls ``func``."""

    func: Callable
    name: str | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)


@dataclass(frozen=True)
class StepConfig:
    """``step`` options (protocol.md 5.3).

    ``retry_strategy(error, attempts_made) -> RetryDecision``; None uses
    ``RetryPresets.default()`` when the step fails. ``step_semantics``: :class:`StepSemantics`.
    ``serdes`` for the result (default: the extended envelope). ``sub_type`` (keyword-only)
    replaces the ``Step`` SubType; it must match ``[a-zA-Z0-9-_]{1,32}``.
    """

    retry_strategy: Callable[[Exception, int], RetryDecision] | None = None
    step_semantics: StepSemantics = StepSemantics.AT_LEAST_ONCE_PER_RETRY
    serdes: SerDes | None = None
    sub_type: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _validate_sub_type(self.sub_type)


@dataclass(frozen=True)
class ChildConfig(Generic[T]):
    """``run_in_child_context`` options (protocol.md 5.8).

    ``serdes`` for the result; ``sub_type`` replaces ``RunInChildContext`` (pattern
    ``[a-zA-Z0-9-_]{1,32}``); ``summary_generator(result) -> str`` is checkpointed instead of a
    result larger than 262,144 bytes (the body then re-runs on replay); ``is_virtual=True`` runs
    the body without a CONTEXT operation of its own.
    """

    serdes: SerDes | None = None
    sub_type: str | None = None
    summary_generator: SummaryGenerator | None = None
    is_virtual: bool = False

    def __post_init__(self) -> None:
        _validate_sub_type(self.sub_type)


@dataclass(frozen=True)
class MapConfig(Generic[T]):
    """``map`` options (protocol.md 5.9): as :class:`ParallelConfig`, but ``completion_config``
    defaults to ``CompletionConfig()`` (fail-fast) and ``item_namer(item, index) -> str`` names
    the items (default ``map-item-<i>``)."""

    max_concurrency: int | None = None
    completion_config: CompletionConfig = field(default_factory=CompletionConfig)
    serdes: SerDes | None = None
    item_serdes: SerDes | None = None
    summary_generator: SummaryGenerator | None = None
    nesting_type: NestingType = NestingType.NESTED
    item_namer: Callable[[T, int], str] | None = None

    def __post_init__(self) -> None:
        _validate_max_concurrency(self)
        if self.completion_config is None:
            object.__setattr__(self, "completion_config", CompletionConfig())


@dataclass(frozen=True)
class InvokeConfig(Generic[P, R]):
    """``invoke`` options (protocol.md 5.7): ``serdes_payload`` / ``serdes_result`` (default plain
    JSON), ``tenant_id`` (1..256 chars of ``[a-zA-Z0-9._:/=+-@ ]``)."""

    serdes_payload: SerDes[P] | None = None
    serdes_result: SerDes[R] | None = None
    tenant_id: str | None = None

    def __post_init__(self) -> None:
        tid = self.tenant_id
        if tid is not None and (
            not isinstance(tid, str) or re.fullmatch(_TENANT_ID_PATTERN, tid) is None
        ):
            msg = (
                "InvokeConfig.tenant_id must be 1 to 256 characters from A-Z, a-z, 0-9 and "
                f"'._:/=+-@ ' (or None), got: {tid!r}"
            )
            raise ValidationError(msg)


@dataclass(frozen=True)
class CallbackConfig:
    """``create_callback`` options (protocol.md 5.6).

    ``timeout`` / ``heartbeat_timeout``: :class:`Duration` (whole seconds also accepted), 0 = none,
    at most 99,999,999 s; sent as ``CallbackOptions.TimeoutSeconds`` /
    ``HeartbeatTimeoutSeconds``. ``serdes`` decodes the result (default: the raw string).
    ``sub_type`` (keyword-only) replaces ``Callback``; pattern ``[a-zA-Z0-9-_]{1,32}``.
    """

    timeout: Duration = field(default_factory=Duration)
    heartbeat_timeout: Duration = field(default_factory=Duration)
    serdes: SerDes | None = None
    sub_type: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        for name in ("timeout", "heartbeat_timeout"):
            _coerce_duration(self, name)
            seconds = getattr(self, name).seconds
            if seconds > MAX_CALLBACK_TIMEOUT_SECONDS:
                msg = (
                    f"{type(self).__name__}.{name} must be at most "
                    f"{MAX_CALLBACK_TIMEOUT_SECONDS} seconds, got: {seconds}"
                )
                raise ValidationError(msg)
        _validate_sub_type(self.sub_type)

    @property
    def timeout_seconds(self) -> int:
        """``timeout`` in whole seconds (0 = none)."""
        return self.timeout.to_seconds()

    @property
    def heartbeat_timeout_seconds(self) -> int:
        """``heartbeat_timeout`` in whole seconds (0 = none)."""
        return self.heartbeat_timeout.to_seconds()


@dataclass(frozen=True)
class WaitForCallbackConfig(CallbackConfig):
    """``wait_for_callback`` options: :class:`CallbackConfig` plus ``retry_strategy`` for the
    submitter step (its ``serdes`` also decodes the callback result)."""

    retry_strategy: Callable[[Exception, int], RetryDecision] | None = None


# endregion Operation configs
