"""The local durable execution service, driven by raw-protocol handlers (no SDK).

Covers the invocation event, token threading, idempotency, paging, state transitions, history
events and their order, timers on the virtual clock, invocation failures and handler outputs.
Callbacks, chained invokes and the background runner are in test_emulator_callbacks.py and
test_emulator_invoke.py; validation rules in test_emulator_validation.py.
"""
from __future__ import annotations

import datetime
import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.testing import DurableFunctionTestRunner, ExecutionStatus, VirtualClock
from lambda_durable.testing.history import without_execution_data
from test_emulator_support import (
    context_start,
    context_succeed,
    event_types,
    execution_fail,
    execution_succeed,
    failed,
    pending,
    raw_handler,
    step_fail,
    step_retry,
    step_start,
    step_succeed,
    succeeded,
    wait_start,
)

ARN_PATTERN = re.compile(
    r"arn:aws:lambda:us-west-2:123456789012:function:test-function:\$LATEST"
    r"/durable-execution/execution-name/[a-zA-Z0-9_-]+"
)
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def run(body, input=None, **runner_kwargs):
    with DurableFunctionTestRunner(raw_handler(body), **runner_kwargs) as runner:
        return runner.run(input=input)


# -- the invocation event --------------------------------------------------------------------------


def test_invocation_event_shape_and_execution_operation():
    seen = {}

    def body(raw):
        seen["event"] = raw.event
        seen["context"] = raw.lambda_context
        return succeeded({"echo": raw.input})

    result = run(body, input='{"order": 1}')
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '{"echo": {"order": 1}}'
    event = seen["event"]
    assert ARN_PATTERN.fullmatch(event["DurableExecutionArn"])
    assert TOKEN_PATTERN.fullmatch(event["CheckpointToken"])
    state = event["InitialExecutionState"]
    assert state["NextMarker"] == ""
    [op] = state["Operations"]
    assert op["Id"] == event["DurableExecutionArn"].rsplit("/", 1)[1]
    assert op["Type"] == "EXECUTION"
    assert op["Status"] == "STARTED"
    assert op["ExecutionDetails"] == {"InputPayload": '{"order": 1}'}
    assert isinstance(op["StartTimestamp"], int)  # epoch milliseconds
    assert abs(op["StartTimestamp"] / 1000 - time.time()) < 60
    assert "UpdatedOperationIds" not in event


def test_lambda_context():
    seen = {}

    def body(raw):
        seen["ctx"] = raw.lambda_context
        return succeeded(None)

    run(body, invocation_timeout=30)
    ctx = seen["ctx"]
    assert ctx.function_name == "test-function"
    assert ctx.invoked_function_arn == "arn:aws:lambda:us-west-2:123456789012:function:test-function"
    assert ctx.memory_limit_in_mb == 128
    assert re.fullmatch(r"[0-9a-f-]{36}", ctx.aws_request_id)
    assert 25_000 < ctx.get_remaining_time_in_millis() <= 30_000


def test_no_input_means_no_input_payload():
    seen = {}

    def body(raw):
        seen["op"] = raw.first_page[0]
        return succeeded(1)

    result = run(body)
    assert seen["op"]["ExecutionDetails"] == {}
    assert result.history[0]["ExecutionStartedDetails"]["Input"] == {"Truncated": False}


# -- tokens and idempotency ----------------------------------------------------------------------


