"""Retry strategies and presets (protocol.md 5.4), with_retry (5.10), B13 (bug-cases.md)."""
from __future__ import annotations

import random
import re

import pytest

from lambda_durable.config import ChildConfig, Duration, JitterStrategy
from lambda_durable.exceptions import (
    ExecutionError,
    InvocationError,
    SuspendExecution,
    ValidationError,
)
from lambda_durable.retries import (
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    WithRetryConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
    with_retry,
)


@pytest.fixture
def rnd(monkeypatch):
    """Patch random.random to return a settable constant."""
    box = {"value": 0.5}
    monkeypatch.setattr(random, "random", lambda: box["value"])

    def set_value(v):
        box["value"] = v

    return set_value


def run(strategy, attempts, error=None):
    """[(should_retry, delay_seconds)] for attempts_made = 1..attempts."""
    error = error if error is not None else ValueError("boom")
    out = []
    for a in range(1, attempts + 1):
        d = strategy(error, a)
        out.append((d.should_retry, d.delay_seconds))
    return out


def delays(strategy, attempts, error=None):
    return [d for retry, d in run(strategy, attempts, error) if retry]


# --- value types ------------------------------------------------------------------------------


def test_retry_decision():
    d = RetryDecision.retry(Duration(7))
    assert d.should_retry is True and d.delay == Duration(7) and d.delay_seconds == 7
    n = RetryDecision.no_retry()
    assert n.should_retry is False and n.delay_seconds == 0
    assert RetryDecision.retry(3).delay == Duration(3)  # type: ignore[arg-type]


def test_config_defaults():
    cfg = RetryStrategyConfig()
    assert cfg.max_attempts == 3
    assert cfg.initial_delay_seconds == 5
    assert cfg.max_delay_seconds == 300
    assert cfg.backoff_rate == 2.0
    assert cfg.jitter_strategy is JitterStrategy.FULL
    assert cfg.retryable_errors is None and cfg.retryable_error_types is None
    lin = LinearRetryStrategyConfig()
    assert (lin.max_attempts, lin.initial_delay_seconds, lin.increment_seconds) == (6, 1, 1)
    assert lin.max_delay_seconds == 300 and lin.jitter_strategy is JitterStrategy.FULL


# --- presets: exact delays --------------------------------------------------------------------


def test_preset_none_never_retries(rnd):
    assert run(RetryPresets.none(), 3) == [(False, 0)] * 3
    assert run(RetryPresets.no_retry(), 2) == [(False, 0)] * 2


@pytest.mark.parametrize(
    ("r", "expected"),
    [
        (0.5, [3, 5, 10, 20, 30]),  # bases 5, 10, 20, 40, 60 (capped at 60 s)
        (0.0, [1, 1, 1, 1, 1]),  # FULL jitter 0 -> clamp to 1
        (0.999, [5, 10, 20, 40, 60]),
        (0.21, [2, 3, 5, 9, 13]),  # 1.05, 2.1, 4.2, 8.4, 12.6 -> ceil
    ],
)
def test_preset_default(rnd, r, expected):
    rnd(r)
    result = run(RetryPresets.default(), 6)
    assert [d for _, d in result[:5]] == expected
    assert all(retry for retry, _ in result[:5])
    assert result[5] == (False, 0)  # 6 attempts in total


def test_preset_default_first_delays_match_conformance_ranges():
    # conformance: first FULL-jitter delay matches ^[0-5]$, the second ^([0-9]|10)$
    strategy = RetryPresets.default()
    for seed in range(200):
        random.seed(seed)
        first = strategy(ValueError(), 1).delay_seconds
        second = strategy(ValueError(), 2).delay_seconds
        assert re.fullmatch(r"[0-5]", str(first))
        assert re.fullmatch(r"[0-9]|10", str(second))
        assert first >= 1 and second >= 1


@pytest.mark.parametrize(("r", "expected"), [(0.5, [4, 8]), (0.0, [3, 5]), (0.999, [5, 10])])
def test_preset_transient_half_jitter(rnd, r, expected):
    rnd(r)  # HALF: base/2 + r*base/2 -> 5: 3.75|2.5|4.99, 10: 7.5|5|9.99
    result = run(RetryPresets.transient(), 3)
    assert [d for _, d in result[:2]] == expected
    assert result[2] == (False, 0)


def test_preset_resource_availability(rnd):
    rnd(0.5)
    result = run(RetryPresets.resource_availability(), 5)
    assert result == [(True, 3), (True, 5), (True, 10), (True, 20), (False, 0)]


