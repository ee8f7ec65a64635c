"""Callbacks on the local service: success, failure, heartbeat, timeout and heartbeat timeout, in
synchronous runs (virtual clock), background runs (wall clock / advance_time) and scripted
answers; plus the API errors of the three callback operations."""
from __future__ import annotations

import json
import re
import threading
import time

import pytest

from lambda_durable.lambda_service import ErrorObject, InvocationStatus
from lambda_durable.testing import (
    CallbackTimeoutException,
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    ExecutionStatus,
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from test_emulator_support import (
    callback_start,
    context_start,
    context_succeed,
    event_types,
    pending,
    raw_handler,
    step_start,
    step_succeed,
    succeeded,
    wait_start,
)

CALLBACK_ID = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def callback_body(name="approval", timeout=0, heartbeat=0):
    """Start one callback, then return its outcome once it is complete."""

    def body(raw):
        status = raw.status("cb")
        if status is None:
            raw.checkpoint(callback_start("cb", name, timeout=timeout, heartbeat=heartbeat))
            return pending()
        if status == "STARTED":
            return pending()
        details = raw.ops["cb"]["CallbackDetails"]
        return succeeded({"status": status, "result": details.get("Result"), "error": details.get("Error")})

    return body


def outcome(result):
    return json.loads(result.result)


# -- background runs ------------------------------------------------------------------------------


def test_run_async_wait_for_callback_send_success():
    with DurableFunctionTestRunner(raw_handler(callback_body())) as runner:
        arn = runner.run_async(input="{}")
        callback_id = runner.wait_for_callback(arn, name="approval", timeout=10)
        assert CALLBACK_ID.fullmatch(callback_id)
        runner.send_callback_success(callback_id, b'{"approved": true}')
        result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert outcome(result) == {"status": "SUCCEEDED", "result": '{"approved": true}', "error": None}
    callback = result.get_callback("approval")
    assert callback.callback_id == callback_id
    assert callback.result == '{"approved": true}'
    types = event_types(result.history)
    assert types == ["ExecutionStarted", "CallbackStarted", "InvocationCompleted", "CallbackSucceeded",
                     "InvocationCompleted", "ExecutionSucceeded"]
    started = result.history[1]
    assert started["CallbackStartedDetails"] == {"CallbackId": callback_id, "Timeout": 0, "HeartbeatTimeout": 0}
    assert result.history[3]["CallbackSucceededDetails"] == {
        "Result": {"Payload": '{"approved": true}', "Truncated": False}}


def test_send_failure_and_empty_success():
    with DurableFunctionTestRunner(raw_handler(callback_body())) as runner:
        arn = runner.run_async()
        runner.send_callback_failure(
            runner.wait_for_callback(arn),
            ErrorObject("declined", "PaymentError", "{\"code\": 7}", ["at bank"]),
        )
        failed = runner.wait_for_result(arn)
        arn2 = runner.run_async(execution_name="second")
        runner.send_callback_success(runner.wait_for_callback(arn2))
        empty = runner.wait_for_result(arn2)
    error = {"ErrorMessage": "declined", "ErrorType": "PaymentError", "ErrorData": '{"code": 7}',
             "StackTrace": ["at bank"]}
    assert outcome(failed) == {"status": "FAILED", "result": None, "error": error}
    assert failed.history[3]["CallbackFailedDetails"] == {"Error": {"Payload": error, "Truncated": False}}
    assert failed.get_callback("approval").error.type == "PaymentError"
    assert outcome(empty) == {"status": "SUCCEEDED", "result": None, "error": None}
    assert empty.history[3]["CallbackSucceededDetails"] == {"Result": {"Truncated": False}}


def test_callback_timeout_follows_wall_clock_unless_advanced():
    with DurableFunctionTestRunner(raw_handler(callback_body(timeout=3600))) as runner:
        arn = runner.run_async()
        runner.wait_for_callback(arn)
        with pytest.raises(TimeoutError):
            runner.wait_for_result(arn, timeout=0.2)  # an hour of wall clock has not passed
        runner.advance_time(3600)
        result = runner.wait_for_result(arn, timeout=10)
    assert outcome(result)["status"] == "TIMED_OUT"
    assert outcome(result)["error"] == {"ErrorType": "Callback.Timeout", "ErrorMessage": "Callback timed out"}
    timed_out = [e for e in result.history if e["EventType"] == "CallbackTimedOut"][0]
    assert timed_out["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"] == "Callback.Timeout"


def test_heartbeat_rearms_the_heartbeat_timer():
    with DurableFunctionTestRunner(raw_handler(callback_body(heartbeat=60))) as runner:
        arn = runner.run_async()
        callback_id = runner.wait_for_callback(arn)
        for _ in range(3):
            runner.advance_time(45)
            runner.send_callback_heartbeat(callback_id)
        assert runner.get_result(arn).status is InvocationStatus.PENDING  # 135 s, never 60 s silent
        runner.advance_time(61)
        result = runner.wait_for_result(arn, timeout=10)
    assert outcome(result)["error"] == {"ErrorType": "Callback.Heartbeat",
                                        "ErrorMessage": "Callback timed out on heartbeat"}
    assert "CallbackTimedOut" in event_types(result.history)
    # heartbeats record no event
    assert len(event_types(result.history)) == 6


def test_wait_elapses_virtually_while_a_callback_times_out_on_the_wall_clock():
    def body(raw):
        if raw.status("cb") is None:
            raw.checkpoint(callback_start("cb", "approval", timeout=3600), wait_start("w", 7 * 86400, "week"))
            return pending()
        if raw.status("w") == "SUCCEEDED" and raw.status("cb") == "STARTED":
            return succeeded("week passed, callback still open")
        return succeeded(raw.status("cb"))

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        arn = runner.run_async()
        result = runner.wait_for_result(arn, timeout=10)
    assert result.result == '"week passed, callback still open"'


def test_callback_answered_from_inside_the_handler_reinvokes():
    """A submitter answering at once: the completion is in the next checkpoint response."""
    holder = {}
    seen = {}

    def body(raw):
        if raw.status("cb") is None:
            raw.checkpoint(callback_start("cb", "fast"))
            holder["runner"].send_callback_success(raw.ops["cb"]["CallbackDetails"]["CallbackId"], "1")
            response = raw.checkpoint()
            seen["changed"] = [(op["Id"], op["Status"]) for op in response["NewExecutionState"]["Operations"]]
            return pending()
        seen["updated"] = raw.event.get("UpdatedOperationIds")
        return succeeded(raw.ops["cb"]["CallbackDetails"]["Result"])

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        holder["runner"] = runner
        result = runner.run()
    assert seen["changed"] == [("cb", "SUCCEEDED")]
    assert result.result == '"1"'
    assert event_types(result.history) == ["ExecutionStarted", "CallbackStarted", "CallbackSucceeded",
                                           "InvocationCompleted", "InvocationCompleted", "ExecutionSucceeded"]


def test_wait_for_callback_waits_for_the_creating_invocation_to_end():
    release = threading.Event()

    def body(raw):
        if raw.status("cb") is None:
            raw.checkpoint(callback_start("cb", "slow"))
            release.wait(10)
            return pending()
        return succeeded(raw.ops["cb"]["CallbackDetails"].get("Result"))

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        arn = runner.run_async()
        with pytest.raises(TimeoutError):
            runner.wait_for_callback(arn, "slow", timeout=0.2)  # still inside the invocation
        release.set()
        callback_id = runner.wait_for_callback(arn, "slow", timeout=10)
        runner.send_callback_success(callback_id, "x")
        assert runner.wait_for_result(arn).result == '"x"'
        with pytest.raises(DurableFunctionsTestError):
            runner.wait_for_callback(arn, "slow", timeout=1)


def test_wait_for_callback_errors():
    with DurableFunctionTestRunner(raw_handler(lambda raw: succeeded(1))) as runner:
        arn = runner.run_async()
        with pytest.raises(DurableFunctionsTestError):
            runner.wait_for_callback(arn, timeout=5)
        with pytest.raises(ResourceNotFoundException):
            runner.wait_for_callback(arn + "nope", timeout=1)


def test_callback_api_errors():
    with DurableFunctionTestRunner(raw_handler(callback_body(timeout=10))) as runner:
        with pytest.raises(InvalidParameterValueException):
            runner.send_callback_success("not a valid id!")
        with pytest.raises(ResourceNotFoundException):
            runner.send_callback_success("AAAA")
        first = runner.run()  # synchronous: the timeout elapses on the virtual clock
        timed_out_id = first.get_callback("approval").callback_id
        with pytest.raises(CallbackTimeoutException):
            runner.send_callback_success(timed_out_id)
        with pytest.raises(CallbackTimeoutException):
            runner.send_callback_heartbeat(timed_out_id)
        arn = runner.run_async(execution_name="two")
        callback_id = runner.wait_for_callback(arn)
        runner.send_callback_success(callback_id, "1")
        with pytest.raises(InvalidParameterValueException, match="already completed"):
            runner.send_callback_failure(callback_id)
        with pytest.raises(InvalidParameterValueException):
            runner.send_callback_success(callback_id, b"\xff\xfe")
        runner.wait_for_result(arn)
    assert outcome(first)["status"] == "TIMED_OUT"


def test_callback_result_size_limit():
    with DurableFunctionTestRunner(raw_handler(callback_body())) as runner:
        arn = runner.run_async()
        callback_id = runner.wait_for_callback(arn)
        with pytest.raises(InvalidParameterValueException):
            runner.send_callback_success(callback_id, b"x" * 1_048_577)
        runner.send_callback_success(callback_id, b"x" * 1_048_576)
        assert runner.wait_for_result(arn).status is InvocationStatus.SUCCEEDED


# -- synchronous runs -----------------------------------------------------------------------------


def test_sync_run_times_out_callbacks_on_the_virtual_clock():
    began = time.monotonic()
    with DurableFunctionTestRunner(raw_handler(callback_body(timeout=86400))) as runner:
        result = runner.run()
    assert time.monotonic() - began < 2
    assert outcome(result)["status"] == "TIMED_OUT"
    with DurableFunctionTestRunner(raw_handler(callback_body(heartbeat=30, timeout=3600))) as runner:
        result = runner.run()
    assert outcome(result)["error"]["ErrorType"] == "Callback.Heartbeat"


def test_sync_run_returns_pending_when_only_an_answer_can_help():
    with DurableFunctionTestRunner(raw_handler(callback_body())) as runner:
        began = time.monotonic()
        result = runner.run(input="{}")
        assert time.monotonic() - began < 2
        assert result.status is InvocationStatus.PENDING
        assert result.execution_status is ExecutionStatus.RUNNING
        [callback] = result.open_callbacks
        assert callback.name == "approval"
        assert callback.operation_id == "cb"
        assert json.loads(result.result) == [{"name": "approval", "callback_id": callback.callback_id}]
        # answer it and go on
        runner.send_callback_success(callback.callback_id, "ok")
        final = runner.wait_for_result(result.execution_arn)
    assert final.status is InvocationStatus.SUCCEEDED
    assert outcome(final)["result"] == "ok"


def test_stop_on_unanswered_callback_keeps_timeouts_from_elapsing():
    with DurableFunctionTestRunner(raw_handler(callback_body(timeout=3600)), stop_on_unanswered_callback=True) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.PENDING
    assert result.open_callbacks[0].timeout_seconds == 3600


def test_scripted_answer_by_name():
    with DurableFunctionTestRunner(raw_handler(callback_body(timeout=3600))) as runner:
        runner.answer_callback("approval", b'{"ok": 1}')
        result = runner.run()
    assert outcome(result)["result"] == '{"ok": 1}'
    # answered between invocations, after the one that created it
    assert event_types(result.history)[1:4] == ["CallbackStarted", "InvocationCompleted", "CallbackSucceeded"]


def test_scripted_answer_by_wait_for_callback_name_and_wildcard():
    def body(raw):
        if raw.status("w") is None:
            raw.checkpoint(
                context_start("w", "payment", sub_type="WaitForCallback"),
                callback_start("w-cb", "payment create callback id", parent="w"),
                step_start("w-s", "payment submitter", parent="w"),
                step_succeed("w-s", None, name="payment submitter", parent="w"),
                callback_start("other", None),
            )
            return pending()
        if raw.status("w-cb") == "SUCCEEDED" and raw.status("other") == "SUCCEEDED":
            raw.checkpoint(context_succeed("w", raw.ops["w-cb"]["CallbackDetails"]["Result"],
                                           sub_type="WaitForCallback"))
            return succeeded([raw.ops["w-cb"]["CallbackDetails"]["Result"],
                              raw.ops["other"]["CallbackDetails"]["Result"]])
        return pending()

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        pending_result = runner.run()
        names = sorted(str(c.name) for c in pending_result.open_callbacks)
        assert names == ["None", "payment"]
    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        runner.answer_callback("payment", "1").answer_callback("*", "2")
        result = runner.run()
    assert result.result == '["1", "2"]'


def test_open_callback_in_parallel_with_timers_still_blocks_at_the_end():
    def body(raw):
        if raw.status("cb") is None:
            raw.checkpoint(callback_start("cb", "human"), wait_start("w", 600))
            return pending()
        return pending()

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.PENDING
    assert "WaitSucceeded" in event_types(result.history)
