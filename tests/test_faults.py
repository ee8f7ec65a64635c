"""Faults injected into running executions: the durable promise holds.

* Checkpoint calls that are throttled (429), fail with a 5xx, time out after the service applied
  them, are refused for a stale token, or are answered without a token: the SDK retries with
  backoff under one ClientToken (the local service answers a repeated ``(ClientToken,
  CheckpointToken)`` with the stored response), then raises a retryable error; the service
  invokes again. No update is lost or applied twice.
* Process crashes (``os._exit``) before, inside and after a step, for both step semantics.
* The invocation timeout approaching (:class:`~lambda_durable.state.InvocationDeadline`): no new
  step starts in the last seconds; what finished is checkpointed and the invocation returns
  PENDING instead of being cut off (``Sandbox.Timedout``).

Client faults are injected with a wrapper around the local service's own client (the client the
runner hands to handlers); crashes with ``os._exit``, modelled by the local service.
"""
from __future__ import annotations

import json
import os
import threading
import time

import botocore.exceptions
import pytest

import lambda_durable.state as state_module
from fakes import FakeService
from lambda_durable import DurableContext, StepContext, durable_execution
from lambda_durable.config import CheckpointStrategy, Duration, MapConfig, StepConfig, StepSemantics
from lambda_durable.exceptions import SuspendExecution
from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.limits import INVOCATION_TIMEOUT_MARGIN_SECONDS, YIELD_WAIT_SECONDS
from lambda_durable.retries import RetryDecision, RetryPresets
from lambda_durable.state import InvocationDeadline
from lambda_durable.testing import DurableFunctionTestRunner
from lambda_durable.waits import WaitForConditionConfig, WaitForConditionDecision

AT_LEAST_ONCE = StepSemantics.AT_LEAST_ONCE_PER_RETRY
AT_MOST_ONCE = StepSemantics.AT_MOST_ONCE_PER_RETRY


def event_types(result) -> list[str]:
    return [event["EventType"] for event in result.history]


def invocation_errors(result) -> list[dict | None]:
    return [
        event["InvocationCompletedDetails"].get("Error", {}).get("Payload")
        for event in result.history
        if event["EventType"] == "InvocationCompleted"
    ]


@pytest.fixture
def sleeps(monkeypatch):
    """The SDK's backoff sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(state_module, "_sleep", slept.append)
    return slept


def client_error(code: str, status: int, message: str = "m") -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "CheckpointDurableExecution",
    )


class FaultyClient:
    """Wraps the local service's client. ``plan(n, kwargs)`` for the n-th checkpoint attempt
    (1-based) returns ``None`` (pass through), ``("before", exc)`` (fail without reaching the
    service), ``("after", exc)`` (the service applies the call, the answer is lost) or a callable
    rewriting the call's kwargs / response (``("rewrite", fn_kwargs, fn_response)``)."""

    def __init__(self, inner, plan):
        self._inner = inner
        self._plan = plan
        self._lock = threading.Lock()
        self.attempts: list[dict] = []

    def checkpoint_durable_execution(self, **kwargs):
        with self._lock:
            self.attempts.append(dict(kwargs))
            step = self._plan(len(self.attempts), kwargs)
        if step is None:
            return self._inner.checkpoint_durable_execution(**kwargs)
        kind = step[0]
        if kind == "before":
            raise step[1]
        if kind == "after":
            self._inner.checkpoint_durable_execution(**kwargs)
            raise step[1]
        _, rewrite_kwargs, rewrite_response = step
        response = self._inner.checkpoint_durable_execution(**rewrite_kwargs(dict(kwargs)))
        return rewrite_response(response)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def run_with_client_faults(handler, plan, **runner_kwargs):
    with DurableFunctionTestRunner(handler, **runner_kwargs) as runner:
        client = FaultyClient(runner.service.client, plan)
        runner.service.client = client  # what the runner hands to the handler
        result = runner.run()
    return result, client


