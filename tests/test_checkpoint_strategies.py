"""Checkpoint strategies (EAGER, BATCHED, OPTIMISTIC): calls and contents, identical results,
OPTIMISTIC flushes and waits for everything before returning, background failures surface."""
from __future__ import annotations

import threading

import botocore.exceptions
import pytest

from lambda_durable import durable_execution
from lambda_durable.config import CheckpointStrategy
from lambda_durable.exceptions import CheckpointError

from fakes import FakeService, invoke

STRATEGIES = list(CheckpointStrategy)


def ten_steps(event, ctx):
    ctx.state.async_flush_delay = None  # no timed safety flush: call counts are deterministic
    return [ctx.step(lambda _, i=i: i * i, name=f"s{i}") for i in range(10)]


def run(handler, svc, strategy, payload=None):
    return invoke(durable_execution(client=svc, checkpoint_strategy=strategy)(handler), svc, payload)


def flat(svc):
    return [(u["Name"], u["Action"]) for u in svc.updates]


EXPECTED_UPDATES = [(f"s{i}", a) for i in range(10) for a in ("START", "SUCCEED")]
EXPECTED_RESULT = {"Status": "SUCCEEDED", "Result": str([i * i for i in range(10)])}


def test_default_is_eager():
    assert CheckpointStrategy("EAGER") is CheckpointStrategy.EAGER
    svc = FakeService()
    assert invoke(durable_execution(client=svc)(ten_steps), svc) == EXPECTED_RESULT
    assert len(svc.calls) == 10


def test_eager_sends_each_blocking_update_at_once():
    svc = FakeService()
    assert run(ten_steps, svc, CheckpointStrategy.EAGER) == EXPECTED_RESULT
    assert [[(u["Name"], u["Action"]) for u in call] for call in svc.calls] == [
        [(f"s{i}", "START"), (f"s{i}", "SUCCEED")] for i in range(10)
    ]


def test_batched_coalesces_the_steps_into_one_call():
    svc = FakeService()
    assert run(ten_steps, svc, CheckpointStrategy.BATCHED) == EXPECTED_RESULT
    assert len(svc.calls) == 1
    assert flat(svc) == EXPECTED_UPDATES
    assert all(op["Status"] == "SUCCEEDED" for op in svc.operations.values() if op["Type"] == "STEP")


def test_optimistic_sends_everything_in_order_and_once():
    svc = FakeService()
    assert run(ten_steps, svc, CheckpointStrategy.OPTIMISTIC) == EXPECTED_RESULT
    assert 1 <= len(svc.calls) <= 10
    assert flat(svc) == EXPECTED_UPDATES
    assert all(op["Status"] == "SUCCEEDED" for op in svc.operations.values() if op["Type"] == "STEP")


@pytest.mark.parametrize("strategy", STRATEGIES + ["batched", "OPTIMISTIC"])
def test_results_and_stored_state_are_identical_across_strategies(strategy):
    svc = FakeService()
    assert run(ten_steps, svc, strategy) == EXPECTED_RESULT
    reference = FakeService()
    run(ten_steps, reference, CheckpointStrategy.EAGER)
    assert flat(svc) == flat(reference)
    assert {k: v["Status"] for k, v in svc.operations.items()} == {
        k: v["Status"] for k, v in reference.operations.items()
    }


def test_invalid_strategy_is_rejected_at_decoration():
    with pytest.raises(ValueError, match="checkpoint_strategy"):
        durable_execution(client=FakeService(), checkpoint_strategy="LAZY")(ten_steps)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_wait_takes_the_queued_results_along_and_replay_matches(strategy):
    def handler(event, ctx):
        ctx.state.async_flush_delay = None
        a = ctx.step(lambda _: "a", name="a")
        ctx.wait(5, name="w")
        b = ctx.step(lambda _: "b", name="b")
        return a + b

    svc = FakeService(refresh_completes_timers=True)
    assert run(handler, svc, strategy) == {"Status": "PENDING"}
    assert flat(svc) == [("a", "START"), ("a", "SUCCEED"), ("w", "START")]
    if strategy is CheckpointStrategy.BATCHED:
        assert len(svc.calls) == 1  # the step's result rode with the wait's START
    elif strategy is CheckpointStrategy.EAGER:
        assert len(svc.calls) == 2
    wait = next(op for op in svc.operations.values() if op["Type"] == "WAIT")
    wait["Status"] = "SUCCEEDED"
    assert run(handler, svc, strategy) == {"Status": "SUCCEEDED", "Result": '"ab"'}
    assert flat(svc)[-2:] == [("b", "START"), ("b", "SUCCEED")]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_callback_start_blocks_for_its_callback_id(strategy):
    def handler(event, ctx):
        ctx.step(lambda _: 1, name="a")
        callback = ctx.create_callback(name="cb")
        return callback.callback_id

    svc = FakeService()
    out = run(handler, svc, strategy)
    assert out == {"Status": "SUCCEEDED", "Result": '"Y2Ix1"'}
    assert flat(svc) == [("a", "START"), ("a", "SUCCEED"), ("cb", "START")]


