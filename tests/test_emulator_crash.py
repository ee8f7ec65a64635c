"""Process crashes on the local service (protocol.md 8.3 rule 4), and the SDK's delayed send of
non-blocking updates that makes a long-running step's START durable before a crash.

``os._exit(n)`` inside an invocation does not end the test process: the invocation ends at once
with ``InvocationCompleted.Error`` (``Runtime.ExitError``, "RequestId: <id> Error: Runtime exited
with error: exit status <n>"), its checkpoint tokens are revoked at the exit (nothing any of its
threads sends afterwards is applied), updates the SDK had queued are lost, no code after the call
runs, and the service invokes the function again at once.
"""
from __future__ import annotations

import contextvars
import json
import os
import re
import threading
import time

import pytest

from lambda_durable import DurableContext, StepContext, durable_execution
from lambda_durable.config import ParallelConfig, StepConfig, StepSemantics
from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.retries import RetryPresets
from lambda_durable.state import ExecutionState, ServiceChannel
from lambda_durable.testing import DurableFunctionTestRunner, ExecutionStatus
from lambda_durable.testing import crash as crash_model
from lambda_durable.testing.crash import ProcessExit, process_exit_model
from test_emulator_support import (
    event_types,
    raw_handler,
    step_start,
    step_succeed,
    succeeded,
)

EXIT_MESSAGE = re.compile(
    r"RequestId: [0-9a-f-]+ Error: Runtime exited with error: exit status (\d+)"
)


def run(handler, input=None, **runner_kwargs):
    with DurableFunctionTestRunner(handler, **runner_kwargs) as runner:
        return runner.run(input=input)


def invocation_errors(history):
    return [
        event["InvocationCompletedDetails"].get("Error", {}).get("Payload")
        for event in history
        if event["EventType"] == "InvocationCompleted"
    ]


# -- the crash model on raw handlers ---------------------------------------------------------------