def five_steps(runs: list):
    @durable_execution
    def handler(event, context: DurableContext):
        return [context.step(lambda _, i=i: runs.append(i) or i, name=f"s{i}") for i in range(5)]

    return handler


def assert_each_step_once(result, runs, count=5):
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == json.dumps(list(range(count)))
    types = event_types(result)
    assert types.count("StepSucceeded") == count  # nothing lost, nothing applied twice
    assert sorted(set(runs)) == list(range(count))


# =================================================================================================
# transient API failures: retried with backoff under one ClientToken
# =================================================================================================

TRANSIENT = {
    "throttled-429": ("before", client_error("TooManyRequestsException", 429, "Rate exceeded")),
    "5xx": ("before", client_error("ServiceException", 500, "internal")),
    "connection": ("before", botocore.exceptions.EndpointConnectionError(endpoint_url="http://local")),
    # the service applied the call; its answer timed out: the retry must not apply it twice
    "timeout-after-apply": ("after", botocore.exceptions.ReadTimeoutError(endpoint_url="http://local")),
}


@pytest.mark.parametrize("fault", list(TRANSIENT), ids=list(TRANSIENT))
def test_every_checkpoint_failing_once_is_retried_without_loss_or_duplication(fault, sleeps):
    runs: list[int] = []
    failed: set[str] = set()

    def plan(n, kwargs):
        key = kwargs["ClientToken"]
        if key in failed:
            return None  # the retry of this logical call goes through
        failed.add(key)
        return TRANSIENT[fault]

    result, client = run_with_client_faults(five_steps(runs), plan)
    assert_each_step_once(result, runs)
    assert runs == [0, 1, 2, 3, 4]  # no step ran twice: one invocation did everything
    assert invocation_errors(result) == [None]
    # every logical call was attempted twice, with the same ClientToken and CheckpointToken
    by_token: dict[str, list[dict]] = {}
    for attempt in client.attempts:
        by_token.setdefault(attempt["ClientToken"], []).append(attempt)
    assert all(len(attempts) == 2 for attempts in by_token.values())
    for first, again in by_token.values():
        assert first["CheckpointToken"] == again["CheckpointToken"]
        assert first["Updates"] == again["Updates"]
    # one backoff per logical call, capped exponential with jitter (first retry: 0.05..0.1 s)
    assert len(sleeps) == len(by_token)
    assert all(0.05 <= s <= 0.1 for s in sleeps)


def test_throttled_three_times_backs_off_exponentially_then_succeeds(sleeps):
    runs: list[int] = []

    def plan(n, kwargs):
        return TRANSIENT["throttled-429"] if n <= 3 else None

    result, client = run_with_client_faults(five_steps(runs), plan)
    assert_each_step_once(result, runs)
    assert len(sleeps) == 3
    for slept, base in zip(sleeps, (0.1, 0.2, 0.4)):
        assert base / 2 <= slept <= base
    assert len({a["ClientToken"] for a in client.attempts[:4]}) == 1


@pytest.mark.parametrize("fault", ["throttled-429", "5xx", "timeout-after-apply"])
def test_persistent_failure_is_a_retryable_invocation_error_and_the_next_invocation_finishes(fault, sleeps):
    """The first invocation's calls keep failing: after 1 + 3 attempts the SDK raises a
    retryable CheckpointError (Lambda retries the invocation); the service invokes again and
    the execution completes with every step recorded once."""
    runs: list[int] = []
    first_token: list[str] = []

    def plan(n, kwargs):
        if not first_token:
            first_token.append(kwargs["ClientToken"])
        return TRANSIENT[fault] if kwargs["ClientToken"] == first_token[0] else None

    result, client = run_with_client_faults(five_steps(runs), plan)
    assert_each_step_once(result, runs)
    errors = invocation_errors(result)
    assert errors[0]["ErrorType"] == "CheckpointError"
    assert "after 4 attempts" in errors[0]["ErrorMessage"]
    assert errors[1:] == [None]
    assert len([a for a in client.attempts if a["ClientToken"] == first_token[0]]) == 4
    assert len(sleeps) == 3 and max(sleeps) <= state_module.RETRY_MAX_DELAY
    if fault == "timeout-after-apply":
        assert runs == [0, 1, 2, 3, 4]  # the first call's update was applied: s0 replays
    else:
        assert runs == [0, 0, 1, 2, 3, 4]  # s0's result never reached the service: it re-ran


