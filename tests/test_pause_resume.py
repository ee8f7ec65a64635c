"""Pause, resume and delete: the local service, the test runner, and the HTTP emulator (boto3)."""
from __future__ import annotations

import datetime
import json
import threading
import time

import pytest

from lambda_durable.config import Duration
from lambda_durable.execution import durable_execution
from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.testing import (
    DriveOutcome,
    DurableFunctionTestRunner,
    ExecutionStatus,
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)

# -- handlers ----------------------------------------------------------------------------------

RUNS: dict[str, int] = {}


def _count(name: str) -> None:
    RUNS[name] = RUNS.get(name, 0) + 1


@durable_execution
def approval_flow(event, context):
    callback = context.create_callback(name="approval")  # no timeout: run() stops at it
    return {"approved": json.loads(callback.result())}


#: set by a test: called inside step "first" with the service and the execution's ARN
IN_STEP: list = []


@durable_execution
def two_steps(event, context):
    def first(step_context):
        _count("first")
        for action in IN_STEP:
            action()
        return 1

    def second(step_context):
        _count("second")
        return 2

    return context.step(first, name="first") + context.step(second, name="second")


@durable_execution
def wait_then_step(event, context):
    context.wait(Duration.from_seconds(60), name="pause-me")
    return context.step(lambda _: "after", name="after")


GATE = threading.Event()
IN_FIRST = threading.Event()


@durable_execution
def gated(event, context):
    def first(step_context):
        IN_FIRST.set()
        assert GATE.wait(10)
        return "first"

    first_result = context.step(first, name="first")
    return [first_result, context.step(lambda _: "second", name="second")]


@pytest.fixture(autouse=True)
def _reset():
    RUNS.clear()
    IN_STEP.clear()
    GATE.clear()
    IN_FIRST.clear()
    yield
    GATE.set()


def _types(events) -> list[str]:
    return [event["EventType"] for event in events]


def _only_arn(service) -> str:
    (arn,) = list(service.executions)
    return arn


# -- the service --------------------------------------------------------------------------------


def test_pause_while_idle_takes_effect_at_once_and_callbacks_still_complete():
    with DurableFunctionTestRunner(approval_flow) as runner:
        service = runner.service
        first = runner.run(input="{}")
        assert first.status is InvocationStatus.PENDING
        arn = first.execution_arn
        invocations = service.get_execution(arn).invocations

        service.pause_execution(arn, reason="maintenance", execution_timeout_paused=False)
        described = service.describe_execution(arn)
        assert described["Status"] == "PAUSED"
        assert described["PauseDetails"]["Reason"] == "maintenance"
        assert described["PauseDetails"]["ExecutionTimeoutPaused"] is False
        assert isinstance(described["PauseDetails"]["PauseRequestTimestamp"], datetime.datetime)
        paused_event = service.get_history(arn)[-1]
        assert paused_event["EventType"] == "ExecutionPaused"
        assert paused_event["ExecutionPausedDetails"] == {
            "PauseRequestTimestamp": described["PauseDetails"]["PauseRequestTimestamp"],
            "Reason": {"Payload": "maintenance", "Truncated": False},
            "ExecutionTimeoutPaused": False,
        }
        with pytest.raises(ResourceConflictException):
            service.pause_execution(arn)

        # the callback completes while paused, but no invocation starts
        (callback,) = first.open_callbacks
        runner.send_callback_success(callback.callback_id, b"true")
        execution = service.get_execution(arn)
        assert service.drive(execution) == DriveOutcome.PAUSED
        assert execution.invocations == invocations
        assert _types(service.get_history(arn))[-2:] == ["ExecutionPaused", "CallbackSucceeded"]

        service.resume_execution(arn, reason="done")
        assert service.describe_execution(arn)["Status"] == "RUNNING"
        assert "PauseDetails" not in service.describe_execution(arn)
        resumed = service.get_history(arn)[-1]
        assert resumed["EventType"] == "ExecutionResumed"
        assert resumed["ExecutionResumedDetails"]["Reason"] == {"Payload": "done", "Truncated": False}
        with pytest.raises(ResourceConflictException):
            service.resume_execution(arn)

        result = runner.wait_for_result(arn)
        assert result.status is InvocationStatus.SUCCEEDED
        assert json.loads(result.result) == {"approved": True}
        assert execution.invocations == invocations + 1


