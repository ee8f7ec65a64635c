"""The test runner API (mirrors the official testing runner): result objects, typed operations,
callbacks, registration; plus end-to-end runs of real ``@durable_execution`` handlers."""
from __future__ import annotations

import json
import time

import pytest

from lambda_durable.lambda_service import ErrorObject, InvocationStatus, OperationStatus, OperationType
from lambda_durable.testing import (
    CallbackOperation,
    ContextOperation,
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    ExecutionStatus,
    InvokeOperation,
    StepOperation,
    WaitOperation,
    create_operation,
)
from test_emulator_support import (
    callback_start,
    context_start,
    context_succeed,
    invoke_start,
    pending,
    raw_handler,
    step_start,
    step_succeed,
    succeeded,
    wait_start,
)

execution = pytest.importorskip("lambda_durable.execution")
durable_execution = execution.durable_execution


# -- result and typed operations (raw handler) --------------------------------------------------------


def tree_body(raw):
    if raw.status("ctx") is None:
        raw.checkpoint(
            context_start("ctx", "outer"),
            step_start("inner", "inner-step", parent="ctx"),
            step_succeed("inner", '"in"', parent="ctx"),
            context_succeed("ctx", '"out"', replay_children=True),
            step_start("top", "top-step"),
            step_succeed("top", "7"),
            wait_start("w", 5, "pause"),
            callback_start("cb", "hook", timeout=60),
            invoke_start("inv", "echo", {"v": 1}, name="call"),
        )
        raw.lambda_context.log("")  # exercise log()
        return pending()
    if "STARTED" in (raw.status("w"), raw.status("cb"), raw.status("inv")):
        return pending()
    return succeeded("done")


def test_result_typed_operations():
    with DurableFunctionTestRunner(raw_handler(tree_body)) as runner:
        runner.register_function("echo", lambda event, context: event)
        runner.answer_callback("hook", '"answered"')
        result = runner.run(input={"as": "dict"})  # non-str input is JSON-encoded
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.execution_status is ExecutionStatus.SUCCEEDED
    assert result.result == '"done"'
    assert result.error is None
    assert [op.name for op in result.operations] == ["outer", "top-step", "pause", "hook", "call"]

    outer = result.get_context("outer")
    assert isinstance(outer, ContextOperation)
    assert outer.operation_type is OperationType.CONTEXT and outer.status is OperationStatus.SUCCEEDED
    assert outer.result == '"out"' and outer.sub_type == "RunInChildContext"
    inner = outer.get_step("inner-step")
    assert isinstance(inner, StepOperation) and inner.parent_id == "ctx" and inner.result == '"in"'
    with pytest.raises(DurableFunctionsTestError):
        outer.get_operation_by_name("nope")

    step = result.get_step("top-step")
    assert (step.attempt, step.result, step.error) == (1, "7", None)
    wait = result.get_wait("pause")
    assert isinstance(wait, WaitOperation) and wait.scheduled_end_timestamp is not None
    callback = result.get_callback("hook")
    assert isinstance(callback, CallbackOperation)
    assert callback.callback_id and callback.result == '"answered"'
    invoke = result.get_invoke("call")
    assert isinstance(invoke, InvokeOperation) and invoke.result == '{"v": 1}'
    with pytest.raises(DurableFunctionsTestError, match="not found"):
        result.get_operation_by_name("inner-step")  # only top-level operations

    names = [op.name for op in result.get_all_operations()]
    assert names == ["outer", "inner-step", "top-step", "pause", "hook", "call"]


def test_create_operation_factories():
    op = {"Id": "e", "Type": "EXECUTION", "Status": "STARTED", "ExecutionDetails": {"InputPayload": "{}"}}
    execution_op = create_operation(op)
    assert execution_op.input_payload == "{}"
    with pytest.raises(DurableFunctionsTestError):
        StepOperation.from_svc_operation(op)
    failed = create_operation({"Id": "s", "Type": "STEP", "Status": "FAILED",
                               "StepDetails": {"Attempt": 2, "Error": {"ErrorType": "X", "ErrorMessage": "m"}}})
    assert failed.error == ErrorObject("m", "X", None, None)


def test_runner_rejects_a_store_that_is_neither_a_sqlite_store_nor_a_path():
    with pytest.raises(TypeError, match="SqliteExecutionStore or a database path, got object"):
        DurableFunctionTestRunner(raw_handler(tree_body), store=object())