def test_stale_token_is_retryable_at_once_and_nothing_is_lost(sleeps):
    runs: list[int] = []
    staled: list[int] = []

    def plan(n, kwargs):
        if n == 2 and not staled:
            staled.append(n)
            return ("rewrite", lambda kw: {**kw, "CheckpointToken": "c3RhbGU="}, lambda response: response)
        return None

    result, client = run_with_client_faults(five_steps(runs), plan)
    assert_each_step_once(result, runs)
    errors = invocation_errors(result)
    assert errors[0]["ErrorType"] == "CheckpointError"
    assert errors[0]["ErrorMessage"].lower().startswith("checkpointdurableexecution failed: invalid checkpoint token")
    assert errors[1:] == [None]
    assert sleeps == []  # not retried by the SDK: the invocation is


def test_response_without_a_token_ends_the_invocation_and_keeps_what_was_accepted(sleeps):
    runs: list[int] = []

    def plan(n, kwargs):
        if n == 2:
            def drop_token(response):
                response = dict(response)
                response.pop("CheckpointToken", None)
                return response

            return ("rewrite", lambda kw: kw, drop_token)
        return None

    result, client = run_with_client_faults(five_steps(runs), plan)
    assert_each_step_once(result, runs)
    # s1's SUCCEED was accepted with that answer: it replays, never runs again
    assert runs == [0, 1, 2, 3, 4]
    assert invocation_errors(result) == [None, None]  # a clean PENDING, then the rest


def test_local_service_answers_a_repeated_client_token_with_the_stored_response():
    seen = {}

    @durable_execution
    def handler(event, context: DurableContext):
        return context.step(lambda _: "v", name="s")

    def plan(n, kwargs):
        if n == 1:
            def record(response):
                seen["first"] = response
                seen["again"] = runner_client.checkpoint_durable_execution(**kwargs)  # a network retry
                return response

            return ("rewrite", lambda kw: kw, record)
        return None

    with DurableFunctionTestRunner(handler) as runner:
        runner_client = runner.service.client
        runner.service.client = FaultyClient(runner_client, plan)
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED
    assert seen["first"]["CheckpointToken"] == seen["again"]["CheckpointToken"]
    assert seen["first"]["NewExecutionState"] == seen["again"]["NewExecutionState"]
    assert event_types(result).count("StepSucceeded") == 1


# =================================================================================================
# process crashes before, inside and after a step
# =================================================================================================


def crash_handler(moment: str, semantics: StepSemantics, runs: list, retries: bool = True, **decorator):
    invocations = []

    def strategy(error, attempts_made):
        if retries and attempts_made < 3:
            return RetryDecision.retry(Duration.from_seconds(1))
        return RetryDecision.no_retry()

    @durable_execution(**decorator)
    def handler(event, context: DurableContext):
        invocations.append(1)
        first = len(invocations) == 1
        if moment == "before" and first:
            os._exit(1)

        def body(step: StepContext):
            runs.append(step.attempt)
            if moment == "inside" and len(runs) == 1:
                os._exit(1)
            return "done"

        value = context.step(body, name="work", config=StepConfig(retry_strategy=strategy, step_semantics=semantics))
        if moment == "after" and first:
            os._exit(1)
        return value

    return handler


