"""Timeouts that stop running handlers (invocation timeout, execution timeout) and the runner's
argument checks (non-durable handler, invalid input JSON, use after close, ``timeout``).

Handlers that "never return" block on a gate that the ``gate`` fixture opens at teardown, so an
abandoned worker thread always ends; the bounded waits keep a regression from hanging the suite.
"""
from __future__ import annotations

import contextvars
import re
import threading
import time
import warnings

import pytest
from botocore.exceptions import ClientError

from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.testing import DurableFunctionTestRunner, ExecutionStatus
from test_emulator_support import (
    callback_start,
    event_types,
    invoke_start,
    pending,
    raw_handler,
    step_start,
    step_succeed,
    succeeded,
    wait_start,
)

#: Longest a blocked handler waits on its gate (old, non-interrupting code would end then).
BLOCK_SECONDS = 10
#: A run that is cut off by a sub-second timeout must return well within this.
PROMPT_SECONDS = 5


@pytest.fixture
def gate():
    """An Event blocked handlers wait on; set at teardown to release abandoned threads."""
    event = threading.Event()
    yield event
    event.set()


def timed(call):
    began = time.monotonic()
    value = call()
    return value, time.monotonic() - began


def invocation_errors(history):
    return [
        e["InvocationCompletedDetails"].get("Error", {}).get("Payload")
        for e in history
        if e["EventType"] == "InvocationCompleted"
    ]


# -- execution timeout -----------------------------------------------------------------------------


def test_execution_timeout_stops_a_handler_that_never_returns(gate):
    workers = []

    def body(raw):
        workers.append(threading.current_thread())
        gate.wait(BLOCK_SECONDS)
        return succeeded("too late")

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        result, elapsed = timed(lambda: runner.run(execution_timeout=0.3))
        assert runner.abandoned_handlers() == 1
        [worker] = workers
        assert worker.daemon and worker.is_alive()
        gate.set()
        worker.join(PROMPT_SECONDS)
        assert runner.abandoned_handlers() == 0
    assert elapsed < PROMPT_SECONDS
    assert result.execution_status is ExecutionStatus.TIMED_OUT
    assert result.status is InvocationStatus.FAILED
    assert result.error.message == "Execution timed out after 0.3 seconds."
    assert event_types(result.history) == ["ExecutionStarted", "InvocationCompleted", "ExecutionTimedOut"]
    [error] = invocation_errors(result.history)
    assert error["ErrorType"] == "Execution.TimedOut"


def test_sdk_step_longer_than_the_execution_timeout_times_out(gate):
    from lambda_durable.execution import durable_execution

    @durable_execution
    def handler(event, context):
        return context.step(lambda _: gate.wait(BLOCK_SECONDS), name="slow")

    with DurableFunctionTestRunner(handler) as runner:
        result, elapsed = timed(lambda: runner.run(input="{}", timeout=0.3))
        gate.set()  # the abandoned step ends; its checkpoint is rejected, nothing changes
        later = runner.get_result(result.execution_arn)
    assert elapsed < PROMPT_SECONDS
    assert result.execution_status is ExecutionStatus.TIMED_OUT
    assert later.execution_status is ExecutionStatus.TIMED_OUT


def test_execution_timeout_of_a_background_run(gate):
    def body(raw):
        gate.wait(BLOCK_SECONDS)
        return succeeded(None)

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        arn = runner.run_async(execution_timeout=0.2)
        result, elapsed = timed(lambda: runner.wait_for_result(arn, timeout=PROMPT_SECONDS))
    assert elapsed < PROMPT_SECONDS
    assert result.execution_status is ExecutionStatus.TIMED_OUT


def test_execution_timeout_during_a_plain_invoke_target(gate):
    def body(raw):
        if raw.status("inv") is None:
            raw.checkpoint(invoke_start("inv", "stuck", {}))
        return pending()

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        runner.register_function("stuck", lambda event, ctx: gate.wait(BLOCK_SECONDS))
        result, elapsed = timed(lambda: runner.run(execution_timeout=0.3))
    assert elapsed < PROMPT_SECONDS
    assert result.execution_status is ExecutionStatus.TIMED_OUT


