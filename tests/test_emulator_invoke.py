"""Chained invokes on the local service: plain targets, durable targets (child executions on the
same service), failures and unknown functions."""
from __future__ import annotations

import json

from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.testing import DurableFunctionTestRunner, ExecutionStatus
from lambda_durable.testing.service import is_durable_handler
from test_emulator_support import (
    callback_start,
    durable_raw,
    event_types,
    failed,
    invoke_start,
    pending,
    raw_handler,
    succeeded,
    wait_start,
)


def invoker(function_name, payload):
    def body(raw):
        status = raw.status("inv")
        if status is None:
            raw.checkpoint(invoke_start("inv", function_name, payload, name="call"))
            return pending()
        if status == "STARTED":
            return pending()
        details = raw.ops["inv"].get("ChainedInvokeDetails") or {}
        return succeeded({"status": status, "result": details.get("Result"), "error": details.get("Error")})

    return raw_handler(body)


def outcome(result):
    return json.loads(result.result)


def test_plain_target_gets_decoded_payload_and_context():
    seen = {}

    def target(event, context):
        seen["event"] = event
        seen["function_name"] = context.function_name
        return {"paid": event["amount"] * 2}

    with DurableFunctionTestRunner(invoker("payments:live", {"amount": 21})) as runner:
        runner.register_function("payments", target)
        result = runner.run()
    assert seen == {"event": {"amount": 21}, "function_name": "payments"}
    assert outcome(result) == {"status": "SUCCEEDED", "result": '{"paid": 42}', "error": None}
    assert event_types(result.history) == [
        "ExecutionStarted", "ChainedInvokeStarted", "InvocationCompleted", "ChainedInvokeSucceeded",
        "InvocationCompleted", "ExecutionSucceeded",
    ]
    started = result.history[1]
    assert started["SubType"] == "ChainedInvoke" and started["Name"] == "call"
    assert started["ChainedInvokeStartedDetails"] == {
        "FunctionName": "payments:live",
        "Input": {"Payload": '{"amount": 21}', "Truncated": False},
        "ExecutedVersion": "$LATEST",
    }
    assert result.history[3]["ChainedInvokeSucceededDetails"] == {
        "Result": {"Payload": '{"paid": 42}', "Truncated": False}}
    invoke = result.get_invoke("call")
    assert invoke.result == '{"paid": 42}'


def test_plain_target_error_fails_the_invoke():
    def target(event, context):
        raise KeyError("missing")

    with DurableFunctionTestRunner(invoker("arn:aws:lambda:us-west-2:123456789012:function:broken", None)) as runner:
        runner.register_function("broken", target)
        result = runner.run()
    got = outcome(result)
    assert got["status"] == "FAILED"
    assert got["error"]["ErrorType"] == "KeyError"
    assert "ChainedInvokeFailed" in event_types(result.history)


def test_unknown_function_fails_with_resource_not_found():
    with DurableFunctionTestRunner(invoker("nobody", {"x": 1})) as runner:
        result = runner.run()
    got = outcome(result)
    assert got["status"] == "FAILED"
    assert got["error"] == {"ErrorType": "ResourceNotFoundException", "ErrorMessage": "Function not found: nobody"}
    assert "ExecutedVersion" not in result.history[1]["ChainedInvokeStartedDetails"]


