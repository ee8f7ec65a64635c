"""The compiled completion policy (``lambda_durable._completion_c``) against its pure-Python twin
(``lambda_durable._completion_py``): thousands of random configurations and counts must give the
same ``decide`` / ``reason`` / ``is_tolerance_exceeded`` / ``is_complete`` results, the float
rounding of the percentage rule included (protocol.md 5.9), and values outside the compiled fast
path (bools, floats, huge ints, fractions) must behave as in the pure twin.

The behaviour tests of the policy itself (run against both twins) are in ``test_batch_result.py``.
Skipped when the extension is not built.
"""
from __future__ import annotations

import copy
import importlib
import math
import pickle
import random
from fractions import Fraction

import pytest

from lambda_durable import _completion_py
from lambda_durable._completion_reason import CompletionReason
from lambda_durable.config import (
    BatchItemStatus,
    CompletionConfig,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
    complete_batch,
    continue_batch,
)
from lambda_durable.exceptions import ValidationError

try:
    _completion_c = importlib.import_module("lambda_durable._completion_c")
except ImportError:  # pragma: no cover - pure-Python install
    _completion_c = None

pytestmark = pytest.mark.skipif(_completion_c is None, reason="_completion_c is not built")

PY = _completion_py.CompletionPolicy
C = _completion_c.CompletionPolicy if _completion_c is not None else None
R = CompletionReason

FIELDS = ("total", "min_successful", "tolerated_failure_count", "tolerated_failure_percentage",
          "should_complete")


def twins(*args, **kwargs):
    return C(*args, **kwargs), PY(*args, **kwargs)


def outcome(call):
    """``("ok", result)`` or ``("raise", type, message)``: compares results and errors alike."""
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - any error must match between the twins
        return ("raise", type(exc), str(exc))


def assert_same(c, p, succeeded, failed, items=(), decision=None):
    for name, args in (
        ("decide", (succeeded, failed, items, decision)),
        ("reason", (succeeded, failed, items, decision)),
        ("is_complete", (succeeded, failed, items, decision)),
        ("is_tolerance_exceeded", (failed,)),
        ("should_continue", (failed,)),
    ):
        got = outcome(lambda: getattr(c, name)(*args))
        want = outcome(lambda: getattr(p, name)(*args))
        assert got == want, (name, args, p)
        if got[0] == "ok" and isinstance(want[1], bool):
            assert type(got[1]) is bool, (name, args, p)


def random_config(rng: random.Random) -> dict:
    """Keyword arguments of a CompletionConfig-valid policy (should_complete excluded)."""
    kw = {}
    if rng.random() < 0.5:
        kw["min_successful"] = rng.randint(1, 60)
    if rng.random() < 0.5:
        kw["tolerated_failure_count"] = rng.randint(0, 30)
    if rng.random() < 0.5:
        kw["tolerated_failure_percentage"] = rng.choice(
            [rng.randint(0, 100), round(rng.uniform(0, 100), rng.randint(0, 3)),
             rng.uniform(0, 100), 0, 100, 0.0, 100.0, 7, 33.333333333333336]
        )
    return kw