@pytest.mark.parametrize("semantics", [AT_LEAST_ONCE, AT_MOST_ONCE], ids=["at-least-once", "at-most-once"])
@pytest.mark.parametrize("moment", ["before", "inside", "after"])
def test_crash_around_a_step(moment, semantics):
    runs: list[int] = []
    with DurableFunctionTestRunner(crash_handler(moment, semantics, runs)) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"done"'
    errors = invocation_errors(result)
    assert errors[0]["ErrorType"] == "Runtime.ExitError"
    assert all(error is None for error in errors[1:])
    assert event_types(result).count("StepSucceeded") == 1
    if moment in ("before", "after"):
        assert runs == [1]  # before: never started; after: its result was durable
    elif semantics is AT_LEAST_ONCE:
        assert runs == [1, 1]  # the interrupted attempt re-runs from the top
    else:
        assert runs == [1, 2]  # not re-run: the retry strategy decided, attempt 2 ran
        failed = [e for e in result.history if e["EventType"] == "StepFailed"]
        assert failed[0]["StepFailedDetails"]["Error"]["Payload"]["ErrorType"].endswith("StepInterruptedError")


def test_crash_inside_an_at_most_once_step_without_retries_fails_the_step():
    runs: list[int] = []
    with DurableFunctionTestRunner(crash_handler("inside", AT_MOST_ONCE, runs, retries=False)) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.FAILED
    assert runs == [1]
    assert result.error.type.endswith("StepError")
    assert "interrupted" in result.error.message


def test_crash_after_a_step_under_batched_checkpoints_reruns_it():
    """Documented: BATCHED queues step results until the next call that must go out, so a
    crash right after the step loses its result and the step runs again (at least once)."""
    runs: list[int] = []
    handler = crash_handler("after", AT_LEAST_ONCE, runs, checkpoint_strategy=CheckpointStrategy.BATCHED)
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED
    assert runs == [1, 1]
    assert event_types(result).count("StepSucceeded") == 1


# =================================================================================================
# the invocation timeout approaching
# =================================================================================================


class FakeLambdaContext:
    """``get_remaining_time_in_millis()`` under the test's control: each step body spends
    ``cost_ms`` of it."""

    def __init__(self, remaining_ms: float):
        self.remaining_ms = remaining_ms
        self.calls = 0

    def get_remaining_time_in_millis(self) -> int:
        self.calls += 1
        return int(self.remaining_ms)


def test_deadline_margin_is_two_seconds_or_a_quarter_of_a_short_invocation():
    assert INVOCATION_TIMEOUT_MARGIN_SECONDS == 2.0
    assert InvocationDeadline.from_lambda_context(FakeLambdaContext(900_000)).margin_ms == 2000
    assert InvocationDeadline.from_lambda_context(FakeLambdaContext(3_000)).margin_ms == 750
    assert InvocationDeadline.from_lambda_context(None) is None
    assert InvocationDeadline.from_lambda_context(object()) is None
    assert InvocationDeadline.from_lambda_context(FakeLambdaContext(0)) is None


def stepping_handler(runs: list, count: int, cost_ms: float, contexts: list, **decorator):
    @durable_execution(**decorator)
    def handler(event, context: DurableContext):
        def body(i):
            def run_step(_):
                runs.append(i)
                contexts[-1].remaining_ms -= cost_ms
                return i

            return run_step

        return [context.step(body(i), name=f"s{i}") for i in range(count)]

    return handler