def test_preset_critical_no_jitter(rnd):
    rnd(0.0)  # NONE ignores random
    result = run(RetryPresets.critical(), 11)
    # 1 * 1.5 ** (n-1): 1, 1.5, 2.25, 3.375, 5.06, 7.59, 11.39, 17.09, 25.63 -> ceil
    assert [d for _, d in result[:9]] == [1, 2, 3, 4, 6, 8, 12, 18, 26]
    assert result[9] == (False, 0) and result[10] == (False, 0)


def test_preset_critical_caps_at_60(rnd):
    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=100,
            initial_delay=Duration(1),
            max_delay=Duration.from_minutes(1),
            backoff_rate=1.5,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    assert strategy(ValueError(), 20).delay_seconds == 60


def test_preset_linear(rnd):
    rnd(0.0)
    assert run(RetryPresets.linear(), 7) == [
        (True, 1),
        (True, 2),
        (True, 3),
        (True, 4),
        (True, 5),
        (False, 0),
        (False, 0),
    ]


def test_preset_fixed(rnd):
    assert run(RetryPresets.fixed(), 5) == [(True, 5)] * 4 + [(False, 0)]
    assert run(RetryPresets.fixed(Duration(7)), 6) == [(True, 7)] * 4 + [(False, 0)] * 2


def test_extra_presets(rnd):
    assert run(RetryPresets.fixed_delay(Duration(2), 3), 3) == [(True, 2), (True, 2), (False, 0)]
    assert run(RetryPresets.fixed_delay(9, max_attempts=2), 2) == [(True, 9), (False, 0)]
    rnd(0.0)
    strategy = RetryPresets.exponential_backoff(
        max_attempts=5,
        initial_delay=Duration(2),
        max_delay=Duration(10),
        backoff_rate=3,
        jitter_strategy=JitterStrategy.NONE,
    )
    assert run(strategy, 5) == [(True, 2), (True, 6), (True, 10), (True, 10), (False, 0)]
    # defaults = RetryStrategyConfig(): 3 attempts, 5 s doubling, FULL
    rnd(0.999)
    assert run(RetryPresets.exponential_backoff(), 3) == [(True, 5), (True, 10), (False, 0)]
    only_timeouts = RetryPresets.exponential_backoff(retryable_error_types=[TimeoutError])
    assert only_timeouts(ValueError("x"), 1).should_retry is False
    assert only_timeouts(TimeoutError("x"), 1).should_retry is True


# --- formulas ---------------------------------------------------------------------------------


def test_exponential_formula_with_fractional_rate_and_cap(rnd):
    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=10,
            initial_delay=Duration(3),
            max_delay=Duration(40),
            backoff_rate=3,
            jitter_strategy=JitterStrategy.HALF,
        )
    )
    rnd(0.5)  # 0.75 * base: 3 -> 2.25, 9 -> 6.75, 27 -> 20.25, 40 -> 30
    assert delays(strategy, 5) == [3, 7, 21, 30, 30]


def test_linear_formula(rnd):
    strategy = create_linear_retry_strategy(
        LinearRetryStrategyConfig(
            max_attempts=8, initial_delay=Duration(2), increment=Duration(3), max_delay=Duration(10)
        )
    )
    rnd(0.5)  # FULL: bases 2, 5, 8, 10, 10, 10, 10 -> halves, ceil'ed
    assert run(strategy, 8) == [(True, 1), (True, 3), (True, 4), (True, 5), (True, 5),
                                (True, 5), (True, 5), (False, 0)]


def test_zero_initial_delay_clamps_to_one_second(rnd):
    strategy = create_retry_strategy(
        RetryStrategyConfig(initial_delay=Duration(0), jitter_strategy=JitterStrategy.NONE)
    )
    assert delays(strategy, 3) == [1, 1]


def test_max_delay_below_initial_wins(rnd):
    strategy = create_retry_strategy(
        RetryStrategyConfig(
            initial_delay=Duration(30), max_delay=Duration(7), jitter_strategy=JitterStrategy.NONE
        )
    )
    assert delays(strategy, 3) == [7, 7]


def test_huge_attempt_numbers_do_not_overflow(rnd):
    strategy = create_retry_strategy(
        RetryStrategyConfig(max_attempts=10**6, jitter_strategy=JitterStrategy.NONE)
    )
    assert strategy(ValueError(), 5000).delay_seconds == 300