def random_counts(rng: random.Random, total: int) -> list[tuple[int, int]]:
    if total <= 12:  # every reachable pair, and a few beyond
        pairs = [(s, f) for s in range(total + 1) for f in range(total + 1 - s)]
    else:
        pairs = []
        for _ in range(25):
            s = rng.randint(0, total)
            pairs.append((s, rng.randint(0, total - s)))
        pairs += [(0, 0), (total, 0), (0, total), (total // 2, total - total // 2)]
    pairs += [(total + 1, 0), (0, total + 2), (-1, 0), (0, -1)]
    return pairs


def test_random_threshold_configs_agree():
    rng = random.Random(20251130)
    checked = 0
    for _ in range(3000):
        total = rng.choice([rng.randint(0, 12), rng.randint(13, 200), 1000, 10_000, 10**9])
        kw = random_config(rng)
        c, p = twins(total, **kw)
        assert repr(c) == repr(p)
        assert hash(c) == hash(p)
        assert c.has_criteria is p.has_criteria
        assert c._fail_fast is p._fail_fast
        for name in FIELDS:
            assert getattr(c, name) == getattr(p, name)
            assert type(getattr(c, name)) is type(getattr(p, name))
        for succeeded, failed in random_counts(rng, total):
            assert_same(c, p, succeeded, failed)
            checked += 1
    assert checked > 50_000


def test_random_configs_from_config_agree():
    rng = random.Random(7)
    for _ in range(500):
        total = rng.randint(0, 80)
        kw = random_config(rng)
        if kw.get("min_successful", 0) > total:
            kw.pop("min_successful")
        config = CompletionConfig(**kw) if kw or rng.random() < 0.5 else None
        c, p = C.from_config(total, config), PY.from_config(total, config)
        assert type(c) is C and repr(c) == repr(p)
        for succeeded, failed in random_counts(rng, total):
            assert_same(c, p, succeeded, failed)


def test_percentage_rule_float_rounding_is_pythons():
    """``failed / total * 100 > pct`` exactly as Python evaluates it: checked on every
    ``failed`` of totals 1..150 against the pct values nearest to the computed percentage."""
    for total in range(1, 151):
        for failed in range(total + 1):
            x = failed / total * 100
            candidates = {math.floor(x), math.ceil(x), round(x), x,
                          math.nextafter(x, -math.inf), math.nextafter(x, math.inf)}
            for pct in candidates:
                c, p = twins(total, None, None, pct)
                want = x > pct
                assert p.is_tolerance_exceeded(failed) is want
                assert c.is_tolerance_exceeded(failed) is want, (total, failed, pct)
                assert c.decide(0, failed) == p.decide(0, failed)


def test_seven_of_a_hundred():
    for cls in (C, PY):
        p = cls(100, tolerated_failure_percentage=7)
        assert 7 / 100 * 100 == 7.000000000000001
        assert p.is_tolerance_exceeded(7) is True
        assert p.decide(0, 7) == (True, R.FAILURE_TOLERANCE_EXCEEDED)
        assert p.is_tolerance_exceeded(6) is False
        assert cls(100, tolerated_failure_percentage=7.0).decide(93, 7) == (
            True, R.FAILURE_TOLERANCE_EXCEEDED)
        assert cls(100, tolerated_failure_percentage=7.000000000000001).decide(93, 7) == (
            True, R.ALL_COMPLETED)


def make_predicate(rng: random.Random, log: list):
    """A deterministic predicate of the counts (records the statuses it receives)."""
    mode = rng.choice(["none", "continue", "successes", "failures", "completed"])
    k = rng.randint(0, 10)
    outcome_ = rng.choice([CompletionOutcome.SUCCEEDED, CompletionOutcome.FAILED])

    def predicate(status: CompletionStatus):
        log.append(status)
        if mode == "none":
            return None
        if mode == "continue":
            return continue_batch()
        count = {"successes": status.success_count, "failures": status.failure_count,
                 "completed": status.completed_count}[mode]
        return complete_batch(outcome_) if count >= k else continue_batch()

    return predicate


def test_random_predicate_configs_agree():
    rng = random.Random(99)
    for _ in range(400):
        total = rng.randint(0, 15)
        c_log: list = []
        p_log: list = []
        seed = rng.random()
        c = C(total, should_complete=make_predicate(random.Random(seed), c_log))
        p = PY(total, should_complete=make_predicate(random.Random(seed), p_log))
        items = tuple(
            CompletionItemStatus(i, f"item-{i}", rng.choice([None, *BatchItemStatus]))
            for i in range(total)
        )
        for succeeded, failed in random_counts(rng, total):
            given = rng.choice([items, list(items), ()])
            assert_same(c, p, succeeded, failed, given)
            assert c.evaluate(succeeded, failed, given) == p.evaluate(succeeded, failed, given)
            decision = rng.choice([None, continue_batch(), complete_batch(),
                                   complete_batch(CompletionOutcome.FAILED)])
            assert_same(c, p, succeeded, failed, given, decision)
        assert c_log == p_log  # same statuses, same number of predicate calls
        assert all(type(s) is CompletionStatus for s in c_log)


def test_status_is_the_same_dataclass_value():
    c, p = twins(5)
    items = [CompletionItemStatus(0, "a", BatchItemStatus.SUCCEEDED)]
    got, want = c.status(2, 1, items), p.status(2, 1, items)
    assert type(got) is CompletionStatus
    assert got == want and hash(got) == hash(want) and repr(got) == repr(want)
    assert got.items == tuple(items) and got.completed_count == 3 and got.total_count == 5
    assert pickle.loads(pickle.dumps(got)) == want
    with pytest.raises(Exception, match="cannot assign"):
        got.success_count = 9  # type: ignore[misc]


@pytest.mark.parametrize(
    "args",
    [
        (True,),  # bool total
        (5.0,),  # float total
        (5, 2.0),
        (5, None, True),
        (5, None, 1.5),
        (5, None, None, Fraction(100, 3)),
        (100, None, None, Fraction(7)),
        (2**70, 2**69, 2**60, 50),
        (2**53 + 1, None, None, 50),
        (10, None, None, 2**60),
        (10, 0, -1, -5),  # values CompletionConfig would reject: same results anyway
        (-3,),
        (0, 1),
        (10, None, None, math.nan),
        (10, None, None, math.inf),
    ],
)
def test_values_outside_the_fast_path_agree(args):
    c, p = twins(*args)
    assert repr(c) == repr(p) and hash(c) == hash(p)
    counts = [0, 1, 2, 3, 5, 9, 10, 11, True, False, 2.5, 3.0, 2**53 + 1, 2**62, 2**70, -1]
    for succeeded in counts:
        for failed in counts:
            assert_same(c, p, succeeded, failed)


def test_predicate_errors_agree():
    for bad in (True, 0, "yes", complete_batch):
        c, p = twins(3, should_complete=lambda status, bad=bad: bad)
        for name in ("decide", "reason", "is_complete", "evaluate"):
            got = outcome(lambda: getattr(c, name)(1, 0))
            assert got == outcome(lambda: getattr(p, name)(1, 0))
            assert got[0] == "raise" and got[1] is ValidationError

    def boom(status):
        raise KeyError("predicate failed")

    c, p = twins(3, should_complete=boom)
    assert outcome(lambda: c.decide(1, 0)) == outcome(lambda: p.decide(1, 0))


def never(status):
    return None


def test_value_semantics():
    for args in [(3,), (3, 1, 0, 50), (7, None, 2, 12.5), (4, None, None, None, never)]:
        c, p = twins(*args)
        assert c == C(*args) and not (c != C(*args)) and hash(c) == hash(C(*args))
        assert c != p  # different classes never compare equal (as two pure classes would not)
        assert repr(c) == repr(p)
        for clone in (pickle.loads(pickle.dumps(c)), copy.copy(c), copy.deepcopy(c)):
            assert type(clone) is C and clone == c
        assert c.__reduce__()[1] == p.__reduce__()[1]
    c = C(3, 1, 0, 50)
    assert c == C(3, 1, 0, 50.0) and c != C(3, 1, 0, 51) and c != C(4, 1, 0, 50)
    assert hash(c) == hash(C(3, 1, 0, 50.0))
    assert C(3).__eq__(PY(3)) is NotImplemented
    assert len({C(3), C(3), C(4)}) == 2


def test_immutable_with_the_same_message():
    c, p = twins(3, 1)
    for name in ("total", "min_successful", "_fail_fast", "anything"):
        with pytest.raises(AttributeError) as got:
            setattr(c, name, 5)
        with pytest.raises(AttributeError) as want:
            setattr(p, name, 5)
        assert str(got.value) == str(want.value)
    assert c.total == 3 and c.min_successful == 1


def test_keyword_construction_and_subclassing():
    kw = {"min_successful": 990, "tolerated_failure_count": 50, "tolerated_failure_percentage": 10}
    c, p = twins(1000, **kw)
    assert repr(c) == repr(p)
    for i in range(1000):
        assert c.decide(i - i // 10, i // 10) == p.decide(i - i // 10, i // 10)

    class Sub(C):  # type: ignore[misc, valid-type]
        pass

    sub = Sub.from_config(4, CompletionConfig(min_successful=2))
    assert type(sub) is Sub and sub.decide(2, 0) == (True, R.MIN_SUCCESSFUL_REACHED)


def test_selector_picks_the_compiled_twin_when_allowed():
    from lambda_durable import _completion, _extensions

    assert _completion.COMPILED is _extensions.ALLOWED
    assert _completion.CompletionPolicy is (C if _extensions.ALLOWED else PY)
