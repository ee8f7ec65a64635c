"""map and parallel under real concurrency (issue "map, parallel and combinators", protocol.md 4.3
and 5.9): the max_concurrency bound, scheduling-independent IDs, every completion reason, the
boundary cases of bug-cases.md (B06, B16, B17, B18, B20, B22), empty inputs, FLAT vs NESTED
histories, large results replayed identically, resumed batches, and a 10,000-item map on the
local service.

Ordering between branches is forced with ``threading.Event`` barriers inside the item functions,
never with sleeps; every wait on an event has a generous timeout so a regression fails instead of
hanging.
"""
from __future__ import annotations

import json
import resource
import threading
from hashlib import blake2b

import pytest

from fakes import NOW, FakeService
from lambda_durable import (
    BatchCompletionError,
    BatchItemStatus,
    ChildContextError,
    durable_execution,
)
from lambda_durable.concurrency import executor as executor_module
from lambda_durable.concurrency.executor import MAX_WORKER_THREADS, BatchExecutor
from lambda_durable.concurrency.models import BatchResult, CompletionReason
from lambda_durable.config import (
    CompletionConfig,
    CompletionOutcome,
    Duration,
    MapConfig,
    NestingType,
    ParallelConfig,
    StepConfig,
    complete_batch,
    continue_batch,
)
from lambda_durable.exceptions import SuspendExecution, ValidationError
from lambda_durable.retries import RetryDecision, RetryPresets

TIMEOUT = 20  # seconds any barrier may take before the test fails (never reached when correct)


def op_id(prefix, n):
    key = str(n) if prefix is None else f"{prefix}-{n}"
    return blake2b(key.encode()).hexdigest()[:64]


R1, R2, R3 = op_id(None, 1), op_id(None, 2), op_id(None, 3)
M = R1  # the first operation of the handler: the map / parallel


def run(handler, svc: FakeService, payload=None) -> dict:
    return durable_execution(client=svc)(handler)(svc.event(payload), None)


def result_of(out: dict):
    assert out["Status"] == "SUCCEEDED", out
    return json.loads(out["Result"])


def set_status(svc: FakeService, operation_id: str, status: str) -> None:
    svc.operations[operation_id] = dict(svc.operations[operation_id], Status=status)


def wait_for(event: threading.Event) -> None:
    assert event.wait(TIMEOUT), "barrier never released"


def summary(result: BatchResult) -> dict:
    return {
        "reason": result.completion_reason.value,
        "items": [[i.index, i.status.value] for i in result.all],
        "totalCount": result.total_count,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "startedCount": result.started_count,
    }


def identities(svc: FakeService) -> set[tuple]:
    return {(u["Id"], u.get("ParentId"), u.get("Name"), u.get("SubType")) for u in svc.updates}


def updates_after_succeed_of(svc: FakeService, operation_id: str) -> list[dict]:
    """Every update sent after the terminal update of ``operation_id``."""
    flat = svc.updates
    ends = [n for n, u in enumerate(flat) if u["Id"] == operation_id and u["Action"] in ("SUCCEED", "FAIL")]
    assert ends, f"no terminal update for {operation_id}"
    return flat[ends[0] + 1:]


def refreshes(svc: FakeService) -> int:
    return sum(1 for batch in svc.calls if batch == [])


class InFlight:
    """Counts item functions that started and have not finished; ``full`` is set once ``target``
    of them are in flight at the same time."""

    def __init__(self, target: int) -> None:
        self.lock = threading.Lock()
        self.target = target
        self.now = 0
        self.max = 0
        self.full = threading.Event()

    def __enter__(self):
        with self.lock:
            self.now += 1
            self.max = max(self.max, self.now)
            if self.now >= self.target:
                self.full.set()
        return self

    def __exit__(self, *exc):
        with self.lock:
            self.now -= 1


# ==============================================================================================
# the concurrency bound
# ==============================================================================================


@pytest.mark.parametrize("kind", ["map", "parallel"])
@pytest.mark.parametrize("limit", [1, 2, 3, 5, 10])
def test_in_flight_items_never_exceed_max_concurrency_and_reach_it(kind, limit):
    svc = FakeService()
    count = 25
    flight = InFlight(limit)

    def body(c, i):
        with flight:
            # the first items hold their slots until `limit` of them run at once: the bound is
            # reached; every later item runs freely and the count must still never exceed it
            wait_for(flight.full)
            return c.step(lambda _: i * 2, name="double")

    def handler(event, ctx):
        if kind == "map":
            result = ctx.map(list(range(count)), lambda c, x, i, xs: body(c, i), name="m",
                             config=MapConfig(max_concurrency=limit))
        else:
            result = ctx.parallel([(lambda c, i=i: body(c, i)) for i in range(count)], name="p",
                                  config=ParallelConfig(max_concurrency=limit))
        return result.get_results()

    assert result_of(run(handler, svc)) == [i * 2 for i in range(count)]
    assert flight.max == limit


def test_max_concurrency_counts_suspended_items_as_in_flight():
    """A timed-suspended item keeps its slot: with max_concurrency=2 and both items of the first
    pair waiting, no third item starts in this invocation."""
    svc = FakeService()
    started = []

    def item(c, x, i, xs):
        started.append(i)
        c.wait(Duration(60), name="pause")
        return i

    out = run(lambda e, ctx: ctx.map([0, 1, 2, 3], item, name="m", config=MapConfig(max_concurrency=2)).get_results(), svc)
    assert out == {"Status": "PENDING"}
    assert sorted(set(started)) == [0, 1]
    assert op_id(M, 2) not in svc.operations and op_id(M, 3) not in svc.operations


def test_unbounded_concurrency_starts_every_item_on_a_bounded_pool():
    """max_concurrency=None: all 1000 items are in flight at once (each suspends on a wait and
    keeps its slot), yet the process never runs more than the pool's worker threads."""
    svc = FakeService()
    baseline = threading.active_count()
    peak = [0]
    lock = threading.Lock()

    def item(c, x, i, xs):
        with lock:
            peak[0] = max(peak[0], threading.active_count())
        c.wait(Duration(3600), name="later")
        return i

    out = run(lambda e, ctx: ctx.map(list(range(1000)), item, name="m").get_results(), svc)
    assert out == {"Status": "PENDING"}
    waits = [u for u in svc.updates if u["Type"] == "WAIT" and u["Action"] == "START"]
    assert len(waits) == 1000
    assert {u["ParentId"] for u in waits} == {op_id(M, i) for i in range(1000)}
    assert peak[0] <= baseline + MAX_WORKER_THREADS + 2
    assert threading.active_count() <= baseline + MAX_WORKER_THREADS + 2


# ==============================================================================================
# IDs never depend on scheduling (protocol.md 4.3)
# ==============================================================================================


def ordered_items(order: list[int]):
    """Item bodies that finish in ``order``: each waits for its predecessor in ``order``."""
    done = {i: threading.Event() for i in order}
    before = {order[n]: order[n - 1] for n in range(1, len(order))}
    finished = []

    def body(c, i):
        if i in before:
            wait_for(done[before[i]])
        value = c.step(lambda _: f"v{i}", name="work")
        inner = c.run_in_child_context(lambda cc: cc.step(lambda _: i, name="inner"), name="sub")
        finished.append(i)
        done[i].set()
        return [value, inner]

    return body, finished


