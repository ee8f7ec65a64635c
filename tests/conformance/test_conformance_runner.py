"""Self-tests of the conformance runner on synthetic requirement files (always run).

They check the pipeline (Variables, Input, history, result, logs, registry) and above all the
virtual-clock interleaving of scripted callback actions with the service's own timers.
"""
from __future__ import annotations

import datetime
import json
import sys

import pytest
import yaml

from lambda_durable import (
    CallbackError,
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
)
from lambda_durable.config import CallbackConfig, Duration, WaitForCallbackConfig

from . import registry
from .runner import KNOWN_DISPUTED, run_requirement


def write(tmp_path, req_id, spec, suite="synthetic"):
    folder = tmp_path / suite
    folder.mkdir(exist_ok=True)
    path = folder / f"{req_id}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def ev(event_id, event_type, **fields):
    return {"EventType": event_type, "EventId": event_id, "EventTimestamp": "*", **fields}


def seconds_between(result, first_id, second_id):
    stamps = {e["EventId"]: e["EventTimestamp"] for e in result.history}
    delta = stamps[second_id] - stamps[first_id]
    assert isinstance(delta, datetime.timedelta)
    return delta.total_seconds()


# -- handlers --------------------------------------------------------------------------------------


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    step_context.logger.info("Greeting step started for: %s", name)
    return f"Hello, {name}!"


@durable_execution
def greeter(event, context: DurableContext):
    return context.step(greet(event))


@durable_execution
def callback_then_wait(event, context: DurableContext):
    callback = context.create_callback(name=event["name"], config=CallbackConfig(
        timeout=Duration.from_seconds(event.get("timeout", 0))))
    context.wait(Duration.from_seconds(event["wait"]))
    try:
        return callback.result()
    except CallbackError as error:
        raise RuntimeError(f"callback failed: {type(error).__name__}") from error


@durable_execution
def two_callbacks(event, context: DurableContext):
    first = context.create_callback(name=event[0])
    second = context.create_callback(name=event[1])
    return [second.result(), first.result()]


@durable_execution
def waits_for_callback(event, context: DurableContext):
    config = WaitForCallbackConfig(heartbeat_timeout=Duration.from_seconds(event["heartbeat"]))
    return context.wait_for_callback(lambda callback_id, ctx: None, name=event["name"], config=config)


@durable_execution
def open_callback(event, context: DurableContext):
    return context.create_callback(name="never").result()


@durable_execution
def invoker(event, context: DurableContext):
    return context.invoke("echo", event)


# -- the pipeline ----------------------------------------------------------------------------------


STEP_HISTORY = [
    ev(2, "StepStarted", SubType="Step", Id="${ID1}", StepStartedDetails={}),
    ev(3, "StepSucceeded", SubType="Step", Id="${ID1}",
       StepSucceededDetails={"Result": {"Payload": '"Hello, ${INPUT_1}!"', "Truncated": False}}),
    ev(4, "InvocationCompleted", InvocationCompletedDetails={}),
    ev(5, "ExecutionSucceeded", ExecutionSucceededDetails={"Result": "*"}),
]


def test_variables_input_history_result_and_logs(tmp_path):
    path = write(tmp_path, "1-901", {
        "Variables": {"INPUT_1": "${GEN_STR:8}"},
        "Input": "${INPUT_1}",
        "ExpectedResult": {"ExecutionStatus": "SUCCEEDED", "Result": "Hello, ${INPUT_1}!"},
        "ExpectedExecutionHistory": STEP_HISTORY,
        "ExpectedLogs": [
            {"match": {"message": "Greeting step started for: ${INPUT_1}", "operationId": "${ID1}",
                       "attempt": 1}, "count": 1},
            {"match": {"message": "/\\[ERROR\\]/"}, "count": 0},
        ],
    })
    result = run_requirement(path, greeter)
    assert result.passed, result.report()
    assert len(result.bindings["INPUT_1"]) == 8
    assert result.status == "SUCCEEDED"
    assert json.loads(result.result) == f"Hello, {result.bindings['INPUT_1']}!"