def test_pause_during_an_invocation_takes_effect_at_its_next_checkpoint():
    with DurableFunctionTestRunner(two_steps) as runner:
        service = runner.service
        seen: list[str] = []

        def pause_from_the_step():
            arn = _only_arn(service)
            service.pause_execution(arn)
            seen.append(service.describe_execution(arn)["Status"])
            IN_STEP.clear()

        IN_STEP.append(pause_from_the_step)
        first = runner.run(input="{}")
        arn = first.execution_arn
        assert seen == ["PAUSING"]  # the invocation was still running
        assert first.status is InvocationStatus.PENDING
        assert first.execution_status is ExecutionStatus.PAUSED
        # the step's SUCCEED checkpoint was applied, then the invocation ended (PENDING)
        assert _types(first.history) == [
            "ExecutionStarted", "StepStarted", "StepSucceeded", "ExecutionPaused",
            "InvocationCompleted",
        ]
        assert RUNS == {"first": 1}
        execution = service.get_execution(arn)
        assert execution.needs_invoke  # the interrupted invocation is owed a successor

        runner.resume_execution(arn)
        runner.resume_execution(arn)  # not paused any more: left as it is
        result = runner.wait_for_result(arn)
        assert result.status is InvocationStatus.SUCCEEDED and result.result == "3"
        assert RUNS == {"first": 1, "second": 1}
        assert _types(result.history)[5:] == [
            "ExecutionResumed", "StepStarted", "StepSucceeded", "InvocationCompleted",
            "ExecutionSucceeded",
        ]


def test_checkpoint_after_the_pause_is_answered_without_a_token():
    with DurableFunctionTestRunner(two_steps) as runner:
        service = runner.service
        responses: list[dict] = []
        original = service.checkpoint

        def recording_checkpoint(*args, **kwargs):
            response = original(*args, **kwargs)
            responses.append(response)
            return response

        service.checkpoint = recording_checkpoint  # type: ignore[method-assign]
        IN_STEP.append(lambda: service.pause_execution(_only_arn(service)))
        runner.run(input="{}")
        assert responses and "CheckpointToken" not in responses[-1]
        assert all("CheckpointToken" in response for response in responses[:-1])


def test_resume_while_pausing_cancels_the_pause():
    with DurableFunctionTestRunner(two_steps) as runner:
        service = runner.service

        def pause_then_resume():
            arn = _only_arn(service)
            service.pause_execution(arn)
            service.resume_execution(arn)

        IN_STEP.append(pause_then_resume)
        result = runner.run(input="{}")
        assert result.status is InvocationStatus.SUCCEEDED and result.result == "3"
        events = _types(result.history)
        assert "ExecutionPaused" not in events and "ExecutionResumed" not in events
        assert events.count("InvocationCompleted") == 1


def test_waits_complete_while_paused_in_a_background_run():
    service_box: list = []

    def on_event(event):
        if event["EventType"] == "WaitStarted":  # under the service lock, mid-checkpoint
            service = service_box[0]
            service.pause_execution(_only_arn(service))

    with DurableFunctionTestRunner(wait_then_step, on_event=on_event) as runner:
        service = runner.service
        service_box.append(service)
        arn = runner.run_async(input="{}")
        execution = service.get_execution(arn)
        deadline = time.monotonic() + 10
        with service.cond:
            while "WaitSucceeded" not in _types(execution.history.events):
                assert time.monotonic() < deadline, _types(execution.history.events)
                service.cond.wait(deadline - time.monotonic())
            assert execution.api_status == "PAUSED"
            assert execution.invocations == 1 and execution.needs_invoke
        runner.resume_execution(arn)
        result = runner.wait_for_result(arn, timeout=10)
        assert result.status is InvocationStatus.SUCCEEDED and result.result == '"after"'
        events = _types(result.history)
        assert events.index("ExecutionPaused") < events.index("WaitSucceeded") < events.index(
            "ExecutionResumed"
        )


def test_runner_pause_execution_waits_for_the_running_invocation():
    with DurableFunctionTestRunner(gated) as runner:
        service = runner.service
        arn = runner.run_async(input="{}")
        assert IN_FIRST.wait(10)
        outcome: list = []
        pauser = threading.Thread(
            target=lambda: outcome.append(runner.pause_execution(arn, timeout=10))
        )
        pauser.start()
        deadline = time.monotonic() + 10
        while service.describe_execution(arn)["Status"] != "PAUSING":
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert pauser.is_alive()  # still waiting: the step has not checkpointed
        GATE.set()
        pauser.join(10)
        assert outcome == [None]
        execution = service.get_execution(arn)
        assert execution.api_status == "PAUSED" and not execution.invoking
        assert _types(execution.history.events)[-3:] == [
            "StepSucceeded", "ExecutionPaused", "InvocationCompleted",
        ]
        runner.pause_execution(arn, timeout=1)  # already paused: returns
        runner.resume_execution(arn)
        result = runner.wait_for_result(arn, timeout=10)
        assert json.loads(result.result) == ["first", "second"]