@pytest.mark.parametrize("kind", ["map", "parallel"])
@pytest.mark.parametrize("nesting", [NestingType.NESTED, NestingType.FLAT])
def test_operation_ids_are_the_same_for_any_completion_order(kind, nesting):
    seen = {}
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]):
        svc = FakeService()
        body, finished = ordered_items(order)

        def handler(event, ctx):
            if kind == "map":
                result = ctx.map(["a", "b", "c", "d"], lambda c, x, i, xs: body(c, i), name="fan",
                                 config=MapConfig(nesting_type=nesting))
            else:
                result = ctx.parallel([(lambda c, i=i: body(c, i)) for i in range(4)], name="fan",
                                      config=ParallelConfig(nesting_type=nesting))
            return result.get_results()

        assert result_of(run(handler, svc)) == [[f"v{i}", i] for i in range(4)]
        assert finished == order
        # the inner steps really were written in completion order
        work = [u["Id"] for u in svc.updates if u.get("Name") == "work" and u["Action"] == "SUCCEED"]
        assert work == [op_id(op_id(M, i), 1) for i in order]
        seen[tuple(order)] = identities(svc)
    first, *others = seen.values()
    assert all(other == first for other in others)

    # item i = blake2b("<batch id>-<i>"), i from 0; inside an item, ops are numbered from 1
    item_type = "MapIteration" if kind == "map" else "ParallelBranch"
    item_name = "map-item-{}" if kind == "map" else "parallel-branch-{}"
    batch_type = "Map" if kind == "map" else "Parallel"
    expected = {(M, None, "fan", batch_type)}
    for i in range(4):
        item = op_id(M, i)
        parent = item if nesting is NestingType.NESTED else M
        if nesting is NestingType.NESTED:
            expected.add((item, M, item_name.format(i), item_type))
        expected.add((op_id(item, 1), parent, "work", "Step"))
        expected.add((op_id(item, 2), parent, "sub", "RunInChildContext"))
        expected.add((op_id(op_id(item, 2), 1), op_id(item, 2), "inner", "Step"))
    assert first == expected
    # protocol.md 4.1 test vector: item 0 of a map that is the first root operation
    assert op_id(M, 0) == "1712f93e2f51df042e2b933907d75accfe34a48fe4a42a24e0b08131bc72d591"


# ==============================================================================================
# completion reasons (one item at a time, so which items start is deterministic)
# ==============================================================================================


def outcomes(spec: str):
    """Item bodies from a spec like "sfs": s = succeed (returns its index), f = raise."""

    def body(c, i):
        if spec[i] == "f":
            raise RuntimeError(f"item {i} failed")
        return i

    return body