def test_max_attempts_counts_the_first_attempt(rnd):
    strategy = create_retry_strategy(RetryStrategyConfig(max_attempts=2))
    assert strategy(ValueError(), 1).should_retry is True
    assert strategy(ValueError(), 2).should_retry is False
    assert strategy(ValueError(), 3).should_retry is False


# --- B13 --------------------------------------------------------------------------------------


def b13_strategy(jitter):
    return create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=4, initial_delay=Duration(10), backoff_rate=2, jitter_strategy=jitter
        )
    )


def test_b13a_no_jitter_exact():
    assert delays(b13_strategy(JitterStrategy.NONE), 4) == [10, 20, 40]


@pytest.mark.parametrize("seed", range(50))
def test_b13a_jitter_never_above_base(seed):
    random.seed(seed)
    full = delays(b13_strategy(JitterStrategy.FULL), 4)
    half = delays(b13_strategy(JitterStrategy.HALF), 4)
    for got, base in zip(full, [10, 20, 40], strict=True):
        assert 1 <= got <= base
    for got, base in zip(half, [10, 20, 40], strict=True):
        assert base / 2 <= got <= base


def test_b13b_only_error_types_does_not_retry_everything():
    cfg = RetryStrategyConfig(retryable_error_types=[TimeoutError])
    strategy = create_retry_strategy(cfg)
    assert strategy(ValueError("boom"), 1).should_retry is False
    assert strategy(TimeoutError("slow"), 1).should_retry is True


def test_b13b_only_messages_does_not_retry_everything():
    strategy = create_retry_strategy(RetryStrategyConfig(retryable_errors=["network"]))
    assert strategy(RuntimeError("network down"), 1).should_retry is True
    assert strategy(RuntimeError("disk full"), 1).should_retry is False
    assert strategy(TimeoutError("slow"), 1).should_retry is False


def test_b13b_neither_filter_retries_everything():
    strategy = create_retry_strategy(RetryStrategyConfig())
    for err in (ValueError(), KeyError("k"), TimeoutError(), Exception("")):
        assert strategy(err, 1).should_retry is True


def test_b13b_both_filters_or():
    strategy = create_retry_strategy(
        RetryStrategyConfig(retryable_errors=["network"], retryable_error_types=[TimeoutError])
    )
    assert strategy(TimeoutError("x"), 1).should_retry is True
    assert strategy(ValueError("network glitch"), 1).should_retry is True
    assert strategy(ValueError("x"), 1).should_retry is False


def test_filters_empty_lists_match_nothing():
    assert create_retry_strategy(RetryStrategyConfig(retryable_errors=[]))(
        ValueError("x"), 1
    ).should_retry is False
    assert create_retry_strategy(RetryStrategyConfig(retryable_error_types=[]))(
        ValueError("x"), 1
    ).should_retry is False


def test_filter_semantics_substring_search_isinstance():
    class Base(Exception):
        pass

    class Child(Base):
        pass

    substring = create_retry_strategy(RetryStrategyConfig(retryable_errors=["Throttl"]))
    assert substring(RuntimeError("ThrottlingException: slow down"), 1).should_retry
    assert not substring(RuntimeError("throttling"), 1).should_retry  # case-sensitive
    pattern = create_retry_strategy(RetryStrategyConfig(retryable_errors=[re.compile(r"down$")]))
    assert pattern(RuntimeError("network down"), 1).should_retry  # search, not match
    assert not pattern(RuntimeError("down the line"), 1).should_retry
    types_ = create_retry_strategy(RetryStrategyConfig(retryable_error_types=[Base]))
    assert types_(Child(), 1).should_retry
    assert not types_(ValueError(), 1).should_retry


def test_filters_apply_to_linear_too():
    strategy = create_linear_retry_strategy(
        LinearRetryStrategyConfig(retryable_error_types=[TimeoutError])
    )
    assert strategy(ValueError(), 1).should_retry is False
    assert strategy(TimeoutError(), 1).should_retry is True


def test_filter_checked_after_max_attempts(rnd):
    strategy = create_retry_strategy(
        RetryStrategyConfig(max_attempts=1, retryable_error_types=[TimeoutError])
    )
    assert strategy(TimeoutError(), 1).should_retry is False


# --- with_retry -------------------------------------------------------------------------------


