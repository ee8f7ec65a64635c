"""Handlers of the wait_for_condition suite (``r<id>.py`` per requirement; see tests/conformance/registry.py).

``counter_strategy(threshold)``: the wait strategy most requirements use, built with the public
``create_wait_strategy``: keep polling while the state is below ``threshold`` (no jitter, 1 s
between checks).
"""
from lambda_durable.config import Duration, JitterStrategy
from lambda_durable.waits import WaitStrategyConfig, create_wait_strategy


def counter_strategy(threshold: int, max_attempts: int = 60):
    """Continue while ``state < threshold``; checks 1 s apart."""
    return create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=lambda state: state < threshold,
            max_attempts=max_attempts,
            initial_delay=Duration.from_seconds(1),
            max_delay=Duration.from_seconds(1),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )


def increment(state: int, check_context: object) -> int:
    """The usual check: one more than the state."""
    return state + 1