def replayed(kind: str, spec: str, completion: CompletionConfig | None, max_concurrency: int | None = 1):
    """Run a batch of ``spec`` items, force a replay with a wait after it, and return the first
    run's and the replay's result summaries, the item bodies that ran, and the service."""
    svc = FakeService()
    ran = []
    seen = []
    body = outcomes(spec)

    def item(c, i):
        ran.append(i)
        return body(c, i)

    def handler(event, ctx):
        if kind == "map":
            config = MapConfig(max_concurrency=max_concurrency)
            if completion is not None:
                config = MapConfig(max_concurrency=max_concurrency, completion_config=completion)
            result = ctx.map(list(range(len(spec))), lambda c, x, i, xs: item(c, i), name="b", config=config)
        else:
            config = ParallelConfig(max_concurrency=max_concurrency)
            if completion is not None:
                config = ParallelConfig(max_concurrency=max_concurrency, completion_config=completion)
            result = ctx.parallel([(lambda c, i=i: item(c, i)) for i in range(len(spec))], name="b", config=config)
        seen.append(result)
        ctx.wait(Duration(1), name="after")
        return summary(result)

    assert run(handler, svc) == {"Status": "PENDING"}
    set_status(svc, R2, "SUCCEEDED")
    calls_before = len(svc.calls)
    replay = result_of(run(handler, svc))
    assert len(svc.calls) == calls_before  # the replay wrote nothing
    first, again = seen
    assert first == again  # identical BatchResult (items, results, errors, reason)
    assert summary(first) == replay
    return replay, ran, first, svc


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_reason_all_completed(kind):
    out, ran, result, _ = replayed(kind, "sss", CompletionConfig.all_completed())
    assert out["reason"] == "ALL_COMPLETED" and out["successCount"] == 3
    assert result.get_results() == [0, 1, 2] and result.status is BatchItemStatus.SUCCEEDED
    assert ran == [0, 1, 2]
    # all_completed tolerates every failure and still reports ALL_COMPLETED
    out, ran, result, _ = replayed(kind, "fsf", CompletionConfig.all_completed())
    assert out["reason"] == "ALL_COMPLETED" and (out["successCount"], out["failureCount"]) == (1, 2)
    assert result.status is BatchItemStatus.FAILED and result.has_failure


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_reason_min_successful_reached(kind):
    out, ran, result, _ = replayed(kind, "sfss", CompletionConfig(min_successful=2, tolerated_failure_count=1))
    assert out == {"reason": "MIN_SUCCESSFUL_REACHED", "items": [[0, "SUCCEEDED"], [1, "FAILED"], [2, "SUCCEEDED"]],
                   "totalCount": 3, "successCount": 2, "failureCount": 1, "startedCount": 0}
    assert ran == [0, 1, 2]  # item 3 never started


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_reason_failure_tolerance_exceeded(kind):
    out, ran, result, _ = replayed(kind, "sffs", CompletionConfig(tolerated_failure_count=1))
    assert out["reason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert out["items"] == [[0, "SUCCEEDED"], [1, "FAILED"], [2, "FAILED"]]
    assert ran == [0, 1, 2]
    assert [e.message for e in result.get_errors()] == ["item 1 failed", "item 2 failed"]
    with pytest.raises(ChildContextError) as info:
        result.throw_if_error()
    assert (info.value.message, info.value.error_type) == ("item 1 failed", "RuntimeError")


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_reason_custom_completion_succeeded(kind):
    statuses = []

    def two_done(status):
        statuses.append((status.success_count, status.failure_count, status.completed_count, status.total_count,
                         tuple(s.status for s in status.items)))
        return complete_batch(CompletionOutcome.SUCCEEDED) if status.completed_count >= 2 else continue_batch()

    out, ran, result, _ = replayed(kind, "fsss", CompletionConfig(should_complete=two_done))
    assert out["reason"] == "CUSTOM_COMPLETION_SUCCEEDED"
    assert out["items"] == [[0, "FAILED"], [1, "SUCCEEDED"]]
    assert ran == [0, 1]
    # a predicate completing SUCCEEDED wins over the failed item for the batch status
    assert result.status is BatchItemStatus.SUCCEEDED
    F, S = BatchItemStatus.FAILED, BatchItemStatus.SUCCEEDED
    # evaluated before scheduling and after each transition, only on the first run
    assert statuses == [(0, 0, 0, 4, (None,) * 4), (0, 1, 1, 4, (F, None, None, None)),
                        (1, 1, 2, 4, (F, S, None, None))]


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_reason_custom_completion_failed_and_throw_if_error(kind):
    def fail_after_two(status):
        if status.success_count >= 2:
            return complete_batch(CompletionOutcome.FAILED)
        return continue_batch()

    out, ran, result, _ = replayed(kind, "sss", CompletionConfig(should_complete=fail_after_two))
    assert out["reason"] == "CUSTOM_COMPLETION_FAILED"
    assert out["items"] == [[0, "SUCCEEDED"], [1, "SUCCEEDED"]]
    assert ran == [0, 1]
    assert result.status is BatchItemStatus.FAILED and not result.has_failure
    with pytest.raises(BatchCompletionError) as info:
        result.throw_if_error()
    assert info.value.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED

    # with a failed item, throw_if_error raises that item's error first
    def fail_at_first_failure(status):
        return complete_batch(CompletionOutcome.FAILED) if status.failure_count else continue_batch()

    out, ran, result, _ = replayed(kind, "sfs", CompletionConfig(should_complete=fail_at_first_failure))
    assert out["reason"] == "CUSTOM_COMPLETION_FAILED" and ran == [0, 1]
    with pytest.raises(ChildContextError) as info:
        result.throw_if_error()
    assert info.value.message == "item 1 failed"


def test_custom_predicate_is_exclusive_and_min_successful_is_validated_before_checkpointing():
    with pytest.raises(ValidationError):
        CompletionConfig(min_successful=1, should_complete=lambda s: continue_batch())
    svc = FakeService()
    ran = []

    def handler(event, ctx):
        with pytest.raises(ValidationError):
            ctx.map([1, 2], lambda c, x, i, xs: ran.append(i), name="m",
                    config=MapConfig(completion_config=CompletionConfig(min_successful=3)))
        with pytest.raises(ValidationError):
            ctx.parallel([lambda c: ran.append(0)], config=ParallelConfig(completion_config=CompletionConfig(min_successful=2)))
        # no ID was taken: the next operation is still the first one
        return ctx.step(lambda _: "s", name="first")

    assert result_of(run(handler, svc)) == "s"
    assert ran == []
    assert [(u["Id"], u["Type"]) for u in svc.updates] == [(R1, "STEP"), (R1, "STEP")]


# ==============================================================================================
# B16: completion config semantics (tolerance first, empty config fail-fast, parallel == map)
# ==============================================================================================


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_b16a_tolerance_is_checked_before_all_completed(kind):
    out, ran, result, svc = replayed(kind, "ffs", CompletionConfig(tolerated_failure_count=1))
    assert (out["reason"], out["successCount"], out["failureCount"], out["totalCount"]) == (
        "FAILURE_TOLERANCE_EXCEEDED", 0, 2, 2)
    assert ran == [0, 1]  # branch 2 never started
    assert op_id(M, 2) not in svc.operations
    # the batch operation itself still SUCCEEDS; failures are read from the result
    assert svc.operations[M]["Status"] == "SUCCEEDED"


@pytest.mark.parametrize("kind", ["map", "parallel"])
@pytest.mark.parametrize("completion", [None, CompletionConfig()], ids=["no-config", "empty-config"])
def test_b16bc_no_config_and_empty_config_fail_fast(kind, completion):
    if kind == "parallel" and completion is None:
        completion = ParallelConfig().completion_config  # the parallel default (all_successful)
    out, ran, result, _ = replayed(kind, "sfs", completion)
    assert (out["reason"], out["successCount"], out["failureCount"], out["totalCount"]) == (
        "FAILURE_TOLERANCE_EXCEEDED", 1, 1, 2)
    assert ran == [0, 1]


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_b16d_tolerated_failure_is_honoured_by_map_and_parallel_alike(kind):
    out, ran, result, svc = replayed(kind, "sfs", CompletionConfig(tolerated_failure_count=1))
    assert (out["reason"], out["successCount"], out["failureCount"], out["totalCount"]) == ("ALL_COMPLETED", 2, 1, 3)
    assert svc.operations[M]["Status"] == "SUCCEEDED"
    with pytest.raises(ChildContextError):
        result.throw_if_error()


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_b16e_tolerated_percentage_is_strict(kind):
    out, ran, _, _ = replayed(kind, "sfs", CompletionConfig(tolerated_failure_percentage=30))
    assert out["reason"] == "FAILURE_TOLERANCE_EXCEEDED"  # 1 of 3 = 33% > 30%
    assert ran == [0, 1]
    out, ran, _, _ = replayed(kind, "sfs", CompletionConfig(tolerated_failure_percentage=34))
    assert out["reason"] == "ALL_COMPLETED" and ran == [0, 1, 2]


# ==============================================================================================
# B17: the batch ends as soon as it is decided, never hangs
# ==============================================================================================


@pytest.mark.parametrize("completion", [
    CompletionConfig(min_successful=2, tolerated_failure_count=1),
    CompletionConfig(),
], ids=["min2-tolerate1", "all-unset"])
def test_b17_terminal_items_always_complete_the_batch(completion):
    svc = FakeService()

    def item(c, x, i, xs):
        if i == 0:
            raise RuntimeError("boom")
        return "ok"

    out = run(lambda e, ctx: ctx.map([0, 1], item, name="m",
                                     config=MapConfig(max_concurrency=2, completion_config=completion)).to_dict(), svc)
    result = result_of(out)
    statuses = {i["index"]: i["status"] for i in result["all"]}
    assert statuses[0] == "FAILED"
    if completion.min_successful == 2:
        # min_successful=2 is unreachable once item 0 failed; the batch still ends with both
        # items terminal and a defined reason
        assert statuses == {0: "FAILED", 1: "SUCCEEDED"}
        assert result["completionReason"] == "ALL_COMPLETED"
    else:
        assert result["completionReason"] == "FAILURE_TOLERANCE_EXCEEDED"


def test_b17_min_successful_one_returns_after_the_first_success_and_ignores_stragglers():
    svc = FakeService()
    release = threading.Event()
    straggler_started = threading.Event()
    straggler_done = threading.Event()
    ran = []

    def item(c, x, i, xs):
        ran.append(i)
        if i == 1:
            straggler_started.set()
            try:
                wait_for(release)  # still running when the batch completes
                return c.step(lambda _: "late", name="late")
            finally:
                straggler_done.set()
        wait_for(straggler_started)
        return c.step(lambda _: "first", name="first")

    got = []

    def handler(event, ctx):
        result = ctx.map([0, 1, 2, 3], item, name="m",
                         config=MapConfig(max_concurrency=2,
                                          completion_config=CompletionConfig(min_successful=1)))
        got.append(summary(result))
        release.set()
        wait_for(straggler_done)
        got.append(summary(result))  # the straggler cannot change the returned result
        return "done"

    assert result_of(run(handler, svc)) == "done"
    assert got[0] == got[1] == {"reason": "MIN_SUCCESSFUL_REACHED", "items": [[0, "SUCCEEDED"], [1, "STARTED"]],
                                "totalCount": 2, "successCount": 1, "failureCount": 0, "startedCount": 1}
    assert sorted(ran) == [0, 1]  # items 2 and 3 never started
    # nothing but the execution's own result may follow the map's SUCCEED
    assert all(u["Type"] == "EXECUTION" for u in updates_after_succeed_of(svc, M))
    assert not any(u.get("Name") == "late" for u in svc.updates)


# ==============================================================================================
# B18: min_successful reached while items are in flight: frozen result, no late checkpoints
# ==============================================================================================


def retry_once(error, attempts_made):
    return RetryDecision.retry(Duration(1)) if attempts_made < 2 else RetryDecision.no_retry()


def test_b18_min_successful_with_items_in_flight_freezes_the_result():
    svc = FakeService()
    item3_started = threading.Event()
    release = threading.Event()
    item3_done = threading.Event()
    seen = []

    def item(c, x, i, xs):
        if i == 1:
            wait_for(item3_started)  # item 1 succeeds only once item 3 is running
        if i == 3:
            item3_started.set()
            try:
                wait_for(release)  # in flight until after the map returned
                return c.step(lambda _: i, name="work")
            finally:
                item3_done.set()

        def work(_):
            if i in (2, 4):
                raise RuntimeError(f"item {i} failed")
            return i

        return c.step(work, name="work", config=StepConfig(retry_strategy=retry_once))

    def handler(event, ctx):
        result = ctx.map(list(range(5)), item, name="m",
                         config=MapConfig(max_concurrency=3, completion_config=CompletionConfig(
                             min_successful=2, tolerated_failure_percentage=50)))
        seen.append(summary(result))
        if not ctx.is_replaying():
            release.set()
            wait_for(item3_done)
            seen.append(summary(result))  # unchanged by the straggler
        ctx.wait(Duration(1), name="after")
        return {"totalCount": result.total_count, "successCount": result.success_count,
                "failureCount": result.failure_count, "completionReason": result.completion_reason.value}

    assert run(handler, svc) == {"Status": "PENDING"}
    set_status(svc, R2, "SUCCEEDED")
    before = len(svc.calls)
    out = result_of(run(handler, svc))
    assert len(svc.calls) == before
    assert out == {"totalCount": 4, "successCount": 2, "failureCount": 0, "completionReason": "MIN_SUCCESSFUL_REACHED"}
    frozen = {"reason": "MIN_SUCCESSFUL_REACHED",
              "items": [[0, "SUCCEEDED"], [1, "SUCCEEDED"], [2, "STARTED"], [3, "STARTED"]],
              "totalCount": 4, "successCount": 2, "failureCount": 0, "startedCount": 2}
    assert seen == [frozen, frozen, frozen]  # first run, after the straggler ended, replay
    # no checkpoint from an abandoned item after the map's terminal update (only the wait that
    # follows the map in the handler)
    late = updates_after_succeed_of(svc, M)
    assert [(u["Id"], u["Type"], u["Action"]) for u in late] == [(R2, "WAIT", "START")]
    assert op_id(M, 4) not in svc.operations  # never started
    # item 3 ran its step only after the map completed: not even its START was written
    assert svc.operations[op_id(M, 3)]["Status"] == "STARTED"
    assert op_id(op_id(M, 3), 1) not in svc.operations


def test_b18_parallel_min_successful_one_succeeds_with_branches_parked_on_callbacks():
    svc = FakeService()
    parked = {1: threading.Event(), 2: threading.Event()}

    def waiting(i):
        def body(c):
            callback = c.create_callback(name=f"cb{i}")
            try:
                return callback.result()
            except SuspendExecution:
                parked[i].set()
                raise

        return body

    def winner(c):
        wait_for(parked[1])
        wait_for(parked[2])
        return c.step(lambda _: "won", name="win")

    seen = []

    def handler(event, ctx):
        result = ctx.parallel([winner, waiting(1), waiting(2)], name="p",
                              config=ParallelConfig(completion_config=CompletionConfig(min_successful=1)))
        seen.append(summary(result))
        ctx.wait(Duration(1), name="after")
        return result.get_results()

    assert run(handler, svc) == {"Status": "PENDING"}
    assert svc.operations[M]["Status"] == "SUCCEEDED"
    set_status(svc, R2, "SUCCEEDED")
    assert result_of(run(handler, svc)) == ["won"]
    assert seen[0] == seen[1] == {"reason": "MIN_SUCCESSFUL_REACHED",
                                  "items": [[0, "SUCCEEDED"], [1, "STARTED"], [2, "STARTED"]],
                                  "totalCount": 3, "successCount": 1, "failureCount": 0, "startedCount": 2}
    late = updates_after_succeed_of(svc, M)
    assert [(u["Id"], u["Type"]) for u in late] == [(R2, "WAIT")]


# ==============================================================================================
# B20: equal resume times, FIFO in-process resume with one shared refresh per wave
# ==============================================================================================


class GatedClock:
    """Stands in for the coordinator's clock: before ``gate`` is set it reads just before the
    fake service's timers fall due (so nothing resumes), afterwards long after them."""

    def __init__(self, due_at: float) -> None:
        self.gate = threading.Event()
        self.before = due_at - 0.02
        self.after = due_at + 3600

    def time(self) -> float:
        return self.after if self.gate.is_set() else self.before


@pytest.fixture
def gated(monkeypatch):
    """(clock, starts, first_passes): the coordinator's clock, the branch indexes it started in
    order (admission and in-process resumes), and a hook counting finished first passes."""
    clock = GatedClock((NOW.timestamp() + 1))
    monkeypatch.setattr(executor_module, "time", clock)
    starts = []
    original_start = BatchExecutor._start
    original_worker = BatchExecutor._worker
    passes: dict[int, int] = {}
    lock = threading.Lock()
    hooks = []

    def start(self, branch):
        starts.append(branch.index)
        return original_start(self, branch)

    def worker(self, executable, scope):
        original_worker(self, executable, scope)  # the branch's event is queued now
        with lock:
            passes[executable.index] = passes.get(executable.index, 0) + 1
            for hook in hooks:
                hook(passes)

    monkeypatch.setattr(BatchExecutor, "_start", start)
    monkeypatch.setattr(BatchExecutor, "_worker", worker)
    return clock, starts, hooks


def test_b20_equal_resume_times_resume_fifo_in_one_wave(gated):
    clock, starts, hooks = gated
    # the gate opens once branches 1 and 2 both reported their (identical) wait times
    hooks.append(lambda passes: clock.gate.set() if passes.get(1) and passes.get(2) else None)
    svc = FakeService(refresh_completes_timers=True)
    resumed = {1: threading.Event(), 2: threading.Event()}

    def keep_alive(c):
        # branch 0 keeps the invocation running until the others resumed in-process
        return c.step(lambda _: wait_for(resumed[1]) or wait_for(resumed[2]) or 0, name="slow")

    def waiter(i):
        def body(c):
            c.wait(Duration(1), name=f"w{i}")
            resumed[i].set()
            return i

        return body

    out = run(lambda e, ctx: ctx.parallel([keep_alive, waiter(1), waiter(2)], name="p").to_dict(), svc)
    result = result_of(out)
    assert [(i["index"], i["status"], i["result"]) for i in result["all"]] == [
        (0, "SUCCEEDED", 0), (1, "SUCCEEDED", 1), (2, "SUCCEEDED", 2)]
    w1, w2 = op_id(op_id(M, 1), 1), op_id(op_id(M, 2), 1)
    # both waits scheduled at the identical time
    assert svc.operations[w1]["WaitDetails"]["ScheduledEndTimestamp"] == svc.operations[w2]["WaitDetails"]["ScheduledEndTimestamp"]
    assert starts == [0, 1, 2, 1, 2]  # admitted in order, resumed FIFO (index order)
    assert refreshes(svc) == 1  # one shared refresh for the wave


def test_b20_resume_due_orders_equal_times_by_index_without_comparing_branches(monkeypatch):
    class State:
        refreshed = 0

        def refresh(self):
            self.refreshed += 1

    state = State()
    noop = lambda c: None  # noqa: E731
    from lambda_durable._completion import CompletionPolicy
    from lambda_durable.concurrency.models import Executable

    ex = BatchExecutor([Executable(i, noop) for i in range(4)], CompletionPolicy(4), None, None, state, None)
    started = []
    monkeypatch.setattr(ex, "_start", lambda branch: started.append(branch.index))
    for i in (3, 1, 2, 0):
        ex.branches[i].start()
        ex.branches[i].suspend_until(100.0)
        ex.timed[i] = 100.0
    ex._resume_due()
    assert started == [0, 1, 2, 3] and state.refreshed == 1


def test_b20_scale_300_items_resume_in_one_wave_within_one_invocation(gated):
    clock, starts, hooks = gated
    hooks.append(lambda passes: clock.gate.set() if sum(1 for i in passes if i > 0) == 299 else None)
    svc = FakeService(refresh_completes_timers=True)
    finished = []
    lock = threading.Lock()
    all_done = threading.Event()

    def item(c, x, i, xs):
        if i == 0:
            wait_for(all_done)
            return 0
        c.wait(Duration(1), name="tick")
        with lock:
            finished.append(i)
            if len(finished) == 299:
                all_done.set()
        return i

    out = run(lambda e, ctx: ctx.map(list(range(300)), item, name="m").get_results(), svc)
    assert result_of(out) == list(range(300))
    assert refreshes(svc) == 1
    assert starts[:300] == list(range(300)) and starts[300:] == list(range(1, 300))


# ==============================================================================================
# B22: a failing branch beside a waiting one: no checkpoint after the parent closed
# ==============================================================================================


@pytest.mark.parametrize("moment", ["after-the-wait-started", "before-the-wait-started"])
def test_b22_failing_branch_beside_a_waiting_branch(moment):
    svc = FakeService()
    a_parked = threading.Event()
    a_may_go = threading.Event()
    a_done = threading.Event()

    def branch_a(c):
        try:
            if moment == "before-the-wait-started":
                a_parked.set()
                wait_for(a_may_go)  # the parallel completes meanwhile
            try:
                c.wait(Duration(1), name="a-wait")
            except SuspendExecution:
                a_parked.set()
                raise
            return {"key": "value1"}
        finally:
            a_done.set()

    def branch_b(c):
        wait_for(a_parked)
        raise RuntimeError("Error in other branch")

    seen = []

    def handler(event, ctx):
        result = ctx.parallel([branch_a, branch_b], name="p")
        seen.append(summary(result))
        a_may_go.set()
        wait_for(a_done)
        return "done"

    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"done"'}
    assert seen == [{"reason": "FAILURE_TOLERANCE_EXCEEDED", "items": [[0, "STARTED"], [1, "FAILED"]],
                     "totalCount": 2, "successCount": 0, "failureCount": 1, "startedCount": 1}]
    assert svc.operations[M]["Status"] == "SUCCEEDED"
    assert updates_after_succeed_of(svc, M) == []
    wait_id = op_id(op_id(M, 0), 1)
    if moment == "before-the-wait-started":
        assert wait_id not in svc.operations
    else:
        assert svc.operations[wait_id]["Status"] == "STARTED"


def test_b18_update_built_before_the_batch_completed_is_not_sent_after_the_parent_closed(monkeypatch):
    """A straggler preempted between building its checkpoint and sending it (simulated: it
    pauses right after ``update()`` returned) must not send it after the map's SUCCEED."""
    from lambda_durable.operation import step as step_module

    parent_closed = threading.Event()
    late_built = threading.Event()
    straggler_done = threading.Event()

    class Service(FakeService):
        def checkpoint_durable_execution(self, **kwargs):
            out = super().checkpoint_durable_execution(**kwargs)
            if any(u["Id"] == M and u["Action"] == "SUCCEED" for u in kwargs["Updates"]):
                parent_closed.set()
            return out

    original_update = step_module.update

    def preempted_update(ctx, operation_id, op_type, action, sub_type, name, **fields):
        built = original_update(ctx, operation_id, op_type, action, sub_type, name, **fields)
        if name == "late" and action == "SUCCEED":
            late_built.set()
            wait_for(parent_closed)  # the map completes and closes meanwhile
        return built

    monkeypatch.setattr(step_module, "update", preempted_update)
    svc = Service()

    def item(c, x, i, xs):
        if i == 1:
            try:
                return c.step(lambda _: "late", name="late")
            finally:
                straggler_done.set()
        wait_for(late_built)
        return "first"

    def handler(event, ctx):
        result = ctx.map([0, 1], item, name="m",
                         config=MapConfig(completion_config=CompletionConfig(min_successful=1)))
        wait_for(straggler_done)
        return summary(result)

    out = result_of(run(handler, svc))
    assert out["reason"] == "MIN_SUCCESSFUL_REACHED" and out["items"] == [[0, "SUCCEEDED"], [1, "STARTED"]]
    assert updates_after_succeed_of(svc, M) == []
    assert not any(u.get("Name") == "late" and u["Action"] == "SUCCEED" for u in svc.updates)


# ==============================================================================================
# empty inputs
# ==============================================================================================


@pytest.mark.parametrize("nesting", [NestingType.NESTED, NestingType.FLAT])
def test_empty_map_and_parallel(nesting):
    svc = FakeService()
    seen = []

    def handler(event, ctx):
        m = ctx.map([], lambda c, x, i, xs: x, name="m", config=MapConfig(nesting_type=nesting))
        p = ctx.parallel([], name="p", config=ParallelConfig(nesting_type=nesting))
        seen.append((m, p))
        ctx.wait(Duration(1), name="after")
        return [summary(m), summary(p), m.get_results(), p.get_results()]

    assert run(handler, svc) == {"Status": "PENDING"}
    empty = {"reason": "ALL_COMPLETED", "items": [], "totalCount": 0, "successCount": 0, "failureCount": 0,
             "startedCount": 0}
    assert [(u["Id"], u["Action"], u.get("SubType")) for u in svc.updates] == [
        (R1, "START", "Map"), (R1, "SUCCEED", "Map"), (R2, "START", "Parallel"), (R2, "SUCCEED", "Parallel"),
        (R3, "START", "Wait")]
    set_status(svc, R3, "SUCCEEDED")
    assert result_of(run(handler, svc)) == [empty, empty, [], []]
    assert seen[0] == seen[1]
    m, p = seen[0]
    assert m.status is BatchItemStatus.SUCCEEDED and not m.has_failure
    m.throw_if_error()


# ==============================================================================================
# FLAT vs NESTED (protocol.md 4.3)
# ==============================================================================================


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_flat_and_nested_histories_differ_exactly_by_the_item_contexts(kind):
    histories = {}
    for nesting in (NestingType.NESTED, NestingType.FLAT):
        svc = FakeService()

        def body(c, i):
            first = c.step(lambda _: i, name="a")
            return [first, c.step(lambda _: i + 10, name="b")]

        def handler(event, ctx):
            if kind == "map":
                result = ctx.map([0, 1, 2], lambda c, x, i, xs: body(c, i), name="batch",
                                 config=MapConfig(max_concurrency=1, nesting_type=nesting))
            else:
                result = ctx.parallel([(lambda c, i=i: body(c, i)) for i in range(3)], name="batch",
                                      config=ParallelConfig(max_concurrency=1, nesting_type=nesting))
            return result.to_dict()

        histories[nesting] = (result_of(run(handler, svc)), svc.updates)
    (nested_result, nested), (flat_result, flat) = histories[NestingType.NESTED], histories[NestingType.FLAT]
    assert nested_result == flat_result
    item_ids = {op_id(M, i) for i in range(3)}
    # FLAT: no CONTEXT operation for the items ...
    assert not any(u["Id"] in item_ids for u in flat)
    assert [u for u in nested if u["Id"] in item_ids and u["Type"] == "CONTEXT"]
    # ... the same inner operation IDs, their parent reported as the batch operation
    expected_flat = [
        {**u, "ParentId": M} if u.get("ParentId") in item_ids else u
        for u in nested if u["Id"] not in item_ids
    ]
    assert flat == expected_flat
    inner = [u for u in flat if u["Type"] == "STEP"]
    assert {u["Id"] for u in inner} == {op_id(op_id(M, i), n) for i in range(3) for n in (1, 2)}
    assert {u["ParentId"] for u in inner} == {M}


def test_flat_and_nested_histories_on_the_local_service():
    from lambda_durable.testing import DurableFunctionTestRunner

    def make(nesting):
        @durable_execution
        def handler(event, ctx):
            result = ctx.map([1, 2], lambda c, x, i, xs: c.step(lambda _: x * 3, name=f"triple-{i}"), name="fan",
                             config=MapConfig(nesting_type=nesting))
            return result.get_results()

        return handler

    shapes = {}
    for nesting in (NestingType.NESTED, NestingType.FLAT):
        with DurableFunctionTestRunner(make(nesting)) as runner:
            result = runner.run(input="{}")
        assert result.result == "[3, 6]"
        fan = result.get_context("fan")
        shapes[nesting] = (fan, result)
    nested, flat = shapes[NestingType.NESTED][0], shapes[NestingType.FLAT][0]
    assert nested.sub_type == flat.sub_type == "Map"
    # NESTED: the map has one MapIteration context per item, each holding its step
    assert [c.sub_type for c in nested.child_operations] == ["MapIteration", "MapIteration"]
    assert [[s.name for s in c.child_operations] for c in nested.child_operations] == [["triple-0"], ["triple-1"]]
    # FLAT: the steps hang directly under the map, with the same IDs
    assert [s.name for s in flat.child_operations] == ["triple-0", "triple-1"]
    nested_steps = [s.operation_id for c in nested.child_operations for s in c.child_operations]
    assert [s.operation_id for s in flat.child_operations] == nested_steps == [
        op_id(op_id(fan.operation_id, 0), 1), op_id(op_id(fan.operation_id, 1), 1)]


# ==============================================================================================
# B06: results over 256 KiB: summary record + ReplayChildren, identical BatchResult on replay
# ==============================================================================================


def large_map(svc, *, size=60_000, nesting=NestingType.NESTED, completion=None, summary_generator=None,
              slow=(), char="z"):
    """Map over 5 items each returning a ``size``-character string (a 1-second wait after the map
    forces a replay); items in ``slow`` are still in flight when the map completes. Returns the
    handler, the BatchResults it observed and the item bodies that ran."""
    seen = []
    ran = []
    release = threading.Event()
    stragglers_done = threading.Event()
    lock = threading.Lock()
    pending_stragglers = set(slow)
    started_stragglers = set()
    all_slow_started = threading.Event()
    if not slow:
        all_slow_started.set()

    def item(c, x, i, xs):
        ran.append(i)
        if i in slow:
            with lock:
                started_stragglers.add(i)
                if started_stragglers == set(slow):
                    all_slow_started.set()  # every slow item is in flight
            try:
                wait_for(release)
                return c.step(lambda _: char * size, name="make")
            finally:
                with lock:
                    pending_stragglers.discard(i)
                    if not pending_stragglers:
                        stragglers_done.set()
        if not seen:  # first run: finish only once every slow item is in flight
            wait_for(all_slow_started)
        return c.step(lambda _: char * size, name="make")

    def handler(event, ctx):
        config = MapConfig(nesting_type=nesting, summary_generator=summary_generator)
        if completion is not None:
            config = MapConfig(nesting_type=nesting, summary_generator=summary_generator, completion_config=completion)
        result = ctx.map(list(range(5)), item, name="big", config=config)
        seen.append(result)
        if slow and not ctx.is_replaying():
            release.set()
            wait_for(stragglers_done)
        ctx.wait(Duration(1), name="w")
        return {"successCount": result.success_count, "failureCount": result.failure_count,
                "totalCount": result.total_count, "sum": sum(len(r) for r in result.get_results()),
                "statuses": [i.status.value for i in result.all]}

    return handler, seen, ran


def big_succeed(svc) -> dict:
    (succeed,) = [u for u in svc.updates if u["Id"] == M and u["Action"] == "SUCCEED"]
    return succeed


@pytest.mark.parametrize("nesting", [NestingType.NESTED, NestingType.FLAT])
def test_b06_large_result_is_a_summary_record_and_replays_identically(nesting):
    svc = FakeService()
    handler, seen, ran = large_map(svc, nesting=nesting)
    assert run(handler, svc) == {"Status": "PENDING"}
    succeed = big_succeed(svc)
    assert succeed["ContextOptions"] == {"ReplayChildren": True}
    assert json.loads(succeed["Payload"]) == {
        "type": "MapResult", "totalCount": 5, "completionReason": "ALL_COMPLETED", "startedIndexes": [],
        "startedCount": 0, "successCount": 5, "failureCount": 0, "status": "SUCCEEDED"}
    set_status(svc, R2, "SUCCEEDED")
    before = len(svc.calls)
    out = result_of(run(handler, svc))
    assert len(svc.calls) == before  # replay writes nothing
    assert out == {"successCount": 5, "failureCount": 0, "totalCount": 5, "sum": 300_000,
                   "statuses": ["SUCCEEDED"] * 5}
    first, again = seen
    assert again == first  # same items, results, errors and reason
    # a second replay still rebuilds the same result
    assert result_of(run(handler, svc)) == out and seen[2] == first


def test_b06_large_result_counts_utf8_bytes_not_characters():
    svc = FakeService()
    # 5 x 30,000 three-byte characters: 150,000 characters but ~450 KB of UTF-8
    handler, seen, _ = large_map(svc, size=30_000, char="\u20ac")
    assert run(handler, svc) == {"Status": "PENDING"}
    assert big_succeed(svc)["ContextOptions"] == {"ReplayChildren": True}
    set_status(svc, R2, "SUCCEEDED")
    run(handler, svc)
    assert seen[0] == seen[1]


@pytest.mark.parametrize("nesting", [NestingType.NESTED, NestingType.FLAT])
def test_b06_min_successful_with_an_item_in_flight_between_completed_ones(nesting):
    svc = FakeService()
    handler, seen, ran = large_map(svc, size=100_000, nesting=nesting, slow=(2, 4),
                                   completion=CompletionConfig(min_successful=3))
    assert run(handler, svc) == {"Status": "PENDING"}
    record = json.loads(big_succeed(svc)["Payload"])
    assert record == {"type": "MapResult", "totalCount": 5, "completionReason": "MIN_SUCCESSFUL_REACHED",
                      "startedIndexes": [2, 4], "startedCount": 2, "successCount": 3, "failureCount": 0,
                      "status": "SUCCEEDED"}
    set_status(svc, R2, "SUCCEEDED")
    ran.clear()
    out = result_of(run(handler, svc))
    assert out == {"successCount": 3, "failureCount": 0, "totalCount": 5, "sum": 300_000,
                   "statuses": ["SUCCEEDED", "SUCCEEDED", "STARTED", "SUCCEEDED", "STARTED"]}
    assert seen[0] == seen[1]
    # in-flight items are reported, never re-run, on replay; finished NESTED items return their
    # stored result, FLAT ones (no record of their own) re-run their body over replayed steps
    assert sorted(ran) == ([] if nesting is NestingType.NESTED else [0, 1, 3])


def test_b06_custom_summary_generator_text_never_drives_the_rebuild():
    svc = FakeService()
    generated = []

    def generator(result):
        generated.append(result.success_count)
        return "big"

    handler, seen, _ = large_map(svc, summary_generator=generator)
    assert run(handler, svc) == {"Status": "PENDING"}
    record = json.loads(big_succeed(svc)["Payload"])
    assert record["summary"] == "big" and record["totalCount"] == 5 and record["successCount"] == 5
    assert generated == [5]
    set_status(svc, R2, "SUCCEEDED")
    out = result_of(run(handler, svc))
    assert out["sum"] == 300_000 and out["statuses"] == ["SUCCEEDED"] * 5
    assert seen[0] == seen[1]
    assert generated == [5]  # not called again on replay


def test_b06_plain_text_summary_without_the_sdk_record_falls_back_to_the_item_records():
    """A summary written by another SDK (plain text, no record) rebuilds from the items."""
    svc = FakeService()
    handler, seen, _ = large_map(svc)
    assert run(handler, svc) == {"Status": "PENDING"}
    rec = svc.operations[M]
    svc.operations[M] = dict(rec, ContextDetails={**rec["ContextDetails"], "Result": "big"})
    set_status(svc, R2, "SUCCEEDED")
    out = result_of(run(handler, svc))
    assert out["statuses"] == ["SUCCEEDED"] * 5 and out["sum"] == 300_000
    assert seen[1] == seen[0]


def test_b06_large_parallel_result_replays_identically():
    svc = FakeService()
    seen = []

    def handler(event, ctx):
        result = ctx.parallel([(lambda c, i=i: c.step(lambda _: str(i) * 100_000, name="make")) for i in range(3)],
                              name="p", config=ParallelConfig(max_concurrency=2))
        seen.append(result)
        ctx.wait(Duration(1), name="w")
        return [len(r) for r in result.get_results()]

    assert run(handler, svc) == {"Status": "PENDING"}
    assert json.loads(big_succeed(svc)["Payload"])["type"] == "ParallelResult"
    set_status(svc, R2, "SUCCEEDED")
    assert result_of(run(handler, svc)) == [100_000] * 3
    assert seen[0] == seen[1]


@pytest.mark.parametrize("nesting", [NestingType.NESTED, NestingType.FLAT])
def test_b06_large_result_with_failed_items_rebuilds_the_same_errors(nesting):
    svc = FakeService()
    seen = []

    def item(c, x, i, xs):
        if i == 1:
            raise ValueError("plain failure")
        if i == 3:
            def boom(_):
                raise KeyError("step failure")

            return c.step(boom, name="make", config=StepConfig(retry_strategy=RetryPresets.none()))
        return c.step(lambda _: "y" * 100_000, name="make")

    def handler(event, ctx):
        result = ctx.map(list(range(5)), item, name="big",
                         config=MapConfig(nesting_type=nesting, completion_config=CompletionConfig.all_completed()))
        seen.append(result)
        ctx.wait(Duration(1), name="w")
        return summary(result)

    assert run(handler, svc) == {"Status": "PENDING"}
    assert big_succeed(svc)["ContextOptions"] == {"ReplayChildren": True}
    set_status(svc, R2, "SUCCEEDED")
    out = result_of(run(handler, svc))
    assert out["items"] == [[0, "SUCCEEDED"], [1, "FAILED"], [2, "SUCCEEDED"], [3, "FAILED"], [4, "SUCCEEDED"]]
    first, again = seen
    assert again == first
    errors = first.get_errors()
    assert [(e.message, e.type) for e in errors][0] == ("plain failure", "ValueError")
    assert errors[1].message == "'step failure'"


# ==============================================================================================
# resuming a partly completed batch
# ==============================================================================================


@pytest.mark.parametrize("kind", ["map", "parallel"])
@pytest.mark.parametrize("nesting", [NestingType.NESTED, NestingType.FLAT])
def test_resumed_batch_reruns_only_unfinished_items(kind, nesting):
    svc = FakeService()
    bodies = {i: 0 for i in range(4)}
    steps = {i: 0 for i in range(4)}
    lock = threading.Lock()

    def body(c, i):
        with lock:
            bodies[i] += 1

        def work(_):
            with lock:
                steps[i] += 1
            return i * 100

        value = c.step(work, name="work")
        if i in (1, 3):
            c.wait(Duration(1 if i == 1 else 2), name="pause")
        return value + 1

    def handler(event, ctx):
        if kind == "map":
            result = ctx.map(list(range(4)), lambda c, x, i, xs: body(c, i), name="b",
                             config=MapConfig(nesting_type=nesting))
        else:
            result = ctx.parallel([(lambda c, i=i: body(c, i)) for i in range(4)], name="b",
                                  config=ParallelConfig(nesting_type=nesting))
        return result.get_results()

    def wait_of(i):
        return op_id(op_id(M, i), 2)

    assert run(handler, svc) == {"Status": "PENDING"}
    assert bodies[0] == bodies[2] == 1
    first_calls = len(svc.calls)
    set_status(svc, wait_of(1), "SUCCEEDED")
    assert run(handler, svc) == {"Status": "PENDING"}
    second = [u for batch in svc.calls[first_calls:] for u in batch]
    # only item 1 finished in the second invocation; nothing else was written
    if nesting is NestingType.NESTED:
        assert [(u["Id"], u["Action"]) for u in second] == [(op_id(M, 1), "SUCCEED")]
        assert bodies[0] == bodies[2] == 1  # completed items never re-run
    else:
        assert second == []  # virtual items write nothing of their own
    set_status(svc, wait_of(3), "SUCCEEDED")
    assert result_of(run(handler, svc)) == [1, 101, 201, 301]
    assert steps == {0: 1, 1: 1, 2: 1, 3: 1}  # no step body ever ran twice
    if nesting is NestingType.NESTED:
        assert bodies[0] == bodies[2] == 1
        assert bodies[1] >= 2 and bodies[3] >= 3


# ==============================================================================================
# end to end on the local service
# ==============================================================================================


def test_map_of_10000_items_with_max_concurrency_10_on_the_local_service():
    from lambda_durable.testing import DurableFunctionTestRunner

    baseline = threading.active_count()
    peak = [0]
    flight = InFlight(10)
    lock = threading.Lock()

    @durable_execution
    def handler(event, ctx):
        def item(c, x, i, xs):
            with flight:
                with lock:
                    peak[0] = max(peak[0], threading.active_count())
                return c.step(lambda _: x * 2, name="double")

        result = ctx.map(list(range(10_000)), item, name="big", config=MapConfig(max_concurrency=10))
        return {"successCount": result.success_count, "reason": result.completion_reason.value,
                "sum": sum(result.get_results())}

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input="{}", timeout=600)
    assert result.status.value == "SUCCEEDED", result.error
    assert json.loads(result.result) == {"successCount": 10_000, "reason": "ALL_COMPLETED", "sum": 99_990_000}
    assert flight.max <= 10
    # 10 workers plus the runner's own threads; far from one thread per item
    assert peak[0] <= baseline + 10 + 8
    growth_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert growth_mib < 1024
    big = result.get_context("big")
    assert big.status.value == "SUCCEEDED"