def test_run_options_shape_the_arn():
    with DurableFunctionTestRunner(raw_handler(lambda raw: succeeded(raw.arn)), region="eu-west-1") as runner:
        result = runner.run(function_name="orders", execution_name="order-7", account_id="210987654321")
    arn = json.loads(result.result)
    assert arn.startswith("arn:aws:lambda:eu-west-1:210987654321:function:orders:$LATEST/durable-execution/order-7/")


def test_wait_for_result_timeout():
    with DurableFunctionTestRunner(raw_handler(lambda raw: (raw.checkpoint(callback_start("c")), pending())[1])) as runner:
        arn = runner.run_async()
        with pytest.raises(TimeoutError):
            runner.wait_for_result(arn, timeout=0.1)


# -- end to end with the SDK ---------------------------------------------------------------------


def test_sdk_steps_waits_and_retries():
    from lambda_durable.config import Duration, StepConfig
    from lambda_durable.retries import RetryStrategyConfig, create_retry_strategy

    attempts = []

    @durable_execution
    def handler(event, context):
        def flaky(step_context):
            attempts.append(step_context.attempt)
            if len(attempts) < 3:
                raise ConnectionError("try again")
            return {"ok": True}

        config = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=5)))
        value = context.step(flaky, name="flaky", config=config)
        context.wait(Duration.from_days(7), name="week")
        total = context.step(lambda _: event["a"] + event["b"], name="add")
        return {"value": value, "total": total}

    began = time.monotonic()
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input='{"a": 2, "b": 3}')
    assert time.monotonic() - began < 5
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert json.loads(result.result) == {"value": {"ok": True}, "total": 5}
    assert attempts == [1, 2, 3]
    flaky = result.get_step("flaky")
    assert flaky.attempt == 3
    failures = [e for e in result.history if e["EventType"] == "StepFailed"]
    assert [e["StepFailedDetails"]["RetryDetails"]["CurrentAttempt"] for e in failures] == [1, 2]
    succeeded_event = [e for e in result.history if e["EventType"] == "StepSucceeded" and e.get("Name") == "flaky"][0]
    assert succeeded_event["StepSucceededDetails"]["RetryDetails"]["CurrentAttempt"] == 3
    assert result.get_wait("week").status is OperationStatus.SUCCEEDED


def test_sdk_failure_is_reported():
    @durable_execution
    def handler(event, context):
        context.step(lambda _: 1, name="fine")
        raise ValueError("bad order")

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input="{}")
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == "ValueError"
    assert result.error.message == "bad order"
    assert result.history[-1]["EventType"] == "ExecutionFailed"


def test_sdk_callback_with_run_async():
    @durable_execution
    def handler(event, context):
        callback = context.create_callback(name="approval")
        return {"answer": callback.result()}

    with DurableFunctionTestRunner(handler) as runner:
        arn = runner.run_async(input="{}")
        callback_id = runner.wait_for_callback(arn, name="approval")
        runner.send_callback_success(callback_id, b'{"approved": true}')
        result = runner.wait_for_result(arn)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert json.loads(result.result) == {"answer": '{"approved": true}'}


def test_sdk_wait_for_callback_scripted_and_failure():
    from lambda_durable.config import Duration, WaitForCallbackConfig
    from lambda_durable.exceptions import CallbackError

    submitted = []

    @durable_execution
    def handler(event, context):
        def submit(callback_id, ctx):
            submitted.append(callback_id)

        try:
            answer = context.wait_for_callback(
                submit, name="payment", config=WaitForCallbackConfig(timeout=Duration.from_hours(1))
            )
        except CallbackError as error:
            return {"error": type(error).__name__, "message": error.message}
        return {"answer": answer}

    with DurableFunctionTestRunner(handler) as runner:
        runner.answer_callback("payment", '{"paid": 10}')
        ok = runner.run(input="{}")
    assert json.loads(ok.result) == {"answer": '{"paid": 10}'}
    assert len(submitted) == 1
    wrapper = ok.get_context("payment")
    assert wrapper.sub_type == "WaitForCallback"
    assert wrapper.get_callback("payment create callback id").callback_id == submitted[0]

    with DurableFunctionTestRunner(handler) as runner:  # unanswered: times out on the virtual clock
        timed_out = runner.run(input="{}")
    assert json.loads(timed_out.result)["error"] == "CallbackTimeoutError"

    with DurableFunctionTestRunner(handler, stop_on_unanswered_callback=True) as runner:
        waiting = runner.run(input="{}")
        assert waiting.status is InvocationStatus.PENDING
        assert waiting.open_callbacks[0].name == "payment"
        runner.send_callback_failure(waiting.open_callbacks[0].callback_id,
                                     ErrorObject("declined", "Bank.Declined", None, None))
        declined = runner.wait_for_result(waiting.execution_arn)
    assert json.loads(declined.result) == {"error": "CallbackExternalError", "message": "declined"}