def test_every_mismatch_is_reported_and_the_result_check_waits_for_the_history(tmp_path):
    wrong = [dict(e) for e in STEP_HISTORY]
    wrong[0]["EventType"] = "StepFailed"
    wrong[3] = ev(9, "ExecutionSucceeded")
    path = write(tmp_path, "1-902", {
        "Variables": {"INPUT_1": "x"},
        "Input": "${INPUT_1}",
        "ExpectedResult": {"ExecutionStatus": "FAILED"},
        "ExpectedExecutionHistory": wrong,
    })
    result = run_requirement(path, greeter)
    assert not result.passed
    assert len(result.errors) == 2, result.errors
    assert "Event[EventId=2].EventType" in result.errors[0]
    assert "No actual event found for EventId=9" in result.errors[1]
    report = result.report()
    assert "FAILED with 2 error(s)" in report and "StepSucceeded" in report


def test_result_mismatch(tmp_path):
    path = write(tmp_path, "1-903", {
        "Input": "x",
        "ExpectedResult": {"ExecutionStatus": "SUCCEEDED", "Result": "Hello, y!"},
        "ExpectedExecutionHistory": [],
    })
    result = run_requirement(path, greeter)
    assert result.errors == ["Expected Result='Hello, y!', got 'Hello, x!'"]


def test_optional_and_disputed_flags(tmp_path, monkeypatch):
    path = write(tmp_path, "1-904", {"optional": True, "Input": "x",
                                     "ExpectedResult": {"ExecutionStatus": "FAILED"}})
    result = run_requirement(path, greeter)
    assert not result.passed and result.optional and result.excused
    monkeypatch.setitem(KNOWN_DISPUTED, "1-905", "the file contradicts the contract")
    path = write(tmp_path, "1-905", {"Input": "x", "ExpectedResult": {"ExecutionStatus": "FAILED"}})
    result = run_requirement(path, greeter)
    assert result.disputed == "the file contradicts the contract" and result.excused


def test_a_runner_error_is_a_failed_requirement(tmp_path):
    path = write(tmp_path, "1-906", {"Input": "x", "ExpectedResult": {"ExecutionStatus": "SUCCEEDED"}})
    result = run_requirement(path, lambda event, context: None)
    assert not result.passed and "runner error: TypeError" in result.first_error


def test_functions_are_registered_as_chained_invoke_targets(tmp_path):
    path = write(tmp_path, "5-901", {
        "AsyncInvoke": True,
        "Input": {"a": [1, 2]},
        "ExpectedResult": {"ExecutionStatus": "SUCCEEDED", "Result": {"a": [1, 2]}},
        "ExpectedExecutionHistory": [
            ev(2, "ChainedInvokeStarted", ChainedInvokeStartedDetails={"FunctionName": "echo"}),
        ],
    })
    result = run_requirement(path, invoker, {"echo": lambda payload, context: payload})
    assert result.passed, result.report()


# -- callbacks on the virtual clock ----------------------------------------------------------------


def test_a_delivery_due_before_a_wait_comes_first(tmp_path):
    """4-9's shape: callback answered after 1 s while a 5 s wait runs."""
    path = write(tmp_path, "4-901", {
        "AsyncInvoke": True,
        "Variables": {"CB": "${GEN_STR:10}", "P": "${GEN_STR:12}"},
        "Input": {"name": "${CB}", "wait": 5},
        "ExpectedResult": {"ExecutionStatus": "SUCCEEDED", "Result": '"${P}"'},
        "CallbackActions": [{"CallbackName": "${CB}", "Operation": "success", "Payload": "${P}",
                             "Delay": 1}],
        "ExpectedExecutionHistory": [
            ev(2, "CallbackStarted", Id="${CB1}", Name="${CB}",
               CallbackStartedDetails={"CallbackId": "*"}),
            ev(3, "WaitStarted", WaitStartedDetails={"Duration": 5}),
            ev(4, "InvocationCompleted"),
            ev(5, "CallbackSucceeded", Id="${CB1}",
               CallbackSucceededDetails={"Result": {"Payload": '"${P}"'}}),
            ev(6, "InvocationCompleted"),
            ev(7, "WaitSucceeded"),
            ev(8, "InvocationCompleted"),
            ev(9, "ExecutionSucceeded"),
        ],
    })
    result = run_requirement(path, callback_then_wait)
    assert result.passed, result.report()
    assert 0.99 <= seconds_between(result, 4, 5) < 1.5
    assert 4.99 <= seconds_between(result, 3, 7) < 5.5