def test_exit_ends_the_invocation_with_runtime_exit_error_and_reinvokes():
    invocations = []
    after_exit = []

    def body(raw):
        invocations.append(dict(raw.ops))
        if len(invocations) == 1:
            raw.checkpoint(step_start("s1"))
            os._exit(1)
            after_exit.append("ran")  # never reached
        return succeeded("done")

    result = run(raw_handler(body))
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"done"'
    assert after_exit == []
    assert len(invocations) == 2
    assert invocations[1]["s1"]["Status"] == "STARTED"  # as last checkpointed
    assert event_types(result.history) == [
        "ExecutionStarted",
        "StepStarted",
        "InvocationCompleted",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    first, second = invocation_errors(result.history)
    assert first["ErrorType"] == "Runtime.ExitError"
    assert EXIT_MESSAGE.fullmatch(first["ErrorMessage"]).group(1) == "1"
    request_id = result.history[2]["InvocationCompletedDetails"]["RequestId"]
    assert first["ErrorMessage"].startswith(f"RequestId: {request_id} ")
    assert second is None
    assert crash_model._on_exit.get() is None  # the test's own context never had the hook


def test_exit_status_is_reported():
    calls = []

    def body(raw):
        calls.append(1)
        if len(calls) == 1:
            os._exit(7)
        return succeeded(None)

    result = run(raw_handler(body))
    [error, _] = invocation_errors(result.history)
    assert EXIT_MESSAGE.fullmatch(error["ErrorMessage"]).group(1) == "7"


def test_repeated_exits_count_as_failed_invocations():
    result = run(raw_handler(lambda raw: os._exit(1)))
    assert result.status is InvocationStatus.FAILED
    assert result.execution_status is ExecutionStatus.FAILED
    errors = invocation_errors(result.history)
    assert len(errors) == 5
    assert all(error["ErrorType"] == "Runtime.ExitError" for error in errors)
    assert "Runtime.ExitError" in result.error.message


def test_tokens_are_revoked_at_the_exit():
    """A thread of the crashed invocation that checkpoints after the exit is refused, even before
    the driver has recorded the invocation's end."""
    outcome = {}
    calls = []
    done = threading.Event()

    def body(raw):
        calls.append(1)
        if len(calls) > 1:
            return succeeded(sorted(raw.ops))
        exited = threading.Event()

        def late_checkpoint():
            exited.wait(10)
            try:
                raw.checkpoint(step_start("late"))
            except Exception as error:  # noqa: BLE001
                outcome["error"] = error
            done.set()

        worker = threading.Thread(target=contextvars.copy_context().run, args=(late_checkpoint,))
        worker.start()
        try:
            os._exit(1)
        finally:
            exited.set()  # runs while ProcessExit unwinds this thread
            worker.join(10)

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        result = runner.run()
        assert done.wait(10)  # the crashed invocation's threads unwind on their own, abandoned
        history = runner.get_execution_history(result.execution_arn).events
    assert "Invalid checkpoint token" in str(outcome["error"])
    assert "StepStarted" not in event_types(history)
    assert result.result == json.dumps([result.execution_arn.rsplit("/", 1)[1]])


def test_exit_in_another_thread_ends_the_invocation_at_once():
    """The process is gone as soon as any thread of the invocation exits: the driver does not
    wait for the handler's main thread (left blocked here, abandoned)."""
    release = threading.Event()
    calls = []

    def body(raw):
        calls.append(1)
        if len(calls) > 1:
            return succeeded("second")
        def crash():
            try:
                os._exit(3)
            except ProcessExit:
                pass  # this thread unwinds; the invocation is already over

        threading.Thread(target=contextvars.copy_context().run, args=(crash,)).start()
        release.wait(30)  # blocked; the crash must not wait for it
        return succeeded("never used")

    started = time.monotonic()
    try:
        result = run(raw_handler(body))
    finally:
        release.set()
    assert time.monotonic() - started < 10
    assert result.result == '"second"'
    [error, _] = invocation_errors(result.history)
    assert EXIT_MESSAGE.fullmatch(error["ErrorMessage"]).group(1) == "3"


def test_plain_chained_invoke_target_that_exits_fails_the_invoke():
    def target(payload, context):
        os._exit(2)

    def body(raw):
        op = raw.ops.get("inv")
        if op is None:
            raw.checkpoint(
                {
                    "Id": "inv",
                    "Type": "CHAINED_INVOKE",
                    "Action": "START",
                    "SubType": "ChainedInvoke",
                    "Payload": "{}",
                    "ChainedInvokeOptions": {"FunctionName": "crasher"},
                }
            )
            return {"Status": "PENDING"}
        if op["Status"] == "STARTED":
            return {"Status": "PENDING"}
        return succeeded(op["ChainedInvokeDetails"]["Error"]["ErrorType"])

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        runner.register_function("crasher", target)
        result = runner.run()
    assert result.result == '"Runtime.ExitError"'
    failed = [e for e in result.history if e["EventType"] == "ChainedInvokeFailed"]
    assert EXIT_MESSAGE.fullmatch(failed[0]["ChainedInvokeFailedDetails"]["Error"]["Payload"]["ErrorMessage"])


def test_os_exit_is_modelled_only_inside_an_invocation(monkeypatch):
    # the replacement stays installed while any invocation runs (abandoned invocations of other
    # tests may still run), so check what it does, not whether it is installed
    real_calls = []
    monkeypatch.setattr(crash_model, "_real_exit", real_calls.append)
    crash_model._modelled_exit(3)  # outside an invocation: the real function
    assert real_calls == [3]
    seen = []
    with process_exit_model(seen.append):
        assert os._exit is crash_model._modelled_exit
        with pytest.raises(ProcessExit) as info:
            os._exit(4)
        assert info.value.code == 4
        assert seen == [4]
        # a thread that does not run in the invocation's contextvars context: the real function
        thread = threading.Thread(target=os._exit, args=(6,))
        thread.start()
        thread.join()
        assert real_calls == [3, 6]
        assert seen == [4]


# -- SDK handlers -----------------------------------------------------------------------------------


def test_queued_start_is_lost_in_a_crash_and_the_step_runs_again():
    """An AT_LEAST_ONCE step's START is queued (non-blocking); a crash right away loses it: the
    next invocation starts the step afresh."""
    runs = []

    @durable_execution
    def handler(event, context: DurableContext):
        def body(step_context: StepContext):
            runs.append(step_context.attempt)
            if len(runs) == 1:
                os._exit(1)
            return "ok"

        return context.step(body, name="quick")

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert runs == [1, 1]
    assert event_types(result.history) == [
        "ExecutionStarted",
        "InvocationCompleted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert invocation_errors(result.history)[0]["ErrorType"] == "Runtime.ExitError"


def test_long_step_start_is_sent_on_its_own_and_survives_the_crash():
    """After ``async_flush_delay`` the queued START (with its child context's) is sent without
    waiting for a blocking checkpoint; after the crash the step re-runs without a new START."""
    runs = []

    @durable_execution
    def handler(event, context: DurableContext):
        def body(step_context: StepContext):
            runs.append(step_context.attempt)
            if len(runs) == 1:
                time.sleep(1.5)
                os._exit(1)
            return "ok"

        return context.run_in_child_context(lambda ctx: ctx.step(body, name="long"), name="child")

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert runs == [1, 1]
    assert event_types(result.history) == [
        "ExecutionStarted",
        "ContextStarted",
        "StepStarted",
        "InvocationCompleted",
        "StepSucceeded",
        "ContextSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    succeeded_event = result.history[4]
    assert succeeded_event["StepSucceededDetails"]["RetryDetails"]["CurrentAttempt"] == 1


def test_at_most_once_step_interrupted_by_a_crash_is_not_rerun():
    runs = []

    @durable_execution
    def handler(event, context: DurableContext):
        def body(step_context: StepContext):
            runs.append(step_context.attempt)
            os._exit(1)

        return context.step(
            body,
            name="amo",
            config=StepConfig(
                retry_strategy=RetryPresets.none(),
                step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
            ),
        )

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert runs == [1]
    assert event_types(result.history) == [
        "ExecutionStarted",
        "StepStarted",
        "InvocationCompleted",
        "StepFailed",
        "InvocationCompleted",
        "ExecutionFailed",
    ]
    error = result.history[3]["StepFailedDetails"]["Error"]["Payload"]
    assert error["ErrorType"].endswith("StepInterruptedError")


def test_crash_in_a_parallel_branch_thread_crashes_the_invocation():
    runs = []

    @durable_execution
    def handler(event, context: DurableContext):
        def crashing(ctx: DurableContext):
            def body(step_context: StepContext):
                runs.append("crash")
                if runs.count("crash") == 1:
                    os._exit(5)
                return "b"

            return ctx.step(body, name="crashing", config=StepConfig(
                step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
                retry_strategy=RetryPresets.none(),
            ))

        def fine(ctx: DurableContext):
            return ctx.step(lambda _: "a", name="fine")

        result = context.parallel([fine, crashing], config=ParallelConfig(max_concurrency=2))
        return [item.status.value for item in result.all]

    result = run(handler)
    errors = invocation_errors(result.history)
    assert errors[0]["ErrorType"] == "Runtime.ExitError"
    assert EXIT_MESSAGE.fullmatch(errors[0]["ErrorMessage"]).group(1) == "5"
    assert runs == ["crash"]  # AT_MOST_ONCE: interrupted, not re-run
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '["SUCCEEDED", "FAILED"]'
    assert crash_model._on_exit.get() is None


# -- the SDK's delayed send of non-blocking updates (ExecutionState) --------------------------------


class _Client:
    """boto3-shaped client recording checkpoint calls (tokens threaded)."""

    def __init__(self, fail_with: Exception | None = None, revoke: bool = False):
        self.calls: list[list[dict]] = []
        self.sent = threading.Event()
        self.fail_with = fail_with
        self.revoke = revoke

    def checkpoint_durable_execution(self, **kwargs):
        self.calls.append(list(kwargs["Updates"]))
        self.sent.set()
        if self.fail_with is not None:
            raise self.fail_with
        ops = [{"Id": u["Id"], "Type": u["Type"], "Status": "STARTED", "StartTimestamp": 0}
               for u in kwargs["Updates"]]
        response = {"NewExecutionState": {"Operations": ops}}
        if not self.revoke:
            response["CheckpointToken"] = f"t{len(self.calls)}"
        return response


def _state(client, delay=0.05):
    state = ExecutionState("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/id",
                           "t0", {}, ServiceChannel(client))
    state.async_flush_delay = delay
    return state


def test_queued_update_is_sent_alone_after_the_delay():
    client = _Client()
    state = _state(client)
    state.enqueue(step_start("a"))
    assert client.sent.wait(5)
    time.sleep(0.05)
    assert client.calls == [[step_start("a")]]
    assert state.get("a")["Status"] == "STARTED"
    assert state.checkpoint_token == "t1"
    state.checkpoint(step_succeed("a", '"x"'))
    assert client.calls[1] == [step_succeed("a", '"x"')]


def test_blocking_checkpoint_takes_queued_updates_along_before_the_delay():
    client = _Client()
    state = _state(client, delay=0.3)
    state.enqueue(step_start("a"))
    state.checkpoint(step_succeed("a", '"x"'))
    time.sleep(0.5)
    assert client.calls == [[step_start("a"), step_succeed("a", '"x"')]]  # no lone send


def test_no_delay_means_queued_updates_wait_for_a_blocking_one():
    client = _Client()
    state = _state(client, delay=None)
    state.enqueue(step_start("a"))
    time.sleep(0.2)
    assert client.calls == []
    state.flush()
    assert client.calls == [[step_start("a")]]


def test_failure_of_a_delayed_send_is_raised_by_the_next_checkpoint():
    client = _Client(fail_with=RuntimeError("service down"))
    state = _state(client)
    state.enqueue(step_start("a"))
    assert client.sent.wait(5)
    time.sleep(0.05)
    with pytest.raises(Exception, match="service down"):
        state.checkpoint(step_succeed("a"))
    with pytest.raises(Exception, match="service down"):
        state.flush()


def test_token_revoked_during_a_delayed_send_suspends_the_next_checkpoint():
    from lambda_durable.exceptions import SuspendExecution

    client = _Client(revoke=True)
    state = _state(client)
    state.enqueue(step_start("a"))
    assert client.sent.wait(5)
    time.sleep(0.05)
    assert state.revoked
    with pytest.raises(SuspendExecution):
        state.checkpoint(step_succeed("a"))