def test_sdk_invoke_plain_and_durable_targets():
    @durable_execution
    def child(event, context):
        doubled = context.step(lambda _: event["n"] * 2, name="double")
        return {"doubled": doubled}

    @durable_execution
    def handler(event, context):
        plain = context.invoke("plain-fn", {"x": 1}, name="plain")
        durable = context.invoke("child-fn", {"n": 21}, name="durable")
        return {"plain": plain, "durable": durable}

    with DurableFunctionTestRunner(handler) as runner:
        runner.register_function("plain-fn", lambda event, ctx: {"got": event["x"]})
        runner.register_function("child-fn", child)  # durable: detected
        result = runner.run(input="{}")
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert json.loads(result.result) == {"plain": {"got": 1}, "durable": {"doubled": 42}}
    child_arn = [e for e in result.history if e["EventType"] == "ChainedInvokeStarted"][1][
        "ChainedInvokeStartedDetails"]["DurableExecutionArn"]
    assert "function:child-fn:" in child_arn


def test_sdk_invoke_failure_raises_invoke_error():
    from lambda_durable.exceptions import InvokeError

    @durable_execution
    def handler(event, context):
        try:
            context.invoke("missing-fn", {}, name="call")
        except InvokeError as error:
            return {"error": error.error_type}
        return "unexpected"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input="{}")
    assert json.loads(result.result) == {"error": "ResourceNotFoundException"}


def test_sdk_child_context_map_parallel():
    @durable_execution
    def handler(event, context):
        child = context.run_in_child_context(lambda ctx: ctx.step(lambda _: "c", name="in-child"), name="child")
        mapped = context.map([1, 2, 3], lambda ctx, item, index, items: ctx.step(lambda _: item * 10), name="m")
        par = context.parallel([lambda ctx: "a", lambda ctx: "b"], name="p")
        return {"child": child, "map": mapped.get_results(), "parallel": par.get_results()}

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input="{}")
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert json.loads(result.result) == {"child": "c", "map": [10, 20, 30], "parallel": ["a", "b"]}
    m = result.get_context("m")
    assert m.sub_type == "Map" and len(m.child_operations) == 3
    assert result.get_context("child").get_step("in-child").result == '"c"'


def test_sdk_wait_for_condition():
    from lambda_durable.config import Duration
    from lambda_durable.waits import WaitForConditionConfig, WaitForConditionDecision

    @durable_execution
    def handler(event, context):
        def check(state, ctx):
            return state + 1

        def strategy(state, attempt):
            if state >= 3:
                return WaitForConditionDecision.stop_polling()
            return WaitForConditionDecision.continue_waiting(Duration.from_minutes(10))

        return context.wait_for_condition(
            check, WaitForConditionConfig(wait_strategy=strategy, initial_state=0), name="poll"
        )

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input="{}")
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "3"
    polls = [e for e in result.history if e["EventType"] == "StepSucceeded" and e.get("Name") == "poll"]
    assert [e["StepSucceededDetails"]["RetryDetails"].get("NextAttemptDelaySeconds") for e in polls] == [600, 600, None]


def test_sdk_replay_with_small_pages():
    @durable_execution
    def handler(event, context):
        total = 0
        for i in range(25):
            total += context.step(lambda _, i=i: i, name=f"s{i}")
        from lambda_durable.config import Duration

        context.wait(Duration.from_seconds(1), name="tick")
        for i in range(25, 30):
            total += context.step(lambda _, i=i: i, name=f"s{i}")
        return total

    with DurableFunctionTestRunner(handler, max_invocation_page_bytes=512) as runner:
        result = runner.run(input="{}")
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == str(sum(range(30)))


def test_sdk_nondeterminism_fails_the_execution():
    calls = []

    @durable_execution
    def handler(event, context):
        calls.append(1)
        from lambda_durable.config import Duration

        name = "first" if len(calls) == 1 else "renamed"
        context.step(lambda _: 1, name=name)
        context.wait(Duration.from_seconds(5))
        return "done"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input="{}")
    assert result.status is InvocationStatus.FAILED
    assert "NonDeterministic" in (result.error.type or "")


def test_child_context_test_runner():
    from lambda_durable.context import durable_with_child_context
    from lambda_durable.testing import DurableChildContextTestRunner

    @durable_with_child_context
    def block(ctx, a, b):
        return ctx.step(lambda _: a * b, name="multiply")

    with DurableChildContextTestRunner(block, 6, 7) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "42"