def test_a_callback_timeout_due_before_a_wait_fires_first(tmp_path):
    """4-11's shape: no actions; 3 s callback timeout during a 6 s wait."""
    path = write(tmp_path, "4-902", {
        "AsyncInvoke": True,
        "Input": {"name": "cb", "wait": 6, "timeout": 3},
        "ExpectedResult": {"ExecutionStatus": "FAILED"},
        "ExpectedExecutionHistory": [
            ev(2, "CallbackStarted", CallbackStartedDetails={"Timeout": 3}),
            ev(3, "WaitStarted"),
            ev(4, "InvocationCompleted"),
            ev(5, "CallbackTimedOut",
               CallbackTimedOutDetails={"Error": {"Payload": {"ErrorType": "Callback.Timeout"}}}),
            ev(6, "InvocationCompleted"),
            ev(7, "WaitSucceeded"),
            ev(8, "InvocationCompleted"),
            ev(9, "ExecutionFailed"),
        ],
    })
    result = run_requirement(path, callback_then_wait)
    assert result.passed, result.report()


def test_delays_accumulate_within_a_poll_and_invocations_run_between_deliveries(tmp_path):
    """4-19's shape: B's action (4 s) listed first, A's (1 s) second; A started first."""
    path = write(tmp_path, "4-903", {
        "AsyncInvoke": True,
        "Variables": {"A": "${GEN_STR:10}", "B": "${GEN_STR:10}"},
        "Input": ["${A}", "${B}"],
        "ExpectedResult": {"ExecutionStatus": "SUCCEEDED", "Result": ['"pb"', '"pa"']},
        "CallbackActions": [
            {"CallbackName": "${B}", "Operation": "success", "Payload": "pb", "Delay": 4},
            {"CallbackName": "${A}", "Operation": "success", "Payload": "pa", "Delay": 1},
        ],
        "ExpectedExecutionHistory": [
            ev(2, "CallbackStarted", Name="${A}"),
            ev(3, "CallbackStarted", Name="${B}"),
            ev(4, "InvocationCompleted"),
            ev(5, "CallbackSucceeded", Name="${A}"),
            ev(6, "InvocationCompleted"),
            ev(7, "CallbackSucceeded", Name="${B}"),
            ev(8, "InvocationCompleted"),
            ev(9, "ExecutionSucceeded"),
        ],
    })
    result = run_requirement(path, two_callbacks)
    assert result.passed, result.report()
    assert 0.99 <= seconds_between(result, 4, 5) < 1.5
    assert 3.99 <= seconds_between(result, 5, 7) < 4.5


def test_heartbeats_keep_a_callback_alive_and_do_not_consume_it(tmp_path):
    """7-13's shape, with heartbeats that matter: 3 s heartbeat timeout, an answer after 6 s."""
    path = write(tmp_path, "7-901", {
        "AsyncInvoke": True,
        "Variables": {"CB": "${GEN_STR:10}"},
        "Input": {"name": "${CB}", "heartbeat": 3},
        "ExpectedResult": {"ExecutionStatus": "SUCCEEDED", "Result": '"done"'},
        "CallbackActions": [
            {"CallbackName": "*", "Operation": "heartbeat", "Delay": 2},
            {"CallbackName": "${/^${CB}/}", "Operation": "HEARTBEAT", "Delay": 2},
            {"CallbackName": "*", "Operation": "success", "Payload": "done", "Delay": 2},
        ],
        "ExpectedExecutionHistory": [
            ev(2, "ContextStarted", SubType="WaitForCallback", Id="${W}", Name="${CB}"),
            ev(3, "CallbackStarted", ParentId="${W}", CallbackStartedDetails={"HeartbeatTimeout": 3}),
            ev(6, "InvocationCompleted"),
            ev(7, "CallbackSucceeded", ParentId="${W}"),
            ev(8, "ContextSucceeded", Id="${W}"),
        ],
    })
    result = run_requirement(path, waits_for_callback)
    assert result.passed, result.report()
    assert 5.99 <= seconds_between(result, 6, 7) < 6.5


def test_without_heartbeats_the_same_callback_times_out(tmp_path):
    path = write(tmp_path, "7-902", {
        "AsyncInvoke": True,
        "Input": {"name": "cb", "heartbeat": 3},
        "ExpectedResult": {"ExecutionStatus": "FAILED"},
        "CallbackActions": [{"CallbackName": "*", "Operation": "success", "Payload": 1, "Delay": 6}],
        "ExpectedExecutionHistory": [
            ev(7, "CallbackTimedOut",
               CallbackTimedOutDetails={"Error": {"Payload": {"ErrorType": "Callback.Heartbeat"}}}),
        ],
    })
    result = run_requirement(path, waits_for_callback)
    # the delivery comes after the timeout: the service refuses it, as the real one would
    assert len(result.errors) == 1, result.report()
    assert "Callback success failed" in result.first_error