def test_each_checkpoint_consumes_its_token():
    seen = {}

    def body(raw):
        first = raw.token
        raw.checkpoint(step_start("s1", "a"))
        second = raw.token
        assert second != first and TOKEN_PATTERN.fullmatch(second)
        with pytest.raises(ClientError) as info:
            raw.client.checkpoint_durable_execution(
                DurableExecutionArn=raw.arn, CheckpointToken=first, Updates=[]
            )
        seen["error"] = info.value.response
        # the current token still works; an empty checkpoint refreshes it
        raw.checkpoint()
        assert raw.token not in (first, second)
        raw.checkpoint(step_succeed("s1", '"x"'))
        return succeeded("done")

    result = run(body)
    assert result.status is InvocationStatus.SUCCEEDED
    error = seen["error"]
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert error["Error"]["Message"].startswith("Invalid checkpoint token")
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_token_of_a_previous_invocation_is_rejected():
    tokens = []
    errors = []

    def body(raw):
        tokens.append(raw.token)
        if len(tokens) == 1:
            raw.checkpoint(wait_start("w", 5))
            return pending()
        for stale in tokens[:-1]:
            try:
                raw.client.get_durable_execution_state(
                    DurableExecutionArn=raw.arn, CheckpointToken=stale, Marker=None, MaxItems=10
                )
            except ClientError as error:
                errors.append(error.response["Error"]["Message"])
        return succeeded(1)

    result = run(body)
    assert result.status is InvocationStatus.SUCCEEDED
    assert len(errors) == 1 and errors[0].startswith("Invalid checkpoint token")


def test_client_token_idempotency_replays_stored_response():
    seen = {}

    def body(raw):
        token = raw.token
        first = raw.checkpoint(step_start("s1", "a"), client_token="same-request")
        # the same request again (e.g. a network retry): same response, applied once
        again = raw.client.checkpoint_durable_execution(
            DurableExecutionArn=raw.arn,
            CheckpointToken=token,
            Updates=[step_start("s1", "a")],
            ClientToken="same-request",
        )
        seen["first"], seen["again"] = first, again
        raw.checkpoint(step_succeed("s1", "1"))
        return succeeded(None)

    result = run(body)
    assert seen["first"]["CheckpointToken"] == seen["again"]["CheckpointToken"]
    assert seen["first"]["NewExecutionState"] == seen["again"]["NewExecutionState"]
    assert event_types(result.history).count("StepStarted") == 1


def test_response_lists_changed_operations_with_datetimes():
    seen = {}

    def body(raw):
        response = raw.checkpoint(step_start("s1", "a"), step_succeed("s1", "1"), wait_start("w1", 10))
        seen["ops"] = response["NewExecutionState"]["Operations"]
        seen["again"] = raw.checkpoint()["NewExecutionState"]["Operations"]
        return succeeded(None)

    run(body)
    ops = {op["Id"]: op for op in seen["ops"]}
    assert set(ops) == {"s1", "w1"}
    assert ops["s1"]["Status"] == "SUCCEEDED"
    assert ops["s1"]["StepDetails"] == {"Attempt": 1, "Result": "1"}
    assert isinstance(ops["s1"]["StartTimestamp"], datetime.datetime)
    assert ops["s1"]["StartTimestamp"].tzinfo is not None
    scheduled = ops["w1"]["WaitDetails"]["ScheduledEndTimestamp"]
    assert scheduled - ops["w1"]["StartTimestamp"] == datetime.timedelta(seconds=10)
    assert seen["again"] == []


# -- paging --------------------------------------------------------------------------------------


def test_initial_state_and_state_api_are_paged_by_bytes():
    seen = []

    def body(raw):
        if not raw.status("w"):
            raw.checkpoint(*[u for i in range(30) for u in (step_start(f"s{i}"), step_succeed(f"s{i}", "x" * 40))])
            raw.checkpoint(wait_start("w", 1))
            return pending()
        seen.append((raw.pages, raw.initial_marker, len(raw.first_page), len(raw.ops)))
        return succeeded(len(raw.ops))

    result = run(body, max_invocation_page_bytes=600)
    assert result.status is InvocationStatus.SUCCEEDED
    pages, marker, first_page, total = seen[0]
    assert marker and pages > 2 and first_page < total
    assert total == 32  # execution + 30 steps + wait
    assert result.result == "32"


def test_checkpoint_response_is_paged_and_continues_with_new_token():
    seen = {}

    def body(raw):
        response = raw.checkpoint(*[step_start(f"s{i}") for i in range(20)])
        seen["marker"] = response["NewExecutionState"].get("NextMarker")
        seen["first"] = len(response["NewExecutionState"]["Operations"])
        seen["ids"] = sorted(op_id for op_id in raw.ops if op_id.startswith("s"))
        return succeeded(None)

    run(body, max_invocation_page_bytes=400)
    assert seen["marker"]
    assert seen["first"] < 20
    assert len(seen["ids"]) == 20