def test_a_child_deadline_passing_during_the_parents_invocation_does_not_cut_it_off():
    def parent(raw):
        if raw.status("inv") is None:
            raw.checkpoint(invoke_start("inv", "child"), wait_start("w", 1))
            return pending()
        if raw.status("inv") == "STARTED":
            threading.Event().wait(0.6)  # the child's deadline passes meanwhile
            return pending()
        return succeeded(raw.status("inv"))

    def child(raw):
        raw.checkpoint(callback_start("cb", "never"))
        return pending()

    with DurableFunctionTestRunner(raw_handler(parent)) as runner:
        runner.register_durable_function("child", raw_handler(child), execution_timeout=0.2)
        result = runner.run(execution_timeout=30)
    assert result.result == '"TIMED_OUT"'
    assert invocation_errors(result.history) == [None, None, None]
    types = event_types(result.history)
    # the child timed out on time, while the parent's second invocation was still running
    assert types.index("ChainedInvokeTimedOut") < types.index("InvocationCompleted", types.index("WaitSucceeded"))


# -- invocation timeout ----------------------------------------------------------------------------


def test_invocation_timeout_retries_and_rejects_the_abandoned_checkpoints(gate):
    calls = []
    late = {}
    late_done = threading.Event()

    def body(raw):
        calls.append(raw.lambda_context.aws_request_id)
        if len(calls) == 1:
            gate.wait(BLOCK_SECONDS)
            try:
                raw.checkpoint(step_start("late", "late"), step_succeed("late", "1"))
            except ClientError as error:
                late["error"] = error.response["Error"]
            late_done.set()
            return succeeded("first")
        return succeeded("second")

    remaining_at_timeout = []

    def listener(event):
        if event["EventType"] == "InvocationCompleted" and len(calls) == 1:
            remaining_at_timeout.append(contexts[0].get_remaining_time_in_millis())

    contexts = []
    handler = raw_handler(lambda raw: (contexts.append(raw.lambda_context), body(raw))[1])
    with DurableFunctionTestRunner(handler, invocation_timeout=0.3, on_event=listener) as runner:
        result = runner.run()
        gate.set()
        assert late_done.wait(PROMPT_SECONDS)
        history = runner.get_execution_history(result.execution_arn, include_execution_data=True)
    assert result.execution_status is ExecutionStatus.SUCCEEDED
    assert result.result == '"second"'
    assert remaining_at_timeout == [0]  # the Lambda context agrees with the invocation timeout
    first, second = invocation_errors(result.history)
    assert second is None
    assert first["ErrorType"] == "Sandbox.Timedout"
    assert first["ErrorMessage"] == f"RequestId: {calls[0]} Error: Task timed out after 0.30 seconds"
    assert result.history[1]["InvocationCompletedDetails"]["RequestId"] == calls[0]
    # the abandoned invocation's token was revoked: its late checkpoint was rejected, not applied
    assert late["error"]["Code"] == "InvalidParameterValueException"
    assert "Invalid checkpoint token" in late["error"]["Message"]
    assert "late" not in [op.name for op in runner.get_result(result.execution_arn).operations]
    assert event_types(history.events) == event_types(result.history)


def test_invocation_timeouts_count_toward_the_failed_invocations_cap(gate):
    def body(raw):
        gate.wait(BLOCK_SECONDS)
        return succeeded(None)

    with DurableFunctionTestRunner(raw_handler(body), invocation_timeout=0.05) as runner:
        result, elapsed = timed(runner.run)
    assert elapsed < PROMPT_SECONDS
    assert result.execution_status is ExecutionStatus.FAILED
    assert result.error.type == "Lambda.InvocationRetriesExhausted"
    errors = invocation_errors(result.history)
    assert len(errors) == 5
    assert {e["ErrorType"] for e in errors} == {"Sandbox.Timedout"}