def test_a_callback_without_a_matching_action_is_an_error(tmp_path):
    path = write(tmp_path, "4-904", {
        "AsyncInvoke": True,
        "Input": {"name": "mine", "wait": 1, "timeout": 5},
        "ExpectedResult": {"ExecutionStatus": "FAILED"},
        "CallbackActions": [{"CallbackName": "other", "Operation": "success"}],
        "ExpectedExecutionHistory": [],
    })
    result = run_requirement(path, callback_then_wait)
    assert result.errors == ["No matching CallbackAction for callback 'mine' (id="
                             + result.errors[0].split("(id=")[1]]


def test_history_only_mode_accepts_an_open_callback(tmp_path):
    spec = {
        "AsyncInvoke": True,
        "Input": None,
        "ExpectedExecutionHistory": [ev(2, "CallbackStarted", Name="never"), ev(3, "InvocationCompleted")],
    }
    result = run_requirement(write(tmp_path, "4-905", spec), open_callback)
    assert result.passed, result.report()
    assert result.status == "RUNNING"
    spec["ExpectedResult"] = {"ExecutionStatus": "SUCCEEDED"}
    result = run_requirement(write(tmp_path, "4-906", spec), open_callback)
    assert [e.split(":")[0] for e in result.errors] == [
        "the execution did not finish (status RUNNING)",
        "Expected ExecutionStatus='SUCCEEDED', got 'RUNNING'",
    ]


def test_stdout_json_records_and_arn_filtering(tmp_path):
    @durable_execution
    def printer(event, context: DurableContext):
        arn = context.execution_context.durable_execution_arn
        print(json.dumps({"durableExecutionArn": arn, "plugin": "P", "hook": "start"}))
        sys.stdout.write(json.dumps({"durableExecutionArn": "arn:other", "plugin": "P"}) + "\n")
        print("plain text line")
        context.logger.info("handler ran", extra={"hook": "body"})
        print(json.dumps({"executionArn": arn, "plugin": "P", "hook": "end"}))
        return None

    path = write(tmp_path, "10-901", {
        "Input": None,
        "ExpectedResult": {"ExecutionStatus": "SUCCEEDED"},
        "ExpectedLogs": [
            {"match": {"plugin": "P"}, "count": 2},
            {"match": {"message": "handler ran", "hook": "body"}, "after": {"hook": "start"},
             "before": [{"hook": "end"}]},
            {"match": {"message": "plain text line"}, "count": 0},
        ],
    })
    result = run_requirement(path, printer)
    assert result.passed, result.report()
    assert any(r.message == "plain text line" for r in result.logs)


# -- the registry ----------------------------------------------------------------------------------


def test_registry_naming():
    assert registry.module_name("1-13") == "r1_13"
    assert registry.requirement_id("r10_23") == "10-23"
    assert registry.requirement_id("targets") is None
    assert registry.suite_of("7-3") == "wait_for_callback"
    assert registry.suite_of("10-1") == "plugin"


def test_registry_discovers_the_example_handlers(monkeypatch):
    found = registry.discover()
    assert found["1-1"] == ("step", "r1_1")
    assert found["2-1"] == ("wait", "r2_1")
    assert registry.handler_for("99-1") is None
    entry = registry.entry_for("1-13")
    assert entry.suite == "step" and callable(entry.handler)
    # suite-level FUNCTIONS apply to every requirement of the suite; the module's win
    package = sys.modules[f"{registry.HANDLERS_PACKAGE}.step"]
    shared = lambda payload, context: payload  # noqa: E731
    monkeypatch.setattr(package, "FUNCTIONS", {"echo": shared}, raising=False)
    assert registry.functions_for("1-1") == {"echo": shared}


@pytest.mark.parametrize("req_id", ["1-1", "1-13", "2-1"])
def test_example_handlers_are_durable(req_id):
    handler = registry.handler_for(req_id)
    assert getattr(handler, "_durable_execution", False) or getattr(handler, "__durable_function__", None)
