"""The combinators ``all``, ``all_settled``, ``any`` and ``race`` (issue "map, parallel and
combinators"): each on success, partial failure and total failure, on the first run and on replay
(replay writes no checkpoint and reaches the identical outcome, exception fields included).

Each combinator is one ``parallel`` operation. Branches run one at a time (``max_concurrency=1``)
where the outcome depends on order; with real concurrency, "first to settle" is forced by keeping
the other branches blocked on ``threading.Event`` barriers until the combinator has returned.
"""
from __future__ import annotations

import json
import threading
from hashlib import blake2b

import pytest

from fakes import FakeService
from lambda_durable import ChildContextError, ParallelBranch, durable_execution
from lambda_durable.concurrency.models import BatchResult
from lambda_durable.config import Duration, NestingType, ParallelConfig, StepConfig
from lambda_durable.exceptions import CombinatorError, DurableOperationError
from lambda_durable.retries import RetryPresets

TIMEOUT = 20


def op_id(prefix, n):
    key = str(n) if prefix is None else f"{prefix}-{n}"
    return blake2b(key.encode()).hexdigest()[:64]


R1, R2 = op_id(None, 1), op_id(None, 2)
P = R1


def run(handler, svc: FakeService) -> dict:
    return durable_execution(client=svc)(handler)(svc.event(None), None)


def wait_for(event: threading.Event) -> None:
    assert event.wait(TIMEOUT), "barrier never released"


def ok(value):
    return lambda c: c.step(lambda _: value, name="work")


def fail(message, error=ValueError):
    def body(c):
        def work(_):
            raise error(message)

        return c.step(work, name="work", config=StepConfig(retry_strategy=RetryPresets.none()))

    return body


def plain_fail(message):
    def body(c):
        raise RuntimeError(message)

    return body


def describe(outcome):
    """A comparable view of what a combinator returned or raised."""
    if isinstance(outcome, BatchResult):
        return ("batch", outcome.to_dict(), outcome.completion_reason.value)
    if isinstance(outcome, BaseException):
        fields = (type(outcome).__name__, str(outcome))
        if isinstance(outcome, DurableOperationError):
            fields += (outcome.message, outcome.error_type, outcome.data, outcome.stack_trace,
                       type(outcome.__cause__).__name__ if outcome.__cause__ else None)
        if isinstance(outcome, CombinatorError):
            fields += ([e.to_dict() if e is not None else None for e in outcome.errors],
                       outcome.result.to_dict())
        return ("raised",) + fields
    return ("returned", outcome)


def first_run_and_replay(call, *, settle=None):
    """Run ``call(ctx)`` in a handler followed by a 1-second wait, then replay it; returns the
    outcomes (returned value or exception) of both runs and the service. ``settle`` runs after
    the first run's combinator returned (e.g. to release straggler branches)."""
    svc = FakeService()
    outcomes = []

    def handler(event, ctx):
        try:
            outcomes.append(call(ctx))
        except (CombinatorError, ChildContextError) as error:
            outcomes.append(error)
        if settle is not None and not ctx.is_replaying():
            settle()
        ctx.wait(Duration(1), name="after")
        return "done"

    assert run(handler, svc) == {"Status": "PENDING"}
    assert svc.operations[P]["Type"] == "CONTEXT" and svc.operations[P]["SubType"] == "Parallel"
    assert svc.operations[P]["Status"] == "SUCCEEDED"  # the parallel SUCCEEDs whatever the outcome
    svc.operations[R2] = dict(svc.operations[R2], Status="SUCCEEDED")
    calls = len(svc.calls)
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"done"'}
    assert len(svc.calls) == calls  # replay writes no checkpoint
    first, replay = outcomes
    assert describe(first) == describe(replay)
    return first, svc


ONE = ParallelConfig(max_concurrency=1)