@pytest.mark.parametrize("strategy", [CheckpointStrategy.EAGER, CheckpointStrategy.BATCHED, CheckpointStrategy.OPTIMISTIC])
def test_no_new_step_starts_in_the_last_seconds_and_what_finished_is_durable(strategy):
    """10 s per invocation, each step costs 3 s: after three steps 1 s is left (< the 2 s
    margin), so the fourth does not start; the invocation checkpoints what finished (queued
    results included) with a 1 s WAIT of its own and returns PENDING."""
    svc = FakeService()
    runs: list[int] = []
    contexts: list[FakeLambdaContext] = []
    handler = stepping_handler(runs, 5, 3000, contexts, client=svc, checkpoint_strategy=strategy)

    contexts.append(FakeLambdaContext(10_000))
    out = handler(svc.event({}), contexts[-1])
    assert out == {"Status": "PENDING"}
    assert runs == [0, 1, 2]
    succeeded = [u["Name"] for u in svc.updates if u["Action"] == "SUCCEED"]
    assert succeeded == ["s0", "s1", "s2"]  # nothing that finished is left unsent
    [yield_wait] = [u for u in svc.updates if u["Type"] == "WAIT"]
    assert yield_wait["Name"] == InvocationDeadline.YIELD_NAME
    assert yield_wait["WaitOptions"] == {"WaitSeconds": YIELD_WAIT_SECONDS}
    assert yield_wait["Id"].startswith("yield-") and "ParentId" not in yield_wait
    assert svc.updates[-1] is yield_wait  # it went last, with (or after) the queued results
    assert not any(u.get("Name") == "s3" for u in svc.updates)  # s3 was not even started

    # the service re-invokes once the WAIT elapsed: the finished steps replay, the rest runs
    svc.operations[yield_wait["Id"]]["Status"] = "SUCCEEDED"
    contexts.append(FakeLambdaContext(10_000))
    out = handler(svc.event({}), contexts[-1])
    assert out == {"Status": "SUCCEEDED", "Result": "[0, 1, 2, 3, 4]"}
    assert runs == [0, 1, 2, 3, 4]  # every step ran exactly once


def test_a_wait_for_condition_check_is_not_started_either():
    svc = FakeService()
    checks = []
    context_ = FakeLambdaContext(1_500)  # margin 375 ms

    @durable_execution(client=svc)
    def handler(event, context: DurableContext):
        context.step(lambda _: context_.__setattr__("remaining_ms", 300), name="slow")
        return context.wait_for_condition(
            lambda state, c: checks.append(state) or state,
            WaitForConditionConfig(lambda s, a: WaitForConditionDecision.stop_polling(), 0),
            name="poll",
        )

    assert handler(svc.event({}), context_) == {"Status": "PENDING"}
    assert checks == []
    assert [u["Type"] for u in svc.updates][-1] == "WAIT"


def test_map_branches_stop_at_their_next_step_and_yield_once():
    svc = FakeService()
    context_ = FakeLambdaContext(10_000)
    lock = threading.Lock()
    runs = []

    def item(ctx, x, index, items):
        def body(_):
            with lock:
                runs.append(index)
                context_.remaining_ms -= 4_000
            return index

        first = ctx.step(body, name="a")
        return [first, ctx.step(body, name="b")]

    @durable_execution(client=svc)
    def handler(event, context: DurableContext):
        return context.map([0, 1, 2, 3], item, name="m", config=MapConfig(max_concurrency=1)).get_results()

    assert handler(svc.event({}), context_) == {"Status": "PENDING"}
    assert runs == [0, 0]  # item 0's two steps, then 2 s are left: no new step anywhere
    waits = [u for u in svc.updates if u["Type"] == "WAIT"]
    assert len(waits) == 1  # one yield per invocation


def test_every_invocation_starts_at_least_one_new_step():
    """Even when the replay alone used up the time, the first new step of an invocation runs:
    each invocation makes progress, the execution never yields forever."""
    class Drained(FakeLambdaContext):
        """10 s when the invocation starts, 1 ms left once user code runs."""

        def get_remaining_time_in_millis(self) -> int:
            self.calls += 1
            return 10_000 if self.calls == 1 else 1

    svc = FakeService()
    runs: list[int] = []
    contexts = [Drained(10_000)]
    handler = stepping_handler(runs, 3, 0, contexts, client=svc)
    assert handler(svc.event({}), contexts[0]) == {"Status": "PENDING"}
    assert runs == [0]  # one step of progress, then the yield
    for _ in range(2):
        [wait] = [u for u in svc.updates if u["Type"] == "WAIT" and svc.operations[u["Id"]]["Status"] == "STARTED"]
        svc.operations[wait["Id"]]["Status"] = "SUCCEEDED"
        contexts.append(Drained(10_000))
        out = handler(svc.event({}), contexts[-1])
    assert out == {"Status": "SUCCEEDED", "Result": "[0, 1, 2]"}
    assert runs == [0, 1, 2]