def test_state_api_max_items_and_bad_marker():
    seen = {}

    def body(raw):
        raw.checkpoint(*[step_start(f"s{i}") for i in range(5)])
        client = raw.client
        page = client.get_durable_execution_state(
            DurableExecutionArn=raw.arn, CheckpointToken=raw.token, Marker=None, MaxItems=2
        )
        ids = [op["Id"] for op in page["Operations"]]
        while page.get("NextMarker"):
            page = client.get_durable_execution_state(
                DurableExecutionArn=raw.arn, CheckpointToken=raw.token, Marker=page["NextMarker"], MaxItems=2
            )
            ids += [op["Id"] for op in page["Operations"]]
        seen["ids"] = ids
        with pytest.raises(ClientError) as info:
            client.get_durable_execution_state(
                DurableExecutionArn=raw.arn, CheckpointToken=raw.token, Marker="nonsense.3", MaxItems=2
            )
        seen["bad_marker"] = info.value.response["Error"]["Message"]
        with pytest.raises(ClientError):
            client.get_durable_execution_state(
                DurableExecutionArn=raw.arn, CheckpointToken=raw.token, Marker=None, MaxItems=1001
            )
        return succeeded(None)

    run(body)
    assert len(seen["ids"]) == 6 and seen["ids"][1:] == [f"s{i}" for i in range(5)]
    assert "marker" in seen["bad_marker"]


# -- state transitions ---------------------------------------------------------------------------


def test_step_retry_pending_ready_start_succeed():
    seen = []

    def body(raw):
        status = raw.status("s")
        seen.append((status, dict(raw.ops.get("s", {}).get("StepDetails") or {}), raw.event.get("UpdatedOperationIds")))
        if status is None:
            raw.checkpoint(step_start("s", "flaky"))
            raw.checkpoint(step_retry("s", 30, error={"ErrorType": "ValueError", "ErrorMessage": "try again"}))
            assert raw.ops["s"]["Status"] == "PENDING"
            return pending()
        if status == "READY":
            raw.checkpoint(step_start("s", "flaky"), step_succeed("s", '"ok"'))
            return succeeded(raw.ops["s"]["StepDetails"]["Attempt"])
        return failed("Unexpected", status)

    result = run(body)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == "2"
    assert seen[1][0] == "READY"
    details = seen[1][1]
    assert details["Attempt"] == 1
    assert details["Error"] == {"ErrorType": "ValueError", "ErrorMessage": "try again"}
    assert isinstance(details["NextAttemptTimestamp"], int)
    assert seen[1][2] == ["s"]
    # retry timer reaching READY records no event; the retry itself is a StepFailed
    assert event_types(result.history) == [
        "ExecutionStarted", "StepStarted", "StepFailed", "InvocationCompleted",
        "StepStarted", "StepSucceeded", "InvocationCompleted", "ExecutionSucceeded",
    ]
    failed_event = result.history[2]
    assert failed_event["StepFailedDetails"] == {
        "Error": {"Payload": {"ErrorType": "ValueError", "ErrorMessage": "try again"}, "Truncated": False},
        "RetryDetails": {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 30},
    }
    succeeded_event = result.history[5]
    assert succeeded_event["StepSucceededDetails"]["RetryDetails"] == {"CurrentAttempt": 2}
    step = result.get_step("flaky")
    assert step.attempt == 2 and step.result == '"ok"'


def test_wait_for_condition_retry_with_payload():
    seen = []

    def body(raw):
        status = raw.status("p")
        if status is None:
            raw.checkpoint(step_start("p", "poll", sub_type="WaitForCondition"),
                           step_retry("p", 5, payload='{"n": 1}', sub_type="WaitForCondition"))
            return pending()
        seen.append(raw.ops["p"]["StepDetails"].get("Result"))
        raw.checkpoint(step_start("p", sub_type="WaitForCondition"),
                       step_succeed("p", '{"n": 2}', sub_type="WaitForCondition"))
        return succeeded(None)

    result = run(body)
    assert seen == ['{"n": 1}']
    retry_event = result.history[2]
    assert retry_event["EventType"] == "StepSucceeded"
    assert retry_event["SubType"] == "WaitForCondition"
    assert retry_event["StepSucceededDetails"] == {
        "Result": {"Payload": '{"n": 1}', "Truncated": False},
        "RetryDetails": {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 5},
    }