class SlowService(FakeService):
    """Holds each checkpoint call until ``release`` is set."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()
        self.acknowledged: list[int] = []

    def checkpoint_durable_execution(self, **kwargs):
        assert self.release.wait(5), "the SDK waited for an acknowledgement it did not need"
        out = super().checkpoint_durable_execution(**kwargs)
        self.acknowledged.append(len(self.calls))
        return out


def test_optimistic_user_code_does_not_wait_but_the_invocation_does():
    svc = SlowService()
    order = []

    def handler(event, ctx):
        ctx.step(lambda _: order.append("a") or 1, name="a")
        # a's SUCCEED is in flight, held by the service: user code goes on
        order.append(("acked-before-b", len(svc.acknowledged)))
        svc.release.set()
        ctx.step(lambda _: order.append("b") or 2, name="b")
        return "done"

    out = run(handler, svc, CheckpointStrategy.OPTIMISTIC)
    assert out == {"Status": "SUCCEEDED", "Result": '"done"'}
    assert order == ["a", ("acked-before-b", 0), "b"]
    # everything was acknowledged before the invocation returned
    assert flat(svc) == [("a", "START"), ("a", "SUCCEED"), ("b", "START"), ("b", "SUCCEED")]
    assert len(svc.acknowledged) == len(svc.calls)


def test_eager_user_code_waits_for_the_acknowledgement():
    svc = SlowService()
    svc.release.set()
    seen = []

    def handler(event, ctx):
        ctx.step(lambda _: 1, name="a")
        seen.append(len(svc.acknowledged))
        return "done"

    run(handler, svc, CheckpointStrategy.EAGER)
    assert seen == [1]


class FailingOnCall(FakeService):
    def __init__(self, fail_on: int, error: Exception):
        super().__init__()
        self.fail_on = fail_on
        self.error = error
        self.attempts = 0

    def checkpoint_durable_execution(self, **kwargs):
        self.attempts += 1
        if self.attempts == self.fail_on:
            raise self.error
        return super().checkpoint_durable_execution(**kwargs)


def _error(code, status, message):
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "CheckpointDurableExecution",
    )


def test_optimistic_background_failure_fails_the_execution():
    svc = FailingOnCall(1, _error("InvalidParameterValueException", 400, "bad update"))
    out = run(ten_steps, svc, CheckpointStrategy.OPTIMISTIC)
    assert out["Status"] == "FAILED"
    assert "bad update" in out["Error"]["ErrorMessage"]
    assert out["Error"]["ErrorType"].endswith("CheckpointError")


def test_optimistic_retryable_background_failure_is_raised():
    svc = FailingOnCall(1, _error("InvalidParameterValueException", 400, "Invalid checkpoint token"))
    with pytest.raises(CheckpointError) as info:
        run(ten_steps, svc, CheckpointStrategy.OPTIMISTIC)
    assert info.value.is_retryable()


def test_batched_failure_of_the_coalesced_call_fails_the_execution():
    svc = FailingOnCall(1, _error("InvalidParameterValueException", 400, "bad update"))
    out = run(ten_steps, svc, CheckpointStrategy.BATCHED)
    assert out["Status"] == "FAILED"
    assert svc.attempts == 1


def test_optimistic_failure_surfaces_at_the_next_checkpoint():
    svc = FailingOnCall(1, _error("InvalidParameterValueException", 400, "bad update"))
    reached = []

    def handler(event, ctx):
        ctx.step(lambda _: 1, name="a")
        ctx.state.flush()  # wait for the background send: its failure is raised here
        reached.append(1)
        return "x"

    out = run(handler, svc, CheckpointStrategy.OPTIMISTIC)
    assert out["Status"] == "FAILED"
    assert reached == []