def test_durable_target_runs_as_a_child_execution():
    def child(raw):
        if raw.status("w") is None:
            raw.checkpoint(wait_start("w", 3600))
            return pending()
        return succeeded({"doubled": raw.input["n"] * 2})

    child_handler = durable_raw(child)
    assert is_durable_handler(child_handler)
    with DurableFunctionTestRunner(invoker("doubler", {"n": 4})) as runner:
        runner.register_durable_function("doubler", child_handler)
        result = runner.run()
        started = result.history[1]["ChainedInvokeStartedDetails"]
        child_arn = started["DurableExecutionArn"]
        assert "function:doubler:$LATEST/durable-execution/" in child_arn
        child_history = runner.get_execution_history(child_arn, include_execution_data=True).events
        child_result = runner.get_result(child_arn)
    assert outcome(result) == {"status": "SUCCEEDED", "result": '{"doubled": 8}', "error": None}
    assert event_types(child_history) == [
        "ExecutionStarted", "WaitStarted", "InvocationCompleted", "WaitSucceeded", "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert child_history[0]["ExecutionStartedDetails"]["Input"]["Payload"] == '{"n": 4}'
    assert child_history[0]["ExecutionStartedDetails"]["ExecutionTimeout"] == 120
    assert child_result.status is InvocationStatus.SUCCEEDED


def test_register_function_detects_durable_handlers():
    child_handler = durable_raw(lambda raw: failed("ChildError", "no"))
    with DurableFunctionTestRunner(invoker("child", None)) as runner:
        runner.register_function("child", child_handler)
        result = runner.run()
    got = outcome(result)
    assert got["status"] == "FAILED"
    assert got["error"] == {"ErrorType": "ChildError", "ErrorMessage": "no"}


def test_durable_child_waiting_on_a_callback_blocks_the_parent():
    def child(raw):
        if raw.status("cb") is None:
            raw.checkpoint(callback_start("cb", "child-approval"))
            return pending()
        return succeeded(raw.ops["cb"]["CallbackDetails"]["Result"])

    with DurableFunctionTestRunner(invoker("child", None)) as runner:
        runner.register_durable_function("child", durable_raw(child))
        first = runner.run()
        assert first.status is InvocationStatus.PENDING
        [callback] = first.open_callbacks
        assert callback.name == "child-approval" and callback.execution_arn != first.execution_arn
        runner.send_callback_success(callback.callback_id, "yes")
        final = runner.wait_for_result(first.execution_arn)
    assert outcome(final)["result"] == '"yes"'


def test_durable_child_async_run():
    def child(raw):
        if raw.status("cb") is None:
            raw.checkpoint(callback_start("cb", "inner"))
            return pending()
        return succeeded("child done")

    with DurableFunctionTestRunner(invoker("child", None)) as runner:
        runner.register_durable_function("child", durable_raw(child))
        arn = runner.run_async()
        parent = runner.service.get_execution(arn)
        # find the child through the parent's history once the invoke started
        child_arn = None
        with runner.service.cond:
            runner.service.cond.wait_for(lambda: parent.children, timeout=10)
            child_arn = parent.children[0].arn
        callback_id = runner.wait_for_callback(child_arn, "inner", timeout=10)
        runner.send_callback_success(callback_id, "x")
        result = runner.wait_for_result(arn, timeout=10)
    assert outcome(result)["result"] == '"child done"'
    assert result.execution_status is ExecutionStatus.SUCCEEDED


def test_durable_child_timing_out_times_out_the_invoke():
    def child(raw):
        if raw.status("cb") is None:
            raw.checkpoint(callback_start("cb", "never"))
        return pending()

    with DurableFunctionTestRunner(invoker("slow", None)) as runner:
        runner.register_durable_function("slow", durable_raw(child), execution_timeout=0.1)
        arn = runner.run_async()
        result = runner.wait_for_result(arn, timeout=10)
    got = outcome(result)
    assert got["status"] == "TIMED_OUT"
    assert got["error"]["ErrorMessage"] == "Execution timed out after 0.1 seconds."
    assert "ChainedInvokeTimedOut" in event_types(result.history)


def test_cancelling_a_chained_invoke_stops_the_child():
    def child(raw):
        if raw.status("cb") is None:
            raw.checkpoint(callback_start("cb", "never"))
        return pending()

    def parent(raw):
        if raw.status("inv") is None:
            raw.checkpoint(invoke_start("inv", "child", None, name="call"), wait_start("deadline", 60))
            return pending()
        if raw.status("deadline") != "SUCCEEDED":
            return pending()
        raw.checkpoint({"Id": "inv", "Type": "CHAINED_INVOKE", "Action": "CANCEL", "SubType": "ChainedInvoke"})
        return succeeded(raw.ops["inv"]["Status"])

    with DurableFunctionTestRunner(raw_handler(parent)) as runner:
        runner.register_durable_function("child", durable_raw(child))
        result = runner.run()
        child_arn = result.history[1]["ChainedInvokeStartedDetails"]["DurableExecutionArn"]
        child_result = runner.get_result(child_arn)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"CANCELLED"'
    assert "ChainedInvokeStopped" in event_types(result.history)
    assert child_result.execution_status is ExecutionStatus.STOPPED