def test_step_fail_and_context_fail_records():
    def body(raw):
        raw.checkpoint(
            context_start("c", "block"),
            step_start("s", "inner", parent="c"),
            step_fail("s", "KeyError", "'k'", ParentId="c"),
        )
        raw.checkpoint({"Id": "c", "Type": "CONTEXT", "Action": "FAIL", "SubType": "RunInChildContext",
                        "Error": {"ErrorType": "ChildContextError", "ErrorMessage": "inner failed"}})
        return failed("ChildContextError", "inner failed")

    result = run(body)
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == "ChildContextError"
    context = result.get_context("block")
    assert context.status.value == "FAILED"
    assert context.error.message == "inner failed"
    inner = context.get_step("inner")
    assert inner.error.type == "KeyError" and inner.attempt == 1
    types = event_types(result.history)
    assert types == ["ExecutionStarted", "ContextStarted", "StepStarted", "StepFailed", "ContextFailed",
                     "InvocationCompleted", "ExecutionFailed"]
    assert result.history[-1]["ExecutionFailedDetails"] == {
        "Error": {"Payload": {"ErrorType": "ChildContextError", "ErrorMessage": "inner failed"}, "Truncated": False}
    }


def test_wait_cancel():
    def body(raw):
        raw.checkpoint(wait_start("w", 100, "long"))
        raw.checkpoint({"Id": "w", "Type": "WAIT", "Action": "CANCEL", "SubType": "Wait"})
        assert raw.ops["w"]["Status"] == "CANCELLED"
        return succeeded("cancelled")

    result = run(body)
    assert result.status is InvocationStatus.SUCCEEDED
    assert "WaitCancelled" in event_types(result.history)
    assert "WaitSucceeded" not in event_types(result.history)


def test_children_of_completed_context_are_omitted_unless_replay_children():
    seen = []

    def body(raw):
        seen.append(set(raw.ops))
        if not raw.status("a"):
            raw.checkpoint(
                context_start("a", "plain"), step_start("a1", parent="a"), step_succeed("a1", "1", parent="a"),
                context_start("a2", parent="a"), step_start("a21", parent="a2"),
                step_succeed("a21", "2", parent="a2"), context_succeed("a2", "2", parent="a"),
                context_succeed("a", "1"),
                context_start("b", "replayed"), step_start("b1", parent="b"), step_succeed("b1", "3", parent="b"),
                context_succeed("b", "", replay_children=True),
                wait_start("w", 1),
            )
            return pending()
        return succeeded(None)

    run(body)
    second = seen[1]
    assert {"a", "b", "b1", "w"} <= second
    assert not {"a1", "a2", "a21"} & second

    seen.clear()
    run(body, omit_completed_children=False)
    assert {"a1", "a2", "a21"} <= seen[1]


# -- history -------------------------------------------------------------------------------------