class Stragglers:
    """Branches that stay blocked until :meth:`release` (after the combinator returned); then
    they try to finish and must be refused (their batch is complete)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.done = threading.Event()
        self.done.set()

    def branch(self, value=None, message=None):
        def body(c):
            with self.lock:
                self.running += 1
                self.done.clear()
            try:
                wait_for(self.gate)
                if message is not None:
                    raise RuntimeError(message)
                return c.step(lambda _: value, name="late")
            finally:
                with self.lock:
                    self.running -= 1
                    if not self.running:
                        self.done.set()

        return body

    def release(self):
        self.gate.set()
        wait_for(self.done)


def no_late_updates(svc):
    flat = svc.updates
    (end,) = [n for n, u in enumerate(flat) if u["Id"] == P and u["Action"] == "SUCCEED"]
    assert [u["Id"] for u in flat[end + 1:]] == [R2]  # only the wait after the combinator


# ==============================================================================================
# all
# ==============================================================================================


def test_all_success_returns_every_result_in_order():
    out, svc = first_run_and_replay(lambda ctx: ctx.all([ok(1), ok("two"), ok([3])], name="every"))
    assert out == [1, "two", [3]]
    assert svc.operations[P]["Name"] == "every"


def test_all_partial_failure_raises_with_every_failure_and_fails_fast():
    ran = []

    def track(i, body):
        def wrapped(c):
            ran.append(i)
            return body(c)

        return wrapped

    branches = [track(0, ok(0)), track(1, fail("second broke")), track(2, ok(2))]
    out, svc = first_run_and_replay(lambda ctx: ctx.all(branches, name="every", config=ONE))
    assert isinstance(out, CombinatorError)
    assert ran == [0, 1]  # fail-fast: branch 2 never started
    assert [e.message for e in out.errors] == ["second broke"]
    assert out.error_type == "aws_durable_execution_sdk_python.exceptions.StepError"
    assert "second broke" in out.message and "every" in out.message
    assert out.result.completion_reason.value == "FAILURE_TOLERANCE_EXCEEDED"
    assert [(i.index, i.status.value) for i in out.result.all] == [(0, "SUCCEEDED"), (1, "FAILED")]


def test_all_total_failure_carries_the_failures():
    branches = [plain_fail("a"), plain_fail("b")]
    out, _ = first_run_and_replay(lambda ctx: ctx.all(branches))
    assert isinstance(out, CombinatorError)
    assert out.errors and {e.message for e in out.errors} <= {"a", "b"}
    assert all(e.type == "RuntimeError" for e in out.errors)
    assert out.result.success_count == 0

    # one at a time, the first failure ends it
    out, _ = first_run_and_replay(lambda ctx: ctx.all(branches, config=ONE))
    assert [(e.message, e.type) for e in out.errors] == [("a", "RuntimeError")]
    assert (out.message, out.error_type) == ("all: 1 of 1 started branches failed; first: a", "RuntimeError")


def test_all_with_concurrent_branches_collects_every_failure_observed():
    """All three branches fail while running together: whichever order they settle in, the
    error lists the failures the batch recorded, in index order, identically on replay."""
    gate = threading.Event()
    arrived = []
    lock = threading.Lock()

    def failing(i):
        def body(c):
            with lock:
                arrived.append(i)
                if len(arrived) == 3:
                    gate.set()
            wait_for(gate)
            raise RuntimeError(f"b{i}")

        return body

    out, _ = first_run_and_replay(lambda ctx: ctx.all([failing(0), failing(1), failing(2)]))
    assert isinstance(out, CombinatorError)
    indexes = [i.index for i in out.result.failed()]
    assert indexes == sorted(indexes)
    assert [e.message for e in out.errors] == [f"b{i}" for i in indexes]


# ==============================================================================================
# all_settled
# ==============================================================================================


def test_all_settled_success():
    out, _ = first_run_and_replay(lambda ctx: ctx.all_settled([ok("a"), ok("b")]))
    assert isinstance(out, BatchResult)
    assert out.get_results() == ["a", "b"] and out.completion_reason.value == "ALL_COMPLETED"


def test_all_settled_partial_failure_runs_every_branch_and_never_raises():
    out, _ = first_run_and_replay(lambda ctx: ctx.all_settled([fail("x"), ok("b"), plain_fail("y")], config=ONE))
    assert isinstance(out, BatchResult)
    assert [(i.index, i.status.value) for i in out.all] == [(0, "FAILED"), (1, "SUCCEEDED"), (2, "FAILED")]
    assert out.completion_reason.value == "ALL_COMPLETED"
    assert [e.message for e in out.get_errors()] == ["x", "y"]
    with pytest.raises(ChildContextError):
        out.throw_if_error()


def test_all_settled_total_failure():
    out, _ = first_run_and_replay(lambda ctx: ctx.all_settled([plain_fail("p"), plain_fail("q"), plain_fail("r")]))
    assert isinstance(out, BatchResult)
    assert out.failure_count == 3 and out.success_count == 0
    assert out.completion_reason.value == "ALL_COMPLETED"
    assert [e.message for e in out.get_errors()] == ["p", "q", "r"]


# ==============================================================================================
# any
# ==============================================================================================


def test_any_success_returns_the_first_success():
    out, _ = first_run_and_replay(lambda ctx: ctx.any([ok("first"), ok("second")], config=ONE))
    assert out == "first"


def test_any_partial_failure_skips_failures_and_stops_at_the_first_success():
    ran = []

    def track(i, body):
        def wrapped(c):
            ran.append(i)
            return body(c)

        return wrapped

    branches = [track(0, fail("no")), track(1, plain_fail("nope")), track(2, ok("yes")), track(3, ok("late"))]
    out, _ = first_run_and_replay(lambda ctx: ctx.any(branches, name="anyone", config=ONE))
    assert out == "yes"
    assert ran == [0, 1, 2]  # branch 3 never started


def test_any_concurrent_first_success_wins_and_stragglers_cannot_change_it():
    stragglers = Stragglers()
    branches = [stragglers.branch("slow"), ok("fast"), stragglers.branch(message="slow failure")]
    out, svc = first_run_and_replay(lambda ctx: ctx.any(branches), settle=stragglers.release)
    assert out == "fast"
    no_late_updates(svc)


def test_any_total_failure_raises_with_every_failure():
    out, _ = first_run_and_replay(lambda ctx: ctx.any([fail("e0"), plain_fail("e1"), fail("e2", KeyError)], name="anyone"))
    assert isinstance(out, CombinatorError)
    assert [e.message for e in out.errors] == ["e0", "e1", "'e2'"]
    assert out.result.completion_reason.value == "ALL_COMPLETED"
    assert out.message == "any 'anyone': 3 of 3 started branches failed; first: e0"


# ==============================================================================================
# race
# ==============================================================================================


def test_race_success_returns_the_first_to_settle():
    stragglers = Stragglers()
    branches = [stragglers.branch("slow"), stragglers.branch("slower"), ok("quick")]
    out, svc = first_run_and_replay(lambda ctx: ctx.race(branches, name="r"), settle=stragglers.release)
    assert out == "quick"
    no_late_updates(svc)


def test_race_partial_failure_first_settled_failure_raises_its_error():
    stragglers = Stragglers()
    branches = [stragglers.branch("would succeed"), fail("lost", KeyError)]
    out, svc = first_run_and_replay(lambda ctx: ctx.race(branches), settle=stragglers.release)
    assert isinstance(out, ChildContextError)
    assert out.message == "'lost'"
    assert out.error_type == "aws_durable_execution_sdk_python.exceptions.StepError"
    no_late_updates(svc)


def test_race_partial_failure_first_settled_success_wins_over_later_failures():
    stragglers = Stragglers()
    branches = [stragglers.branch(message="late failure"), ok("winner"), stragglers.branch(message="another")]
    out, svc = first_run_and_replay(lambda ctx: ctx.race(branches), settle=stragglers.release)
    assert out == "winner"
    no_late_updates(svc)


def test_race_total_failure_raises_the_first_failure():
    out, _ = first_run_and_replay(lambda ctx: ctx.race([plain_fail("first"), plain_fail("second")], config=ONE))
    assert isinstance(out, ChildContextError)
    assert (out.message, out.error_type) == ("first", "RuntimeError")


# ==============================================================================================
# shared behaviour
# ==============================================================================================


@pytest.mark.parametrize("combinator", ["all", "all_settled", "any", "race"])
def test_combinators_are_one_parallel_operation_with_the_callers_options(combinator):
    """The caller's options (here FLAT nesting and a concurrency bound) are kept; only the
    completion config is the combinator's. Named branches keep their names."""
    svc = FakeService()
    config = ParallelConfig(max_concurrency=1, nesting_type=NestingType.FLAT)

    def handler(event, ctx):
        out = getattr(ctx, combinator)([ParallelBranch(ok("a"), name="alpha"), ok("b")], name="combo", config=config)
        return out.get_results() if isinstance(out, BatchResult) else out

    out = run(handler, svc)
    assert out["Status"] == "SUCCEEDED"
    assert json.loads(out["Result"]) == {"all": ["a", "b"], "all_settled": ["a", "b"], "any": "a", "race": "a"}[combinator]
    contexts = [u for u in svc.updates if u["Type"] == "CONTEXT"]
    assert [(u["Id"], u["Action"], u["SubType"], u["Name"]) for u in contexts] == [
        (P, "START", "Parallel", "combo"), (P, "SUCCEED", "Parallel", "combo")]
    steps = [u for u in svc.updates if u["Type"] == "STEP"]
    assert {u["ParentId"] for u in steps} == {P}
    assert steps[0]["Id"] == op_id(op_id(P, 0), 1)