def test_without_a_lambda_context_nothing_is_checked():
    svc = FakeService()
    out = durable_execution(client=svc)(lambda e, ctx: ctx.step(lambda _: 1, name="s"))(svc.event({}), None)
    assert out == {"Status": "SUCCEEDED", "Result": "1"}


def test_plenty_of_time_costs_one_clock_read_per_new_step_after_the_first_and_none_on_replay():
    svc = FakeService()
    runs: list[int] = []
    contexts = [FakeLambdaContext(900_000)]
    handler = stepping_handler(runs, 4, 0, contexts, client=svc)
    assert handler(svc.event({}), contexts[0])["Status"] == "SUCCEEDED"
    assert contexts[0].calls == 1 + 3  # the guard's start, then one read per new step after the first
    contexts.append(FakeLambdaContext(900_000))
    assert handler(svc.event({}), contexts[1])["Status"] == "SUCCEEDED"
    assert contexts[1].calls == 1  # replayed steps never read the clock


def test_local_service_invocation_timeout_ends_in_pending_not_sandbox_timedout():
    """On the local service with a 0.6 s function timeout (margin 0.15 s), 30 steps of 20 ms:
    an invocation stops early and returns PENDING; no invocation is cut off, every step runs
    exactly once."""
    runs: list[int] = []

    @durable_execution
    def handler(event, context: DurableContext):
        def body(i):
            def run_step(_):
                runs.append(i)
                time.sleep(0.02)
                return i

            return run_step

        return sum(context.step(body(i), name=f"s{i}") for i in range(30))

    with DurableFunctionTestRunner(handler, invocation_timeout=0.6) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == str(sum(range(30)))
    assert sorted(runs) == list(range(30)) and len(runs) == 30
    errors = invocation_errors(result)
    assert len(errors) >= 2  # it needed more than one invocation ...
    assert all(error is None for error in errors)  # ... and none timed out
    yields = [e for e in result.history if e["EventType"] == "WaitStarted"]
    assert yields and all(e["Name"] == InvocationDeadline.YIELD_NAME for e in yields)


def test_user_code_cannot_start_a_step_after_the_yield_in_the_same_invocation():
    svc = FakeService()
    context_ = FakeLambdaContext(1_000)  # margin 250 ms
    attempts = []

    @durable_execution(client=svc)
    def handler(event, context: DurableContext):
        context.step(lambda _: context_.__setattr__("remaining_ms", 100), name="first")
        for name in ("a", "b"):
            try:
                context.step(lambda _: attempts.append(name), name=name)
            except SuspendExecution:
                attempts.append(f"stopped {name}")
        return "finished anyway"

    assert handler(svc.event({}), context_) == {"Status": "PENDING"}
    assert attempts == ["stopped a", "stopped b"]
    assert len([u for u in svc.updates if u["Type"] == "WAIT"]) == 1


def test_retry_strategy_is_not_consumed_by_a_yield():
    svc = FakeService()
    attempts = []
    contexts = [FakeLambdaContext(1_000)]

    @durable_execution(client=svc)
    def handler(event, context: DurableContext):
        def body(step: StepContext):
            attempts.append(step.attempt)
            return "ok"

        context.step(lambda _: contexts[-1].__setattr__("remaining_ms", 100), name="first")
        return context.step(body, name="second", config=StepConfig(retry_strategy=RetryPresets.none()))

    assert handler(svc.event({}), contexts[0]) == {"Status": "PENDING"}
    [wait] = [u for u in svc.updates if u["Type"] == "WAIT"]
    svc.operations[wait["Id"]]["Status"] = "SUCCEEDED"
    contexts.append(FakeLambdaContext(900_000))
    assert handler(svc.event({}), contexts[-1]) == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert attempts == [1]  # the step's first attempt is still its first