def test_history_event_ids_identity_and_details():
    def body(raw):
        if not raw.status("w"):
            raw.checkpoint(context_start("c", "ctx"), step_start("s", None, parent="c"),
                           step_succeed("s", '"r"', parent="c"), context_succeed("c", '"r"'))
            raw.checkpoint(wait_start("w", 60, "minute"))
            return pending()
        return succeeded({"done": True})

    result = run(body, input='{"k": "v"}')
    history = result.history
    assert [e["EventId"] for e in history] == list(range(1, len(history) + 1))
    assert event_types(history) == [
        "ExecutionStarted", "ContextStarted", "StepStarted", "StepSucceeded", "ContextSucceeded",
        "WaitStarted", "InvocationCompleted", "WaitSucceeded", "InvocationCompleted", "ExecutionSucceeded",
    ]
    for event in history:
        assert f"{event['EventType']}Details" in event
        assert isinstance(event["EventTimestamp"], datetime.datetime)
    started = history[0]
    assert started["Id"] == result.execution_arn.rsplit("/", 1)[1]
    assert started["Name"] == "execution-name"
    assert started["ExecutionStartedDetails"] == {
        "Input": {"Payload": '{"k": "v"}', "Truncated": False}, "ExecutionTimeout": 300}
    assert history[1]["ContextStartedDetails"] == {}
    assert history[2] == {**history[2], "Id": "s", "ParentId": "c", "SubType": "Step"}
    assert "Name" not in history[2]
    assert history[4]["ContextSucceededDetails"] == {"Result": {"Payload": '"r"', "Truncated": False}}
    wait = history[5]
    assert wait["WaitStartedDetails"]["Duration"] == 60
    assert wait["WaitStartedDetails"]["ScheduledEndTimestamp"] - wait["EventTimestamp"] == datetime.timedelta(seconds=60)
    assert history[7]["WaitSucceededDetails"] == {"Duration": 60}
    assert history[7]["EventTimestamp"] >= wait["WaitStartedDetails"]["ScheduledEndTimestamp"]
    completed = history[6]
    assert set(completed) == {"EventType", "EventId", "EventTimestamp", "InvocationCompletedDetails"}
    assert set(completed["InvocationCompletedDetails"]) == {"StartTimestamp", "EndTimestamp", "RequestId"}
    assert history[-1]["ExecutionSucceededDetails"] == {"Result": {"Payload": '{"done": true}', "Truncated": False}}


def test_history_without_execution_data_keeps_errors():
    with DurableFunctionTestRunner(raw_handler(lambda raw: failed("E", "m"))) as runner:
        result = runner.run(input='{"secret": 1}')
        history = runner.get_execution_history(result.execution_arn)
        assert history.events[0]["ExecutionStartedDetails"]["Input"] == {"Truncated": True}
        assert history.events[-1]["ExecutionFailedDetails"]["Error"]["Payload"] == {"ErrorType": "E", "ErrorMessage": "m"}
        full = runner.get_execution_history(result.execution_arn, include_execution_data=True)
        assert full["Events"][0]["ExecutionStartedDetails"]["Input"]["Payload"] == '{"secret": 1}'
    assert without_execution_data([]) == []


def test_on_event_listener_sees_events_in_order():
    events = []

    def body(raw):
        raw.checkpoint(step_start("s"), step_succeed("s", "1"))
        return succeeded(1)

    with DurableFunctionTestRunner(raw_handler(body), on_event=events.append) as runner:
        result = runner.run()
    assert [e["EventId"] for e in events] == [e["EventId"] for e in result.history]


# -- virtual time --------------------------------------------------------------------------------


def test_seven_day_wait_completes_instantly():
    def body(raw):
        if not raw.status("w"):
            raw.checkpoint(wait_start("w", 7 * 24 * 3600, "cooling-off"))
            return pending()
        assert raw.status("w") == "SUCCEEDED"
        return succeeded("later")

    began = time.monotonic()
    result = run(body)
    assert time.monotonic() - began < 2
    assert result.status is InvocationStatus.SUCCEEDED
    wait = result.get_wait("cooling-off")
    assert wait.end_timestamp - wait.start_timestamp >= datetime.timedelta(days=7)
    assert wait.scheduled_end_timestamp == wait.start_timestamp + datetime.timedelta(days=7)


def test_timers_fire_in_order_each_causing_an_invocation():
    def body(raw):
        if not raw.status("w1"):
            raw.checkpoint(wait_start("w1", 30), wait_start("w2", 10), wait_start("w3", 20))
            return pending()
        if all(raw.status(w) == "SUCCEEDED" for w in ("w1", "w2", "w3")):
            return succeeded("all")
        return pending()

    result = run(body)
    assert result.status is InvocationStatus.SUCCEEDED
    fired = [e["Id"] for e in result.history if e["EventType"] == "WaitSucceeded"]
    assert fired == ["w2", "w3", "w1"]
    types = event_types(result.history)
    # every timer completion is followed by an invocation
    for index, kind in enumerate(types):
        if kind == "WaitSucceeded":
            assert types[index + 1] == "InvocationCompleted"