@pytest.mark.parametrize("combinator", ["all", "all_settled", "any", "race"])
def test_combinators_on_no_branches(combinator):
    svc = FakeService()
    outcome = []

    def handler(event, ctx):
        try:
            out = getattr(ctx, combinator)([])
            outcome.append(("returned", out.to_dict() if isinstance(out, BatchResult) else out))
        except CombinatorError as error:
            outcome.append(("raised", error.errors))
        return "ok"

    assert run(handler, svc)["Status"] == "SUCCEEDED"
    expected = {
        "all": ("returned", []),
        "all_settled": ("returned", {"all": [], "completionReason": "ALL_COMPLETED"}),
        "any": ("raised", []),
        "race": ("returned", None),
    }[combinator]
    assert outcome == [expected]


def test_uncaught_combinator_error_fails_the_execution_identically_on_replay():
    svc = FakeService()
    handler = lambda e, ctx: ctx.all([plain_fail("bad"), ok("good")], name="both", config=ONE)  # noqa: E731
    first = run(handler, svc)
    assert first["Status"] == "FAILED"
    assert first["Error"]["ErrorMessage"] == "all 'both': 1 of 1 started branches failed; first: bad"
    assert first["Error"]["ErrorType"].endswith("CombinatorError")
    calls = len(svc.calls)
    assert run(handler, svc) == first  # rebuilt from the checkpointed parallel result
    assert len(svc.calls) == calls
