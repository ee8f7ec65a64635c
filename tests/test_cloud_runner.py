"""DurableFunctionCloudTestRunner against the HTTP emulator on loopback (real boto3 client), and
DurableFunctionTestResult built from the durable APIs' responses."""
from __future__ import annotations

import json

import pytest

from lambda_durable.config import Duration, StepConfig
from lambda_durable.execution import durable_execution
from lambda_durable.lambda_service import ErrorObject, InvocationStatus, OperationStatus
from lambda_durable.retries import RetryDecision
from lambda_durable.testing import (
    DurableFunctionCloudTestRunner,
    DurableFunctionsTestError,
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    ExecutionStatus,
)

pytest.importorskip("boto3")
from lambda_durable.local.server import DurableHttpServer  # noqa: E402

ATTEMPTS: list[int] = []


def _retry_once(error, attempts_made):
    return RetryDecision.retry(Duration(5)) if attempts_made < 2 else RetryDecision.no_retry()


def _flaky(_):
    ATTEMPTS.append(1)
    if len(ATTEMPTS) % 2:
        raise RuntimeError("first attempt fails")
    return "charged"


@durable_execution
def order_flow(event, context):
    charged = context.step(_flaky, name="charge", config=StepConfig(retry_strategy=_retry_once))
    context.wait(Duration.from_seconds(30), name="cool-off")
    approval = context.wait_for_callback(lambda callback_id, ctx: None, name="approval")
    with_child = context.run_in_child_context(
        lambda child: child.step(lambda _: "inner", name="inner-step"), name="child"
    )
    return {"order": event["order"], "charged": charged, "approval": json.loads(approval),
            "child": with_child}


@durable_execution
def double(event, context):
    return context.step(lambda _: event.get("n", 0) * 2, name="double")


@durable_execution
def broken(event, context):
    context.step(lambda _: 1, name="fine")
    raise ValueError("the order is broken")


def plain(event, context):
    return "not durable"