def test_virtual_clock():
    clock = VirtualClock()
    first = clock.time()
    clock.advance(3600)
    assert clock.time() - first >= 3600
    skipped = clock.advance_to(clock.time() + 60)
    assert 59.9 < skipped <= 60
    assert clock.advance_to(0) == 0
    assert clock.now().tzinfo is datetime.timezone.utc
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert clock.offset >= 3660


# -- invocation failures and outputs ----------------------------------------------------------------


def test_raised_exception_is_a_failed_invocation_then_retried():
    calls = []

    def body(raw):
        calls.append(raw.status("s"))
        if len(calls) == 1:
            raw.checkpoint(step_start("s", "work"))
            raise RuntimeError("crashed mid-step")
        # the step stays STARTED; the SDK would finish it without a new START
        raw.checkpoint(step_succeed("s", "1"))
        return succeeded("recovered")

    result = run(body)
    assert result.status is InvocationStatus.SUCCEEDED
    assert calls == [None, "STARTED"]
    types = event_types(result.history)
    assert types == ["ExecutionStarted", "StepStarted", "InvocationCompleted", "StepSucceeded",
                     "InvocationCompleted", "ExecutionSucceeded"]
    error = result.history[2]["InvocationCompletedDetails"]["Error"]["Payload"]
    assert error["ErrorType"] == "RuntimeError"
    assert error["ErrorMessage"] == "crashed mid-step"
    assert any("crashed mid-step" in line for line in error["StackTrace"])
    assert "Error" not in result.history[4]["InvocationCompletedDetails"]


def test_consecutive_failed_invocations_fail_the_execution():
    def body(raw):
        raise ValueError("always")

    result = run(body)
    assert result.status is InvocationStatus.FAILED
    assert result.execution_status is ExecutionStatus.FAILED
    assert event_types(result.history).count("InvocationCompleted") == 5
    assert "5 invocations in a row failed" in result.error.message
    assert "ValueError: always" in result.error.message


def test_system_exit_is_a_runtime_exit_error():
    calls = []

    def body(raw):
        calls.append(1)
        if len(calls) == 1:
            raise SystemExit(1)
        return succeeded(None)

    result = run(body)
    error = result.history[1]["InvocationCompletedDetails"]["Error"]["Payload"]
    assert error["ErrorType"] == "Runtime.ExitError"
    assert "exit status 1" in error["ErrorMessage"]
    assert result.status is InvocationStatus.SUCCEEDED


def test_pending_with_nothing_pending_fails_after_a_few_outputs():
    result = run(lambda raw: pending())
    assert result.status is InvocationStatus.FAILED
    assert result.error.message == "Cannot return PENDING status with no pending operations"
    assert event_types(result.history).count("InvocationCompleted") == 4


@pytest.mark.parametrize(
    "output, message",
    [
        ({"Status": "FAILED", "Result": "1", "Error": {}}, "must not carry a Result"),
        ({"Status": "SUCCEEDED", "Error": {"ErrorMessage": "x"}}, "must not carry an Error"),
        ({"Status": "WHATEVER"}, "Invalid invocation output"),
        ("not a dict", "not an invocation output"),
        ({"Status": "SUCCEEDED", "Result": {"a": 1}}, "must be a JSON string"),
    ],
)
def test_invalid_outputs_are_failed_invocations(output, message):
    result = run(lambda raw: output)
    assert result.status is InvocationStatus.FAILED
    first = result.history[1]["InvocationCompletedDetails"]["Error"]["Payload"]
    assert message in first["ErrorMessage"]


def test_failed_output_fails_execution():
    result = run(lambda raw: failed("my.Error", "nope"))
    assert result.status is InvocationStatus.FAILED
    assert (result.error.type, result.error.message) == ("my.Error", "nope")
    assert event_types(result.history)[-2:] == ["InvocationCompleted", "ExecutionFailed"]


def test_large_result_through_execution_update():
    seen = {}

    def body(raw):
        response = raw.checkpoint(step_start("s"), step_succeed("s", "1"), execution_succeed('{"big": true}'))
        seen["response"] = response
        return {"Status": "SUCCEEDED", "Result": ""}

    result = run(body)
    assert "CheckpointToken" not in seen["response"]
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '{"big": true}'
    assert result.history[-1]["ExecutionSucceededDetails"]["Result"]["Payload"] == '{"big": true}'


