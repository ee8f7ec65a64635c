"""Wait strategies for wait_for_condition (protocol.md 5.5) and B11 (bug-cases.md)."""
from __future__ import annotations

import dataclasses
import random

import pytest

from lambda_durable.config import Duration, JitterStrategy
from lambda_durable.exceptions import DurableOperationError, WaitForConditionError
from lambda_durable.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)


@pytest.fixture
def rnd(monkeypatch):
    box = {"value": 0.5}
    monkeypatch.setattr(random, "random", lambda: box["value"])
    return lambda v: box.__setitem__("value", v)


def test_decision_helpers():
    d = WaitForConditionDecision.continue_waiting(Duration(4))
    assert d.should_continue is True and d.delay_seconds == 4
    s = WaitForConditionDecision.stop_polling()
    assert s.should_continue is False and s.delay == Duration(0)
    two = WaitForConditionDecision.continue_waiting(2)  # type: ignore[arg-type]
    assert two.delay == Duration(2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.should_continue = False  # type: ignore[misc]


def test_strategy_config_defaults():
    cfg = WaitStrategyConfig(lambda state: True)
    assert cfg.max_attempts == 60
    assert cfg.initial_delay_seconds == 5
    assert cfg.max_delay_seconds == 300
    assert cfg.backoff_rate == 1.5
    assert cfg.jitter_strategy is JitterStrategy.FULL


def test_condition_config_fields():
    strategy = create_wait_strategy(WaitStrategyConfig(lambda s: False))
    cfg = WaitForConditionConfig(strategy, {"n": 0})
    assert cfg.wait_strategy is strategy
    assert cfg.initial_state == {"n": 0}
    assert cfg.serdes is None
    assert [f.name for f in dataclasses.fields(WaitForConditionConfig)] == [
        "wait_strategy",
        "initial_state",
        "serdes",
    ]


def test_delay_formula_no_jitter(rnd):
    strategy = create_wait_strategy(
        WaitStrategyConfig(lambda s: True, max_attempts=100, jitter_strategy=JitterStrategy.NONE)
    )
    # 5 * 1.5 ** (n-1): 5, 7.5, 11.25, 16.875, 25.31 -> ceil; capped at 300
    assert [strategy("s", a).delay_seconds for a in range(1, 6)] == [5, 8, 12, 17, 26]
    assert strategy("s", 30).delay_seconds == 300


@pytest.mark.parametrize(
    ("jitter", "r", "expected"),
    [
        (JitterStrategy.FULL, 0.5, [3, 4, 6]),  # 2.5, 3.75, 5.625
        (JitterStrategy.FULL, 0.0, [1, 1, 1]),  # clamp
        (JitterStrategy.HALF, 0.5, [4, 6, 9]),  # 3.75, 5.625, 8.4375
    ],
)
def test_delay_formula_jitter(rnd, jitter, r, expected):
    rnd(r)
    strategy = create_wait_strategy(WaitStrategyConfig(lambda s: True, jitter_strategy=jitter))
    got = [strategy(None, a) for a in (1, 2, 3)]
    assert all(d.should_continue for d in got)
    assert [d.delay_seconds for d in got] == expected


def test_should_continue_polling_receives_state():
    seen = []

    def keep_going(state):
        seen.append(state)
        return state < 3

    strategy = create_wait_strategy(WaitStrategyConfig(keep_going))
    assert strategy(1, 1).should_continue is True
    assert strategy(3, 2).should_continue is False
    assert seen == [1, 3]


# --- B11 --------------------------------------------------------------------------------------


def fixed_strategy(target=None, max_attempts=60):
    return create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=(lambda n: target is None or n < target),
            max_attempts=max_attempts,
            initial_delay=Duration(2),
            max_delay=Duration(2),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )


def test_b11_returns_wait_decision_with_fixed_delay():
    # 6-5: check increments from 0, condition met at 3, 2 s fixed delay
    strategy = fixed_strategy(target=3)
    state, attempt, decisions = 0, 0, []
    while True:
        state += 1
        attempt += 1
        decision = strategy(state, attempt)
        assert isinstance(decision, WaitForConditionDecision)
        decisions.append(decision)
        if not decision.should_continue:
            break
    assert state == 3
    assert [(d.should_continue, d.delay_seconds) for d in decisions] == [
        (True, 2),
        (True, 2),
        (False, 0),
    ]


def test_b11_exhaustion_raises_instead_of_succeeding():
    # 6-6: capped at 3 attempts, condition never met: two continues, then the third raises
    strategy = fixed_strategy(max_attempts=3)
    assert strategy(1, 1) == WaitForConditionDecision.continue_waiting(Duration(2))
    assert strategy(2, 2) == WaitForConditionDecision.continue_waiting(Duration(2))
    with pytest.raises(WaitForConditionError, match="3 attempts") as info:
        strategy(3, 3)
    assert isinstance(info.value, DurableOperationError)
    assert "max_attempts=3" in str(info.value)


def test_b11_condition_met_on_last_attempt_succeeds():
    strategy = fixed_strategy(target=3, max_attempts=3)
    assert strategy(3, 3).should_continue is False
    # satisfied beats exhausted even past the budget
    assert strategy(5, 10).should_continue is False


def test_exhaustion_with_max_attempts_one():
    strategy = fixed_strategy(max_attempts=1)
    with pytest.raises(WaitForConditionError):
        strategy(0, 1)


def test_exception_in_predicate_propagates():
    def boom(state):
        raise KeyError("missing")

    strategy = create_wait_strategy(WaitStrategyConfig(boom))
    with pytest.raises(KeyError):
        strategy({}, 1)
