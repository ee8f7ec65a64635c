"""Retry strategies for steps, the wait_for_callback submitter and :func:`with_retry`.

A retry strategy is any callable ``(error: Exception, attempts_made: int) -> RetryDecision``;
``attempts_made`` counts the attempt that just failed (1 after the first failure). The built-in
ones (protocol.md 5.4) decide in this order:

1. ``attempts_made >= max_attempts`` -> no retry;
2. error filters: with neither ``retryable_errors`` nor ``retryable_error_types`` set every error
   matches; otherwise only the configured filter(s) apply (an unset one matches nothing; B13): a
   ``str`` matches as a substring of ``str(error)``, an ``re.Pattern`` by ``search``, a type by
   ``isinstance``; any match retries;
3. base delay: exponential ``min(initial * rate ** (attempts_made - 1), max)`` or linear
   ``min(initial + increment * (attempts_made - 1), max)`` seconds;
4. delay ``= max(1, ceil(jitter(base)))`` whole seconds
   (:class:`~lambda_durable.config.JitterStrategy`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from . import _backoff
from .config import Duration, JitterStrategy
from .exceptions import ExecutionError, InvocationError

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable, Sequence

    from .config import ChildConfig
    from .types import DurableContext

T = TypeVar("T")

Numeric = int | float

__all__ = [
    "LinearRetryStrategyConfig",
    "RetryDecision",
    "RetryPresets",
    "RetryStrategyConfig",
    "WithRetryConfig",
    "create_linear_retry_strategy",
    "create_retry_strategy",
    "with_retry",
]


def _as_duration(value: Duration | int | float) -> Duration:
    return value if isinstance(value, Duration) else Duration(value)


@dataclass
class RetryDecision:
    """A strategy's answer: ``should_retry`` and, when retrying, the ``delay`` before the next
    attempt (the step sends ``max(1, delay_seconds)`` as ``NextAttemptDelaySeconds``)."""

    should_retry: bool
    delay: Duration

    @property
    def delay_seconds(self) -> int:
        """``delay`` in whole seconds."""
        return self.delay.to_seconds()

    @classmethod
    def retry(cls, delay: Duration) -> RetryDecision:
        """Retry after ``delay`` (a :class:`Duration`; whole seconds as a number also accepted)."""
        return cls(should_retry=True, delay=_as_duration(delay))

    @classmethod
    def no_retry(cls) -> RetryDecision:
        """Give up: the operation fails with the last error."""
        return cls(should_retry=False, delay=Duration())


@dataclass
class RetryStrategyConfig:
    """Exponential backoff (protocol.md 5.4): ``max_attempts`` counts every attempt including
    the first; delays grow from ``initial_delay`` by ``backoff_rate`` up to ``max_delay``, then
    ``jitter_strategy`` applies. ``retryable_errors`` (``str`` substrings / ``re.Pattern``) and
    ``retryable_error_types`` filter which errors retry (both None = all)."""

    max_attempts: int = 3
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(5))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    backoff_rate: Numeric = 2.0
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: list[str | re.Pattern] | None = None
    retryable_error_types: list[type[Exception]] | None = None

    @property
    def initial_delay_seconds(self) -> int:
        """``initial_delay`` in whole seconds."""
        return self.initial_delay.to_seconds()

    @property
    def max_delay_seconds(self) -> int:
        """``max_delay`` in whole seconds."""
        return self.max_delay.to_seconds()


@dataclass
class LinearRetryStrategyConfig:
    """Linear backoff: base delay ``initial_delay + increment * (attempts_made - 1)`` capped at
    ``max_delay``; otherwise as :class:`RetryStrategyConfig`."""

    max_attempts: int = 6
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(1))
    increment: Duration = field(default_factory=lambda: Duration.from_seconds(1))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: list[str | re.Pattern] | None = None
    retryable_error_types: list[type[Exception]] | None = None

    @property
    def initial_delay_seconds(self) -> int:
        """``initial_delay`` in whole seconds."""
        return self.initial_delay.to_seconds()

    @property
    def increment_seconds(self) -> int:
        """``increment`` in whole seconds."""
        return self.increment.to_seconds()

    @property
    def max_delay_seconds(self) -> int:
        """``max_delay`` in whole seconds."""
        return self.max_delay.to_seconds()


class _ErrorFilter:
    """The resolved error filters of a config (step 2 of the module docstring)."""

    __slots__ = ("match_all", "substrings", "patterns", "types")

    def __init__(
        self,
        retryable_errors: Sequence[str | re.Pattern] | None,
        retryable_error_types: Sequence[type[BaseException]] | None,
    ) -> None:
        self.match_all = retryable_errors is None and retryable_error_types is None
        errors = list(retryable_errors or ())
        self.substrings = [e for e in errors if isinstance(e, str)]
        self.patterns = [e for e in errors if isinstance(e, re.Pattern)]
        self.types = tuple(retryable_error_types or ())

    def matches(self, error: BaseException) -> bool:
        if self.match_all:
            return True
        if self.types and isinstance(error, self.types):
            return True
        if self.substrings or self.patterns:
            text = str(error)
            if any(s in text for s in self.substrings):
                return True
            if any(p.search(text) for p in self.patterns):
                return True
        return False


def _strategy(
    max_attempts: int,
    error_filter: _ErrorFilter,
    jitter: JitterStrategy,
    base_delay: Callable[[int], float],
) -> Callable[[Exception, int], RetryDecision]:
    jitter_name = JitterStrategy(jitter).value

    def strategy(error: Exception, attempts_made: int) -> RetryDecision:
        if attempts_made >= max_attempts or not error_filter.matches(error):
            return RetryDecision.no_retry()
        delay = _backoff.finalize_delay(jitter_name, base_delay(attempts_made))
        return RetryDecision(should_retry=True, delay=Duration(delay))

    return strategy


def create_retry_strategy(
    config: RetryStrategyConfig | None = None,
) -> Callable[[Exception, int], RetryDecision]:
    """Exponential-backoff strategy from ``config`` (default ``RetryStrategyConfig()``: 3
    attempts, 5 s doubling up to 5 min, FULL jitter, every error)."""
    if config is None:
        config = RetryStrategyConfig()
    initial = config.initial_delay_seconds
    rate = config.backoff_rate
    maximum = config.max_delay_seconds
    return _strategy(
        config.max_attempts,
        _ErrorFilter(config.retryable_errors, config.retryable_error_types),
        config.jitter_strategy,
        lambda attempts: _backoff.exponential_base(initial, rate, attempts, maximum),
    )


def create_linear_retry_strategy(
    config: LinearRetryStrategyConfig | None = None,
) -> Callable[[Exception, int], RetryDecision]:
    """Linear-backoff strategy from ``config`` (default ``LinearRetryStrategyConfig()``: 6
    attempts, 1 s + 1 s per attempt up to 5 min, FULL jitter, every error)."""
    if config is None:
        config = LinearRetryStrategyConfig()
    initial = config.initial_delay_seconds
    increment = config.increment_seconds
    maximum = config.max_delay_seconds
    return _strategy(
        config.max_attempts,
        _ErrorFilter(config.retryable_errors, config.retryable_error_types),
        config.jitter_strategy,
        lambda attempts: _backoff.linear_base(initial, increment, attempts, maximum),
    )


class RetryPresets:
    """Ready-made strategies (protocol.md 5.4 table; ``max_attempts`` includes the first try).

    ============================  ====  =========  =======  ====  ======
    preset                        max   initial    max      rate  jitter
    ============================  ====  =========  =======  ====  ======
    ``none()`` / ``no_retry()``   1     -          -        -     -
    ``default()``                 6     5 s        60 s     2     FULL
    ``transient()``               3     5 s        5 min    2     HALF
    ``resource_availability()``   5     5 s        5 min    2     FULL
    ``critical()``                10    1 s        60 s     1.5   NONE
    ``linear()``                  6     1 s, +1 s  5 min    -     NONE
    ``fixed(interval=5 s)``       5     interval   interval 1     NONE
    ============================  ====  =========  =======  ====  ======

    ``default()`` is what a step uses when its config has no strategy. The extra presets
    :meth:`exponential_backoff` and :meth:`fixed_delay` take their parameters.
    """

    @classmethod
    def none(cls) -> Callable[[Exception, int], RetryDecision]:
        """Never retry (one attempt)."""
        return create_retry_strategy(RetryStrategyConfig(max_attempts=1))

    @classmethod
    def no_retry(cls) -> Callable[[Exception, int], RetryDecision]:
        """Alias of :meth:`none`."""
        return cls.none()

    @classmethod
    def default(cls) -> Callable[[Exception, int], RetryDecision]:
        """6 attempts, 5 s doubling up to 60 s, FULL jitter (the step default)."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=6,
                initial_delay=Duration.from_seconds(5),
                max_delay=Duration.from_minutes(1),
                backoff_rate=2,
                jitter_strategy=JitterStrategy.FULL,
            )
        )

    @classmethod
    def transient(cls) -> Callable[[Exception, int], RetryDecision]:
        """3 attempts, 5 s doubling up to 5 min, HALF jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(max_attempts=3, backoff_rate=2, jitter_strategy=JitterStrategy.HALF)
        )

    @classmethod
    def resource_availability(cls) -> Callable[[Exception, int], RetryDecision]:
        """5 attempts, 5 s doubling up to 5 min, FULL jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=5,
                initial_delay=Duration.from_seconds(5),
                max_delay=Duration.from_minutes(5),
                backoff_rate=2,
            )
        )

    @classmethod
    def critical(cls) -> Callable[[Exception, int], RetryDecision]:
        """10 attempts, 1 s growing by 1.5x up to 60 s, no jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=10,
                initial_delay=Duration.from_seconds(1),
                max_delay=Duration.from_minutes(1),
                backoff_rate=1.5,
                jitter_strategy=JitterStrategy.NONE,
            )
        )

    @classmethod
    def linear(cls) -> Callable[[Exception, int], RetryDecision]:
        """6 attempts, delays 1, 2, 3, 4, 5 s, no jitter."""
        return create_linear_retry_strategy(
            LinearRetryStrategyConfig(
                max_attempts=6,
                initial_delay=Duration.from_seconds(1),
                increment=Duration.from_seconds(1),
                jitter_strategy=JitterStrategy.NONE,
            )
        )

    @classmethod
    def fixed(cls, interval: Duration | None = None) -> Callable[[Exception, int], RetryDecision]:
        """5 attempts, ``interval`` (default 5 s) between each, no jitter."""
        return cls.fixed_delay(interval if interval is not None else Duration.from_seconds(5), 5)

    @classmethod
    def fixed_delay(
        cls, delay: Duration | int = Duration(5), max_attempts: int = 5
    ) -> Callable[[Exception, int], RetryDecision]:
        """``max_attempts`` attempts with a constant ``delay`` (Duration or whole seconds) between
        them, no jitter."""
        d = _as_duration(delay)
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=max_attempts,
                initial_delay=d,
                max_delay=d,
                backoff_rate=1,
                jitter_strategy=JitterStrategy.NONE,
            )
        )

    @classmethod
    def exponential_backoff(
        cls,
        max_attempts: int = 3,
        initial_delay: Duration | int = Duration(5),
        max_delay: Duration | int = Duration(300),
        backoff_rate: Numeric = 2.0,
        jitter_strategy: JitterStrategy = JitterStrategy.FULL,
        retryable_errors: list[str | re.Pattern] | None = None,
        retryable_error_types: list[type[Exception]] | None = None,
    ) -> Callable[[Exception, int], RetryDecision]:
        """Exponential backoff with explicit parameters (defaults = ``RetryStrategyConfig()``);
        delays may be Durations or whole seconds."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=max_attempts,
                initial_delay=_as_duration(initial_delay),
                max_delay=_as_duration(max_delay),
                backoff_rate=backoff_rate,
                jitter_strategy=jitter_strategy,
                retryable_errors=retryable_errors,
                retryable_error_types=retryable_error_types,
            )
        )