class FakeContext:
    """Records the DurableContext calls with_retry makes (public API only)."""

    def __init__(self, suspend_on_wait=False):
        self.calls = []
        self.suspend_on_wait = suspend_on_wait

    def run_in_child_context(self, func, name=None, config=None):
        self.calls.append(("child", name, config))
        child = FakeContext(self.suspend_on_wait)
        child.calls = self.calls
        return func(child)

    def wait(self, duration, name=None):
        assert isinstance(duration, Duration)
        self.calls.append(("wait", duration.seconds, name))
        if self.suspend_on_wait:
            raise SuspendExecution("waiting")


def flaky(failures, exc=ValueError):
    attempts = []

    def func(ctx, attempt):
        attempts.append(attempt)
        if attempt <= failures:
            raise exc(f"fail {attempt}")
        return f"ok after {attempt}"

    return func, attempts


def test_with_retry_wraps_in_child_context_and_names_waits():
    ctx = FakeContext()
    func, attempts = flaky(2)
    child_cfg = ChildConfig(sub_type="Retry")
    cfg = WithRetryConfig(RetryPresets.fixed(Duration(3)), child_context_config=child_cfg)
    assert with_retry(ctx, func, cfg, name="op") == "ok after 3"
    assert attempts == [1, 2, 3]
    assert ctx.calls == [
        ("child", "op", child_cfg),
        ("wait", 3, "op-backoff-1"),
        ("wait", 3, "op-backoff-2"),
    ]


def test_with_retry_unnamed_waits_and_unwrapped():
    ctx = FakeContext()
    func, attempts = flaky(1)
    cfg = WithRetryConfig(RetryPresets.fixed(Duration(2)), wrap_with_run_in_child_context=False)
    assert with_retry(ctx, func, cfg) == "ok after 2"
    assert ctx.calls == [("wait", 2, None)]


def test_with_retry_gives_up_with_last_error():
    ctx = FakeContext()
    func, attempts = flaky(10)
    cfg = WithRetryConfig(RetryPresets.fixed_delay(Duration(1), 3), False)
    with pytest.raises(ValueError, match="fail 3"):
        with_retry(ctx, func, cfg, name="x")
    assert attempts == [1, 2, 3]
    assert [c[0] for c in ctx.calls] == ["wait", "wait"]


def test_with_retry_strategy_sees_error_and_attempt():
    seen = []

    def strategy(error, attempt):
        seen.append((str(error), attempt))
        return RetryDecision.retry(Duration(0)) if attempt < 2 else RetryDecision.no_retry()

    ctx = FakeContext()
    func, _ = flaky(5)
    with pytest.raises(ValueError):
        with_retry(ctx, func, WithRetryConfig(strategy, False))
    assert seen == [("fail 1", 1), ("fail 2", 2)]
    assert ctx.calls == [("wait", 1, None)]  # a 0 s decision still waits the 1 s minimum


def test_with_retry_default_strategy(rnd):
    rnd(0.999)  # create_retry_strategy(): 3 attempts, 5 s, 10 s
    ctx = FakeContext()
    func, attempts = flaky(5)
    with pytest.raises(ValueError):
        with_retry(ctx, func, WithRetryConfig(wrap_with_run_in_child_context=False))
    assert attempts == [1, 2, 3]
    assert ctx.calls == [("wait", 5, None), ("wait", 10, None)]


def test_with_retry_suspension_passes_through():
    ctx = FakeContext(suspend_on_wait=True)
    func, attempts = flaky(5)
    with pytest.raises(SuspendExecution):
        with_retry(ctx, func, WithRetryConfig(RetryPresets.fixed()), name="s")
    assert attempts == [1]

    def suspends(ctx, attempt):
        raise SuspendExecution("inner")

    strategy_calls = []

    def strategy(e, a):
        strategy_calls.append(e)
        return RetryDecision.retry(Duration(1))

    with pytest.raises(SuspendExecution):
        with_retry(FakeContext(), suspends, WithRetryConfig(strategy))
    assert strategy_calls == []


@pytest.mark.parametrize("exc", [ExecutionError("fatal"), InvocationError("retry invocation")])
def test_with_retry_does_not_retry_invocation_enders(exc):
    calls = []

    def func(ctx, attempt):
        calls.append(attempt)
        raise exc

    with pytest.raises(type(exc)):
        with_retry(FakeContext(), func, WithRetryConfig(RetryPresets.fixed()))
    assert calls == [1]


def test_with_retry_bad_delay_from_custom_strategy():
    def strategy(e, a):
        return RetryDecision(True, None)  # type: ignore[arg-type]

    func, _ = flaky(1)
    with pytest.raises(ValidationError):
        with_retry(FakeContext(), func, WithRetryConfig(strategy))