@pytest.fixture
def server(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    ATTEMPTS.clear()
    srv = DurableHttpServer("127.0.0.1", 0, skip_time=True, execution_timeout=60)
    for name, handler in (("orders", order_flow), ("double", double), ("broken", broken),
                          ("plain", plain)):
        srv.register_function(name, handler)
    with srv:
        yield srv


def _runner(server, function_name: str) -> DurableFunctionCloudTestRunner:
    return DurableFunctionCloudTestRunner(
        function_name, region="us-east-1", lambda_endpoint=server.url, poll_interval=0.02
    )


def _types(events) -> list[str]:
    return [event["EventType"] for event in events]


def test_a_workflow_with_a_callback_answered_through_the_cloud_runner(server):
    with _runner(server, "orders") as runner:
        arn = runner.run_async(input={"order": 7})
        assert ":function:orders:" in arn and "/durable-execution/test-" in arn
        callback_id = runner.wait_for_callback(arn, name="approval", timeout=10)
        runner.send_callback_success(callback_id, b'{"approved": true}')
        result = runner.wait_for_result(arn, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.execution_status is ExecutionStatus.SUCCEEDED
    assert result.execution_arn == arn
    assert json.loads(result.result) == {
        "order": 7, "charged": "charged", "approval": {"approved": True}, "child": "inner",
    }
    charge = result.get_step("charge")
    assert charge.status is OperationStatus.SUCCEEDED
    assert charge.attempt == 2 and charge.result == '"charged"'
    wait = result.get_wait("cool-off")
    assert wait.status is OperationStatus.SUCCEEDED
    assert wait.scheduled_end_timestamp is not None
    approval = result.get_context("approval")
    (callback,) = [op for op in approval.child_operations if op.operation_type.value == "CALLBACK"]
    assert callback.callback_id == callback_id and callback.result == '{"approved": true}'
    assert result.get_context("child").get_step("inner-step").result == '"inner"'
    assert _types(result.history)[0] == "ExecutionStarted"
    assert _types(result.history)[-1] == "ExecutionSucceeded"


def test_run_waits_for_the_result_and_failures_are_reported(server):
    assert _runner(server, "double").run(input={"n": 21}, timeout=10).result == "42"
    assert _runner(server, "double").run(input='{"n": 4}', timeout=10).result == "8"
    failed = _runner(server, "broken").run(input={}, timeout=10)
    assert failed.status is InvocationStatus.FAILED
    assert failed.execution_status is ExecutionStatus.FAILED
    assert failed.error.type == "ValueError" and failed.error.message == "the order is broken"
    assert failed.get_step("fine").status is OperationStatus.SUCCEEDED


def test_pause_and_resume_through_the_cloud_runner(server):
    runner = _runner(server, "orders")
    arn = runner.run_async(input={"order": 1})
    callback_id = runner.wait_for_callback(arn, timeout=10)
    runner.pause_execution(arn, timeout=10)
    lam = runner.lambda_client
    described = lam.get_durable_execution(DurableExecutionArn=arn)
    assert described["Status"] == "PAUSED" and described["PauseDetails"]["ExecutionTimeoutPaused"]
    runner.pause_execution(arn, timeout=10)  # already paused: returns
    runner.send_callback_success(callback_id, "true")
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "PAUSED"
    runner.resume_execution(arn)
    result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    events = _types(result.history)
    assert events.index("ExecutionPaused") < events.index("CallbackSucceeded") < events.index(
        "ExecutionResumed"
    )
    runner.pause_execution(arn, timeout=1)  # ended: left as it is
    runner.resume_execution(arn)


def test_cloud_runner_errors(server):
    runner = _runner(server, "orders")
    arn = runner.run_async(input={"order": 2})
    with pytest.raises(TimeoutError):
        runner.wait_for_result(arn, timeout=0.1)
    callback_id = runner.wait_for_callback(arn, name="approval", timeout=10)
    runner.send_callback_failure(callback_id, ErrorObject.from_dict(
        {"ErrorType": "Rejected", "ErrorMessage": "no"}))
    failed = runner.wait_for_result(arn, timeout=10)
    assert failed.status is InvocationStatus.FAILED
    with pytest.raises(DurableFunctionsTestError, match="already completed"):
        runner.wait_for_callback(arn, name="approval", timeout=10)
    with pytest.raises(DurableFunctionsTestError, match="ended without an open callback"):
        runner.wait_for_callback(arn, timeout=10)
    with pytest.raises(DurableFunctionsTestError):
        runner.send_callback_success(callback_id, b"1")
    with pytest.raises(DurableFunctionsTestError):
        runner.send_callback_heartbeat("AAAA")
    with pytest.raises(DurableFunctionsTestError, match="Failed to invoke"):
        _runner(server, "missing").run_async(input={})
    with pytest.raises(DurableFunctionsTestError, match="no DurableExecutionArn|not 202"):
        _runner(server, "plain").run_async(input={})
    with pytest.raises(ValueError):
        runner.run_async(input="{not json")
    with pytest.raises(ValueError):
        DurableFunctionCloudTestRunner("orders", poll_interval=0)


def test_from_execution_history_rebuilds_what_create_reports():
    ATTEMPTS.clear()
    with DurableFunctionTestRunner(order_flow) as runner:
        first = runner.run(input={"order": 3})
        assert first.status is InvocationStatus.PENDING
        arn = first.execution_arn
        service = runner.service
        pending = DurableFunctionTestResult.from_execution_history(
            service.describe_execution(arn), {"Events": service.get_history(arn)}
        )
        assert pending.status is InvocationStatus.PENDING
        assert [c.callback_id for c in pending.open_callbacks] == [
            c.callback_id for c in first.open_callbacks
        ]
        assert json.loads(pending.result) == json.loads(first.result)
        assert pending.operations == first.operations

        runner.send_callback_success(first.open_callbacks[0].callback_id, b"1")
        assert runner.wait_for_result(arn).status is InvocationStatus.SUCCEEDED
        with service.lock:
            created = DurableFunctionTestResult.create(service.get_execution(arn))
        rebuilt = DurableFunctionTestResult.from_execution_history(
            service.describe_execution(arn), service.get_history(arn)
        )
    assert rebuilt.status is created.status is InvocationStatus.SUCCEEDED
    assert rebuilt.result == created.result
    assert rebuilt.execution_status is ExecutionStatus.SUCCEEDED
    assert rebuilt.operations == created.operations
    assert len(rebuilt.get_all_operations()) == len(created.get_all_operations()) > 5
