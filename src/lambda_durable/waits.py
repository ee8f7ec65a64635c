"""Wait strategies for ``wait_for_condition`` (protocol.md 5.5).

A wait strategy is a callable ``(state, attempts_made) -> WaitForConditionDecision`` called after
every check with the (round-tripped) state the check returned; ``attempts_made`` is the number of
checks done so far, 1 after the first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from . import _backoff
from .config import Duration, JitterStrategy
from .exceptions import WaitForConditionError

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from .serdes import SerDes

T = TypeVar("T")

Numeric = int | float

__all__ = [
    "WaitForConditionConfig",
    "WaitForConditionDecision",
    "WaitStrategyConfig",
    "create_wait_strategy",
]


@dataclass(frozen=True)
class WaitForConditionDecision:
    """A wait strategy's answer: ``should_continue`` polling after ``delay`` (the operation
    checkpoints ``max(1, delay_seconds)`` as ``NextAttemptDelaySeconds``), or stop and succeed
    with the current state."""

    should_continue: bool
    delay: Duration

    @property
    def delay_seconds(self) -> int:
        """``delay`` in whole seconds."""
        return self.delay.to_seconds()

    @classmethod
    def continue_waiting(cls, delay: Duration) -> WaitForConditionDecision:
        """Check again after ``delay`` (a :class:`Duration`; whole seconds also accepted)."""
        if not isinstance(delay, Duration):
            delay = Duration(delay)
        return cls(should_continue=True, delay=delay)

    @classmethod
    def stop_polling(cls) -> WaitForConditionDecision:
        """The condition is met: the operation succeeds with the current state."""
        return cls(should_continue=False, delay=Duration())


@dataclass
class WaitStrategyConfig(Generic[T]):
    """Options of :func:`create_wait_strategy`.

    ``should_continue_polling(state) -> bool``: True while the condition is not met.
    ``max_attempts`` checks at most (default 60). Delay between checks: ``min(initial_delay *
    backoff_rate ** (attempts_made - 1), max_delay)`` (defaults 5 s, 5 min, 1.5) with
    ``jitter_strategy`` (default FULL), rounded up, at least 1 s.
    """

    should_continue_polling: Callable[[T], bool]
    max_attempts: int = 60
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(5))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    backoff_rate: Numeric = 1.5
    jitter_strategy: JitterStrategy = JitterStrategy.FULL

    @property
    def initial_delay_seconds(self) -> int:
        """``initial_delay`` in whole seconds."""
        return self.initial_delay.to_seconds()

    @property
    def max_delay_seconds(self) -> int:
        """``max_delay`` in whole seconds."""
        return self.max_delay.to_seconds()


def create_wait_strategy(
    config: WaitStrategyConfig[T],
) -> Callable[[T, int], WaitForConditionDecision]:
    """Build a wait strategy from ``config`` (protocol.md 5.5, B11):

    1. ``should_continue_polling(state)`` is False -> ``stop_polling()`` (even on the last
       allowed attempt: a condition met on time succeeds);
    2. ``attempts_made >= max_attempts`` -> raise :class:`WaitForConditionError` (the operation
       FAILs; running out of attempts never counts as success);
    3. else ``continue_waiting`` with the jittered exponential delay (whole seconds, >= 1).
    """
    should_continue_polling = config.should_continue_polling
    max_attempts = config.max_attempts
    initial = config.initial_delay_seconds
    rate = config.backoff_rate
    maximum = config.max_delay_seconds
    jitter = JitterStrategy(config.jitter_strategy).value

    def wait_strategy(state: T, attempts_made: int) -> WaitForConditionDecision:
        if not should_continue_polling(state):
            return WaitForConditionDecision.stop_polling()
        if attempts_made >= max_attempts:
            msg = (
                f"wait_for_condition gave up after {attempts_made} attempts "
                f"(max_attempts={max_attempts}) without the condition being met"
            )
            raise WaitForConditionError(msg)
        base = _backoff.exponential_base(initial, rate, attempts_made, maximum)
        return WaitForConditionDecision(True, Duration(_backoff.finalize_delay(jitter, base)))

    return wait_strategy


@dataclass(frozen=True)
class WaitForConditionConfig(Generic[T]):
    """Options of ``wait_for_condition`` (protocol.md 5.5).

    ``wait_strategy(state, attempts_made) -> WaitForConditionDecision`` decides after each check
    (see :func:`create_wait_strategy`); ``initial_state`` is what the first check receives, after
    a serialize/deserialize round trip through ``serdes`` (default: the extended envelope), which
    also stores the state between checks.
    """

    wait_strategy: Callable[[T, int], WaitForConditionDecision]
    initial_state: T
    serdes: SerDes | None = None