def test_runner_pause_execution_times_out_and_validates_its_timeout():
    with DurableFunctionTestRunner(gated) as runner:
        arn = runner.run_async(input="{}")
        assert IN_FIRST.wait(10)
        with pytest.raises(ValueError):
            runner.pause_execution(arn, timeout=0)
        with pytest.raises(TimeoutError):
            runner.pause_execution(arn, timeout=0.05)
        assert runner.service.describe_execution(arn)["Status"] == "PAUSING"  # request stays
        GATE.set()
        runner.resume_execution(arn)  # cancels the pending pause
        assert runner.wait_for_result(arn, timeout=10).status is InvocationStatus.SUCCEEDED
        with pytest.raises(ResourceNotFoundException):
            runner.pause_execution("arn:aws:lambda:us-west-2:123456789012:function:f:$LATEST"
                                   "/durable-execution/x/y")


def test_wait_for_result_waits_for_a_resume_from_another_thread():
    with DurableFunctionTestRunner(two_steps) as runner:
        service = runner.service
        IN_STEP.append(lambda: service.pause_execution(_only_arn(service)))
        arn = runner.run(input="{}").execution_arn
        IN_STEP.clear()
        with pytest.raises(TimeoutError):
            runner.wait_for_result(arn, timeout=0.05)
        timer = threading.Timer(0.05, runner.resume_execution, args=(arn,))
        timer.start()
        result = runner.wait_for_result(arn, timeout=10)
        timer.join()
        assert result.status is InvocationStatus.SUCCEEDED


@pytest.mark.parametrize("timeout_paused", [True, False])
def test_execution_timeout_clock_stops_only_when_asked(timeout_paused):
    with DurableFunctionTestRunner(approval_flow, execution_timeout=0.6) as runner:
        service = runner.service
        first = runner.run(input="{}")
        arn = first.execution_arn
        service.pause_execution(arn, execution_timeout_paused=timeout_paused)
        threading.Event().wait(0.8)  # longer than the whole execution timeout
        if timeout_paused:
            service.resume_execution(arn)
            runner.send_callback_success(first.open_callbacks[0].callback_id, b"1")
            result = runner.wait_for_result(arn, timeout=10)
            assert result.status is InvocationStatus.SUCCEEDED
            assert service.get_execution(arn).timeout_extended >= 0.8
        else:
            result = runner.wait_for_result(arn, timeout=10)
            assert result.execution_status is ExecutionStatus.TIMED_OUT
            assert "PauseDetails" not in service.describe_execution(arn)


def test_conflicts_idempotency_and_validation():
    with DurableFunctionTestRunner(approval_flow) as runner:
        service = runner.service
        arn = runner.run(input="{}").execution_arn
        with pytest.raises(ResourceConflictException):
            service.resume_execution(arn)  # not paused
        with pytest.raises(InvalidParameterValueException):
            service.pause_execution(arn, reason="x" * 1025)
        with pytest.raises(InvalidParameterValueException):
            service.pause_execution(arn, client_token="")
        service.pause_execution(arn, client_token="token-1")
        service.pause_execution(arn, client_token="token-1")  # the same request again
        with pytest.raises(ResourceConflictException):
            service.pause_execution(arn, client_token="token-2")
        service.resume_execution(arn, client_token="token-3")
        service.resume_execution(arn, client_token="token-3")
        service.stop_execution(arn)
        with pytest.raises(ResourceConflictException):
            service.pause_execution(arn)
        with pytest.raises(ResourceConflictException):
            service.resume_execution(arn)
        runner.pause_execution(arn)  # the runner leaves an ended execution as it is
        runner.resume_execution(arn)


def test_stop_a_paused_execution():
    with DurableFunctionTestRunner(approval_flow) as runner:
        service = runner.service
        arn = runner.run(input="{}").execution_arn
        service.pause_execution(arn)
        service.stop_execution(arn)
        described = service.describe_execution(arn)
        assert described["Status"] == "STOPPED" and "PauseDetails" not in described


def test_delete_needs_an_ended_execution_and_removes_it():
    with DurableFunctionTestRunner(approval_flow) as runner:
        service = runner.service
        first = runner.run(input="{}")
        arn = first.execution_arn
        callback_id = first.open_callbacks[0].callback_id
        with pytest.raises(ResourceConflictException):
            service.delete_execution(arn)
        service.pause_execution(arn)
        with pytest.raises(ResourceConflictException):
            service.delete_execution(arn)
        service.stop_execution(arn)
        deleted = service.delete_execution(arn)
        assert isinstance(deleted, datetime.datetime) and deleted.tzinfo is not None
        for call in (
            lambda: service.describe_execution(arn),
            lambda: service.get_history(arn),
            lambda: service.delete_execution(arn),
            lambda: service.pause_execution(arn),
            lambda: service.send_callback_success(callback_id, b"1"),
        ):
            with pytest.raises(ResourceNotFoundException):
                call()