@dataclass(frozen=True)
class WithRetryConfig(Generic[T]):
    """Options of :func:`with_retry` (protocol.md 5.10).

    ``retry_strategy``: ``(error, attempt) -> RetryDecision``; None = ``create_retry_strategy()``
    (3 attempts, 5 s..5 min, FULL jitter). ``wrap_with_run_in_child_context``: run the loop in a
    child context (final failure raised as ``ChildContextError``); False runs it in the caller's
    context and re-raises the last error unchanged. ``child_context_config``: the
    ``ChildConfig`` for that child context.
    """

    retry_strategy: Callable[[Exception, int], RetryDecision] | None = None
    wrap_with_run_in_child_context: bool = True
    child_context_config: ChildConfig[T] | None = None


def with_retry(
    context: DurableContext,
    func: Callable[[DurableContext, int], T],
    config: WithRetryConfig[T] | None = None,
    name: str | None = None,
) -> T:
    """Run ``func(ctx, attempt)`` (attempt = 1, 2, ...) and re-run the whole body after a durable
    backoff wait when it raises, until it returns or the strategy gives up (protocol.md 5.10).

    With ``config.wrap_with_run_in_child_context`` (default) the loop runs in
    ``context.run_in_child_context(..., name=name, config=config.child_context_config)``, so its
    operations (and the backoff waits) get their own ID prefix and a final failure is raised by
    the child context as ``ChildContextError``; otherwise the loop runs directly in ``context``
    and the last error propagates unchanged. Backoff waits are ``ctx.wait(delay, name=
    "<name>-backoff-<attempt>")`` (unnamed without ``name``), at least 1 second.

    Only ``Exception`` reaches the strategy; suspensions and other ``BaseException`` control flow
    pass through, and so do ``ExecutionError`` and retryable ``InvocationError`` (they end the
    invocation, retrying them in-process cannot help).
    """
    if config is None:
        config = WithRetryConfig()
    strategy = config.retry_strategy or create_retry_strategy()

    def retry_loop(ctx: DurableContext) -> T:
        attempt = 1
        while True:
            try:
                return func(ctx, attempt)
            except ExecutionError:
                raise
            except InvocationError as err:
                if err.is_retryable():
                    raise
                decision = strategy(err, attempt)
                if not decision.should_retry:
                    raise
            except Exception as err:  # noqa: BLE001 - every user error goes to the strategy
                decision = strategy(err, attempt)
                if not decision.should_retry:
                    raise
            wait_name = f"{name}-backoff-{attempt}" if name else None
            delay = _as_duration(decision.delay).to_seconds()
            ctx.wait(Duration(max(1, delay)), name=wait_name)
            attempt += 1

    if config.wrap_with_run_in_child_context:
        return context.run_in_child_context(
            retry_loop, name=name, config=config.child_context_config
        )
    return retry_loop(context)