def test_plain_invoke_target_past_the_invocation_timeout_fails_the_invoke(gate):
    def body(raw):
        status = raw.status("inv")
        if status is None:
            raw.checkpoint(invoke_start("inv", "stuck", {}))
            return pending()
        if status == "STARTED":
            return pending()
        return succeeded(raw.ops["inv"]["ChainedInvokeDetails"]["Error"])

    with DurableFunctionTestRunner(raw_handler(body), invocation_timeout=0.2) as runner:
        runner.register_function("stuck", lambda event, ctx: gate.wait(BLOCK_SECONDS))
        result = runner.run()
    assert result.execution_status is ExecutionStatus.SUCCEEDED
    error = __import__("json").loads(result.result)
    assert error["ErrorType"] == "Sandbox.Timedout"
    assert re.fullmatch(r"RequestId: \S+ Error: Task timed out after 0\.20 seconds", error["ErrorMessage"])


def test_remaining_time_counts_down_from_the_invocation_timeout():
    seen = []
    handler = raw_handler(lambda raw: (seen.append(raw.lambda_context.get_remaining_time_in_millis()),
                                       succeeded(None))[1])
    with DurableFunctionTestRunner(handler, invocation_timeout=7) as runner:
        runner.run()
    assert 6_000 < seen[0] <= 7_000


def test_handlers_run_in_a_copy_of_the_callers_context():
    var = contextvars.ContextVar("request", default="unset")
    seen = []
    handler = raw_handler(lambda raw: (seen.append((var.get(), threading.current_thread().name)),
                                       succeeded(None))[1])
    token = var.set("from the test")
    try:
        with DurableFunctionTestRunner(handler) as runner:
            assert runner.run().status is InvocationStatus.SUCCEEDED
    finally:
        var.reset(token)
    assert seen[0][0] == "from the test"
    assert seen[0][1] != threading.current_thread().name  # a worker thread


# -- run() arguments -------------------------------------------------------------------------------


def test_run_accepts_timeout_silently():
    with DurableFunctionTestRunner(raw_handler(lambda raw: succeeded(1))) as runner:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = runner.run(input="{}", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.history[0]["ExecutionStartedDetails"]["ExecutionTimeout"] == 30


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [({}, 300), ({"execution_timeout": 45}, 45), ({"timeout": 7}, 7), ({"execution_timeout": 2.5}, 2.5),
     ({"execution_timeout": 12, "timeout": 99}, 12)],
)
def test_execution_started_reports_the_configured_timeout(kwargs, expected):
    with DurableFunctionTestRunner(raw_handler(lambda raw: succeeded(1))) as runner:
        result = runner.run(**kwargs)
    timeout = result.history[0]["ExecutionStartedDetails"]["ExecutionTimeout"]
    assert timeout == expected and type(timeout) is type(expected)


def test_non_durable_handler_is_rejected_at_construction():
    def plain(event, context):
        return event

    with pytest.raises(TypeError, match=r"handler '.*plain' is not a durable handler \(decorate it "
                                        r"with @durable_execution\)"):
        DurableFunctionTestRunner(plain)


@pytest.mark.parametrize("bad", ["{bad", "[1,", "nope"])
def test_invalid_input_json_is_rejected_before_starting(bad):
    calls = []
    with DurableFunctionTestRunner(raw_handler(lambda raw: (calls.append(1), succeeded(1))[1])) as runner:
        with pytest.raises(ValueError, match="input is not valid JSON"):
            runner.run(input=bad)
        with pytest.raises(ValueError, match="input is not valid JSON"):
            runner.run_async(input=bad)
        assert runner.service.executions == {} and calls == []


def test_blank_input_is_accepted_as_no_input():
    from lambda_durable.execution import durable_execution

    @durable_execution
    def handler(event, context):
        return event

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input="  ")
    assert (result.status, result.result) == (InvocationStatus.SUCCEEDED, "{}")


def test_run_after_close_raises():
    runner = DurableFunctionTestRunner(raw_handler(lambda raw: succeeded(1)))
    runner.close()
    with pytest.raises(RuntimeError, match="closed"):
        runner.run()
    with pytest.raises(RuntimeError, match="closed"):
        runner.run_async()


def test_invocation_timeout_must_be_positive():
    with pytest.raises(ValueError, match="invocation_timeout"):
        DurableFunctionTestRunner(raw_handler(lambda raw: succeeded(1)), invocation_timeout=0)