def test_large_error_through_execution_update_and_later_checkpoints_fail():
    seen = {}

    def body(raw):
        raw.checkpoint(execution_fail("too big to return"))
        try:
            raw.client.checkpoint_durable_execution(DurableExecutionArn=raw.arn, CheckpointToken="abc=", Updates=[])
        except ClientError as error:
            seen["code"] = error.response["Error"]["Code"]
        return {"Status": "FAILED"}

    result = run(body)
    assert seen["code"] == "InvalidParameterValueException"
    assert result.status is InvocationStatus.FAILED
    assert (result.error.type, result.error.message) == ("BigError", "too big to return")


def test_execution_timeout_is_wall_clock_and_reported():
    def body(raw):
        raw.checkpoint({"Id": "cb", "Type": "CALLBACK", "Action": "START", "SubType": "Callback",
                        "CallbackOptions": {"TimeoutSeconds": 0, "HeartbeatTimeoutSeconds": 0}})
        return pending()

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        arn = runner.run_async(execution_timeout=0.2)
        result = runner.wait_for_result(arn, timeout=10)
    assert result.execution_status is ExecutionStatus.TIMED_OUT
    assert result.status is InvocationStatus.FAILED
    assert result.error.message == "Execution timed out after 0.2 seconds."
    assert result.history[-1]["EventType"] == "ExecutionTimedOut"


def test_client_describe_history_and_stop():
    seen = {}

    def body(raw):
        client = raw.client
        described = client.get_durable_execution(DurableExecutionArn=raw.arn)
        seen["status"] = described["Status"]
        seen["input"] = described["InputPayload"]
        raw.checkpoint(step_start("s"), step_succeed("s", "1"))
        page = client.get_durable_execution_history(DurableExecutionArn=raw.arn, MaxItems=2)
        seen["page"] = [e["EventId"] for e in page["Events"]]
        seen["marker"] = page.get("NextMarker")
        reverse = client.get_durable_execution_history(DurableExecutionArn=raw.arn, ReverseOrder=True)
        seen["reverse"] = [e["EventId"] for e in reverse["Events"]]
        client.stop_durable_execution(DurableExecutionArn=raw.arn, Error={"ErrorMessage": "enough"})
        return pending()

    result = run(body, input="[1]")
    assert seen["status"] == "RUNNING" and seen["input"] == "[1]"
    assert seen["page"] == [1, 2] and seen["marker"]
    assert seen["reverse"] == [3, 2, 1]
    assert result.execution_status is ExecutionStatus.STOPPED
    assert result.error.message == "enough"
    assert event_types(result.history)[-2:] == ["ExecutionStopped", "InvocationCompleted"]


def test_unknown_execution_arn_is_rejected():
    seen = {}

    def body(raw):
        try:
            raw.client.checkpoint_durable_execution(
                DurableExecutionArn=raw.arn + "x", CheckpointToken=raw.token, Updates=[]
            )
        except ClientError as error:
            seen["error"] = error.response["Error"]
        return succeeded(None)

    run(body)
    assert seen["error"]["Code"] == "InvalidParameterValueException"


def test_results_are_json_documents():
    result = run(lambda raw: succeeded({"a": [1, 2]}))
    assert json.loads(result.result) == {"a": [1, 2]}


def test_broken_listener_is_logged_not_raised(caplog):
    def listener(event):
        raise RuntimeError("listener bug")

    with DurableFunctionTestRunner(raw_handler(lambda raw: succeeded(1)), on_event=listener) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED
    assert "history listener failed" in caplog.text


def test_without_skip_time_timers_follow_the_wall_clock():
    def body(raw):
        if raw.status("w") is None:
            raw.checkpoint(wait_start("w", 1))
            return pending()
        return succeeded(None)

    began = time.monotonic()
    result = run(body, skip_time=False)
    assert result.status is InvocationStatus.SUCCEEDED
    assert time.monotonic() - began >= 0.9