def test_b20_in_process_resume_on_the_local_service():
    from lambda_durable.testing import DurableFunctionTestRunner

    resumed = {1: threading.Event(), 2: threading.Event()}
    invocations = []

    @durable_execution
    def handler(event, ctx):
        invocations.append(1)

        def keep_alive(c):
            return c.step(lambda _: wait_for(resumed[1]) or wait_for(resumed[2]) or 0, name="slow")

        def waiter(i):
            def body(c):
                c.wait(Duration(1), name=f"w{i}")
                resumed[i].set()
                return i

            return body

        result = ctx.parallel([keep_alive, waiter(1), waiter(2)], name="p")
        return [[i.status.value for i in result.all], result.get_results()]

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input="{}", timeout=60)
    assert json.loads(result.result) == [["SUCCEEDED"] * 3, [0, 1, 2]]
    assert len(invocations) == 1  # the waiting branches resumed within the invocation


def test_b22_on_the_local_service():
    from lambda_durable.testing import DurableFunctionTestRunner

    seen = []

    @durable_execution
    def handler(event, ctx):
        def branch_a(c):
            c.wait(Duration(1), name="a-wait")
            return {"key": "value1"}

        def branch_b(c):
            raise RuntimeError("Error in other branch")

        seen.append(summary(ctx.parallel([branch_a, branch_b], name="p")))
        return "done"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input="{}", timeout=60)
    assert result.status.value == "SUCCEEDED" and result.result == '"done"'
    assert result.get_context("p").status.value == "SUCCEEDED"
    # fail-fast on branch B; branch A (waiting or not yet started) is not a success
    assert all(s == seen[0] for s in seen)
    assert seen[0]["reason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert seen[0]["successCount"] == 0 and seen[0]["failureCount"] == 1
    assert [1, "FAILED"] in seen[0]["items"]


@pytest.mark.parametrize("nesting", [NestingType.NESTED, NestingType.FLAT])
def test_b06_item_whose_result_cannot_be_serialized_fails_identically_on_replay(nesting):
    """An item result the serdes rejects fails the item (its context is FAILED, as any other
    failure); a summarized batch rebuilds that same failed item on replay."""
    svc = FakeService()
    seen = []

    def item(c, x, i, xs):
        if i == 2:
            return object()
        return c.step(lambda _: "y" * 100_000, name="make")

    def handler(event, ctx):
        result = ctx.map(list(range(5)), item, name="big",
                         config=MapConfig(nesting_type=nesting, completion_config=CompletionConfig.all_completed()))
        seen.append(result)
        ctx.wait(Duration(1), name="w")
        return summary(result)

    assert run(handler, svc) == {"Status": "PENDING"}
    assert big_succeed(svc)["ContextOptions"] == {"ReplayChildren": True}
    if nesting is NestingType.NESTED:
        fail = [u for u in svc.updates if u["Id"] == op_id(M, 2) and u["Action"] != "START"]
        assert [u["Action"] for u in fail] == ["FAIL"]
        assert fail[0]["Error"]["ErrorType"].endswith("SerDesError")
    set_status(svc, R2, "SUCCEEDED")
    out = result_of(run(handler, svc))
    assert out["items"][2] == [2, "FAILED"] and out["successCount"] == 4
    first, again = seen
    assert again == first
    assert first.get_errors()[0].type.endswith("SerDesError")


def test_b06_failing_summary_generator_fails_the_map_identically_on_replay():
    svc = FakeService()
    seen = []
    ran = []

    def generator(result):
        raise ValueError("no summary today")

    def item(c, x, i, xs):
        ran.append(i)
        return "q" * 60_000

    def handler(event, ctx):
        try:
            ctx.map(list(range(5)), item, name="big", config=MapConfig(summary_generator=generator))
        except ChildContextError as error:
            seen.append((type(error).__name__, error.message, error.error_type))
        ctx.wait(Duration(1), name="w")
        return "done"

    assert run(handler, svc) == {"Status": "PENDING"}
    assert svc.operations[M]["Status"] == "FAILED"
    set_status(svc, R2, "SUCCEEDED")
    ran.clear()
    assert result_of(run(handler, svc)) == "done"
    assert seen == [("ChildContextError", "no summary today", "ValueError")] * 2
    assert ran == []  # a failed batch is not re-run


# ==============================================================================================
# nested batches
# ==============================================================================================


def test_nested_maps_run_concurrently_with_item_scoped_ids_and_replay_without_writes():
    svc = FakeService()
    seen = []

    def inner(c, x, j, xs):
        return c.step(lambda _: x * 10 + j, name="leaf")

    def outer(c, x, i, xs):
        result = c.map([x] * 4, inner, name="inner", config=MapConfig(max_concurrency=2))
        return result.get_results()

    def handler(event, ctx):
        result = ctx.map([1, 2, 3], outer, name="outer", config=MapConfig(max_concurrency=2))
        seen.append(result)
        ctx.wait(Duration(1), name="w")
        return result.get_results()

    assert run(handler, svc) == {"Status": "PENDING"}
    for i in range(3):
        inner_map = op_id(op_id(M, i), 1)
        assert svc.operations[inner_map]["ParentId"] == op_id(M, i)
        for j in range(4):
            leaf = svc.operations[op_id(op_id(inner_map, j), 1)]
            assert leaf["Name"] == "leaf" and leaf["ParentId"] == op_id(inner_map, j)
    set_status(svc, R2, "SUCCEEDED")
    before = len(svc.calls)
    assert result_of(run(handler, svc)) == [[10 * x + j for j in range(4)] for x in (1, 2, 3)]
    assert len(svc.calls) == before
    assert seen[0] == seen[1]


def test_abandoned_branch_abandons_its_nested_batch():
    """When the outer parallel completes, a branch still running an inner map is abandoned and
    so are the inner map's items: nothing under it is written afterwards."""
    svc = FakeService()
    inner_running = threading.Event()
    release = threading.Event()
    inner_done = threading.Event()
    lock = threading.Lock()
    finished = []

    started = []

    def inner_item(c, x, j, xs):
        with lock:
            started.append(j)
            if len(started) == 2:
                inner_running.set()  # both inner items run
        try:
            wait_for(release)
            return c.step(lambda _: j, name="leaf")
        finally:
            with lock:
                finished.append(j)
                if len(finished) == 2:
                    inner_done.set()

    def slow(c):
        return c.map([0, 1], inner_item, name="inner").get_results()

    def fast(c):
        wait_for(inner_running)
        return c.step(lambda _: "fast", name="f")

    seen = []

    def handler(event, ctx):
        result = ctx.parallel([slow, fast], name="p",
                              config=ParallelConfig(completion_config=CompletionConfig(min_successful=1)))
        seen.append(summary(result))
        release.set()
        wait_for(inner_done)
        return result.get_results()

    assert result_of(run(handler, svc)) == ["fast"]
    assert seen[0]["items"] == [[0, "STARTED"], [1, "SUCCEEDED"]]
    assert updates_after_succeed_of(svc, M) == []
    assert not any(u.get("Name") == "leaf" for u in svc.updates)


def test_a_non_determinism_error_in_an_item_fails_the_invocation():
    svc = FakeService()
    # the stored item 0 context holds a step named "old"; the code now names it "new"
    item0 = op_id(M, 0)
    svc.event(extra_ops=[
        {"Id": M, "Type": "CONTEXT", "SubType": "Map", "Name": "m", "Status": "STARTED", "StartTimestamp": NOW},
        {"Id": item0, "Type": "CONTEXT", "SubType": "MapIteration", "Name": "map-item-0", "ParentId": M,
         "Status": "STARTED", "StartTimestamp": NOW},
        {"Id": op_id(item0, 1), "Type": "STEP", "SubType": "Step", "Name": "old", "ParentId": item0,
         "Status": "SUCCEEDED", "StartTimestamp": NOW, "StepDetails": {"Result": "1"}},
    ])
    out = run(lambda e, ctx: ctx.map([0], lambda c, x, i, xs: c.step(lambda _: 2, name="new"), name="m").get_results(), svc)
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"].endswith("NonDeterministicExecutionError")
    assert svc.operations[M]["Status"] == "STARTED"  # the batch was not closed


def test_step_retry_in_a_branch_resumes_in_process_while_a_sibling_runs(gated):
    clock, starts, hooks = gated
    hooks.append(lambda passes: clock.gate.set() if passes.get(1) else None)
    svc = FakeService(refresh_completes_timers=True)
    retried = threading.Event()
    attempts = []

    def keep_alive(c):
        return c.step(lambda _: wait_for(retried) or "kept", name="slow")

    def flaky(c):
        def work(step_ctx):
            attempts.append(step_ctx.attempt)
            if step_ctx.attempt == 1:
                raise RuntimeError("transient")
            retried.set()
            return "recovered"

        return c.step(work, name="flaky", config=StepConfig(retry_strategy=retry_once))

    out = run(lambda e, ctx: ctx.parallel([keep_alive, flaky], name="p").get_results(), svc)
    assert result_of(out) == ["kept", "recovered"]
    assert attempts == [1, 2]
    assert starts == [0, 1, 1] and refreshes(svc) == 1
    actions = [u["Action"] for u in svc.updates if u.get("Name") == "flaky"]
    assert actions == ["START", "RETRY", "START", "SUCCEED"]


# ==============================================================================================
# whole-operation suspension
# ==============================================================================================


@pytest.mark.parametrize("branches, timed_at", [
    (["wait5", "wait2"], 2),
    (["callback", "wait3"], 3),
    (["callback", "callback"], None),
])
def test_whole_batch_suspends_timed_at_the_earliest_branch_or_untimed(branches, timed_at):
    from lambda_durable.exceptions import TimedSuspendExecution

    svc = FakeService()
    raised = []

    def branch(kind):
        def body(c):
            if kind == "callback":
                return c.create_callback(name="cb").result()
            c.wait(Duration(int(kind[4:])), name=kind)
            return kind

        return body

    def handler(event, ctx):
        try:
            return ctx.parallel([branch(k) for k in branches], name="p").get_results()
        except SuspendExecution as suspension:
            raised.append(suspension)
            raise

    assert run(handler, svc) == {"Status": "PENDING"}
    (suspension,) = raised
    if timed_at is None:
        assert not isinstance(suspension, TimedSuspendExecution)
    else:
        assert isinstance(suspension, TimedSuspendExecution)
        assert suspension.scheduled_timestamp == pytest.approx(NOW.timestamp() + timed_at)