# -- the HTTP emulator through boto3 ------------------------------------------------------------

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402

from lambda_durable.local.server import DurableHttpServer  # noqa: E402


def _client(url: str):
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )


def _poll(fn, predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while True:
        value = fn()
        if predicate(value):
            return value
        assert time.monotonic() < deadline, f"condition not reached; last value: {value!r}"
        time.sleep(0.02)


@pytest.fixture
def http_server():
    server = DurableHttpServer("127.0.0.1", 0, skip_time=True, execution_timeout=60)
    server.register_function("approvals", approval_flow)
    with server:
        yield server


def test_pause_resume_and_delete_over_http(http_server):
    lam = _client(http_server.url)
    arn = lam.invoke(
        FunctionName="approvals", InvocationType="Event", DurableExecutionName="pr-1", Payload=b"{}"
    )["DurableExecutionArn"]

    def history():
        return lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]

    started = _poll(history, lambda events: "InvocationCompleted" in _types(events))
    callback_id = next(
        e["CallbackStartedDetails"]["CallbackId"] for e in started if e["EventType"] == "CallbackStarted"
    )
    with pytest.raises(lam.exceptions.ResourceConflictException) as info:
        lam.delete_durable_execution(DurableExecutionArn=arn)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.resume_durable_execution(DurableExecutionArn=arn)

    paused = lam.pause_durable_execution(DurableExecutionArn=arn, Reason="deploy")
    assert paused["ResponseMetadata"]["HTTPStatusCode"] == 202
    described = lam.get_durable_execution(DurableExecutionArn=arn)
    assert described["Status"] == "PAUSED"
    assert described["PauseDetails"]["Reason"] == "deploy"
    assert described["PauseDetails"]["ExecutionTimeoutPaused"] is True  # the API's default
    assert described["PauseDetails"]["PauseRequestTimestamp"].tzinfo is not None
    listed = lam.list_durable_executions_by_function(FunctionName="approvals", Statuses=["PAUSED"])
    assert [item["DurableExecutionArn"] for item in listed["DurableExecutions"]] == [arn]
    assert listed["DurableExecutions"][0]["Status"] == "PAUSED"
    paused_event = history()[-1]
    assert paused_event["EventType"] == "ExecutionPaused"
    assert paused_event["ExecutionPausedDetails"]["Reason"] == {"Payload": "deploy", "Truncated": False}
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.pause_durable_execution(DurableExecutionArn=arn)

    lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"true")
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "PAUSED"
    resumed = lam.resume_durable_execution(DurableExecutionArn=arn, Reason="deployed")
    assert resumed["ResponseMetadata"]["HTTPStatusCode"] == 202
    done = _poll(lambda: lam.get_durable_execution(DurableExecutionArn=arn),
                 lambda d: d["Status"] == "SUCCEEDED")
    assert json.loads(done["Result"]) == {"approved": True}
    events = _types(history())
    assert events.index("ExecutionPaused") < events.index("CallbackSucceeded") < events.index(
        "ExecutionResumed"
    )
    assert events.count("InvocationCompleted") == 2

    deleted = lam.delete_durable_execution(DurableExecutionArn=arn)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert deleted["DeletionRequestTimestamp"].tzinfo is not None
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_durable_execution(DurableExecutionArn=arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_durable_execution(DurableExecutionArn=arn)
    assert lam.list_durable_executions_by_function(FunctionName="approvals")["DurableExecutions"] == []


def test_pause_request_validation_over_http(http_server):
    lam = _client(http_server.url)
    arn = lam.invoke(FunctionName="approvals", InvocationType="Event", Payload=b"{}")[
        "DurableExecutionArn"
    ]
    _poll(lambda: lam.get_durable_execution(DurableExecutionArn=arn), lambda d: d["Status"] == "RUNNING")
    lam.pause_durable_execution(DurableExecutionArn=arn, ExecutionTimeoutPaused=False, ClientToken="t-1")
    lam.pause_durable_execution(DurableExecutionArn=arn, ExecutionTimeoutPaused=False, ClientToken="t-1")
    assert lam.get_durable_execution(DurableExecutionArn=arn)["PauseDetails"]["ExecutionTimeoutPaused"] is False
    lam.stop_durable_execution(DurableExecutionArn=arn)
    with pytest.raises(lam.exceptions.ResourceConflictException) as info:
        lam.pause_durable_execution(DurableExecutionArn=arn)
    assert info.value.response["Error"]["Code"] == "ResourceConflictException"
    unknown = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/x/y"
    for call in (lam.pause_durable_execution, lam.resume_durable_execution, lam.delete_durable_execution):
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            call(DurableExecutionArn=unknown)
