"""Bad input is refused with a clear error that names the operation and the rule, and never
crashes the local service or leaves an execution half-written.

Covered: malformed invocation events (missing or mistyped fields, timestamps as epoch
milliseconds, ISO strings or garbage), operation names outside the API pattern, durations
outside 1 s .. 31,622,400 s (waits and strategy delays), payload sizes counted in UTF-8 bytes
(262,144 bytes per STEP payload, 1 MiB invoke input and callback result, the 6 MiB response),
values the serdes cannot encode, map/parallel configs that contradict each other, handlers
returning values JSON cannot encode, and checkpoint batches the service refuses (atomically).
"""
from __future__ import annotations

import datetime
import json
import threading

import pytest

from fakes import ARN, START_MS, FakeService, execution_op
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import (
    CallbackConfig,
    ChildConfig,
    CompletionConfig,
    Duration,
    InvokeConfig,
    MapConfig,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
)
from lambda_durable.exceptions import ExecutionError, ValidationError
from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.limits import (
    CALLBACK_RESULT_LIMIT_BYTES,
    CHECKPOINT_SIZE_LIMIT_BYTES,
    INVOKE_PAYLOAD_LIMIT_BYTES,
    MAX_DURATION_SECONDS,
    utf8_len,
)
from lambda_durable.retries import RetryDecision
from lambda_durable.serdes import PassThroughSerDes, SerDes
from lambda_durable.testing import DurableFunctionTestRunner, InvalidParameterValueException
from lambda_durable.waits import WaitForConditionConfig, WaitForConditionDecision

OFFICIAL = "aws_durable_execution_sdk_python.exceptions"
EURO = "\u20ac"  # 1 character, 3 UTF-8 bytes


def run(handler, input=None, **runner_kwargs):
    with DurableFunctionTestRunner(handler, **runner_kwargs) as runner:
        return runner.run(input=input)


def invoke_fake(handler, svc: FakeService | None = None):
    svc = svc or FakeService()
    return durable_execution(client=svc)(handler)(svc.event({}), None), svc


def invocation_count(result) -> int:
    return sum(1 for e in result.history if e["EventType"] == "InvocationCompleted")


def assert_refused(out, error_type: str, *fragments: str):
    assert out["Status"] == "FAILED", out
    assert out["Error"]["ErrorType"] == error_type
    for fragment in fragments:
        assert fragment in out["Error"]["ErrorMessage"], (fragment, out["Error"]["ErrorMessage"])


# =================================================================================================
# malformed invocation events
# =================================================================================================

GOOD = {"DurableExecutionArn": ARN, "CheckpointToken": "dA=="}


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        (None, "a mapping"),
        ("text", "a mapping"),
        ({}, "'DurableExecutionArn'"),
        ({"CheckpointToken": "dA=="}, "'DurableExecutionArn'"),
        ({"DurableExecutionArn": ARN}, "'CheckpointToken'"),
        ({"DurableExecutionArn": 42, "CheckpointToken": "dA=="}, "'DurableExecutionArn'"),
        ({"DurableExecutionArn": ARN, "CheckpointToken": ["dA=="]}, "'CheckpointToken'"),
        ({"DurableExecutionArn": ARN, "CheckpointToken": ""}, "'CheckpointToken'"),
        ({**GOOD, "InitialExecutionState": []}, "InitialExecutionState must be a mapping"),
        ({**GOOD, "InitialExecutionState": {"Operations": "abc"}}, "Operations must be a list"),
        ({**GOOD, "InitialExecutionState": {"Operations": {"Id": "x"}}}, "Operations must be a list"),
        ({**GOOD, "InitialExecutionState": {"Operations": [execution_op({}), 7]}}, "Operation object"),
        ({**GOOD, "InitialExecutionState": {"Operations": [execution_op({}), {"Type": "STEP"}]}}, "Operation object"),
        ({**GOOD, "InitialExecutionState": {"Operations": [], "NextMarker": 5}}, "NextMarker must be a string"),
        ({**GOOD, "UpdatedOperationIds": "abc"}, "UpdatedOperationIds must be a list of strings"),
        ({**GOOD, "UpdatedOperationIds": [1, 2]}, "UpdatedOperationIds must be a list of strings"),
    ],
)
def test_malformed_event_is_refused_before_user_code_and_any_api_call(event, fragment):
    svc = FakeService()
    body = []
    with pytest.raises(ExecutionError) as info:
        durable_execution(client=svc)(lambda e, ctx: body.append(1))(event, None)
    assert str(info.value).startswith("Unexpected payload")
    assert fragment in str(info.value)
    assert body == [] and svc.calls == [] and svc.state_calls == []


EXPECTED_START = datetime.datetime(2026, 1, 27, 2, 35, 9, 631000, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    "stamp",
    [
        START_MS,  # epoch milliseconds, as the invocation event carries them
        "2026-01-27T02:35:09.631Z",
        "2026-01-27T02:35:09.631+00:00",
        "2026-01-27T03:35:09.631+01:00",
        EXPECTED_START,  # a datetime, as boto3 returns them
        EXPECTED_START.replace(tzinfo=None),  # naive: taken as UTC
        START_MS / 1000,  # float epoch seconds
    ],
    ids=["epoch-ms", "iso-z", "iso-utc", "iso-offset", "datetime", "naive", "epoch-seconds"],
)
def test_timestamps_in_any_wire_form_are_the_same_instant(stamp):
    event = {**GOOD, "InitialExecutionState": {"Operations": [dict(execution_op({}), StartTimestamp=stamp)]}}
    seen = []
    out = durable_execution(client=FakeService())(lambda e, ctx: seen.append(ctx.current_time()) or "ok")(event, None)
    assert out == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert seen == [EXPECTED_START] and seen[0].utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize("stamp", ["yesterday", [1, 2], True])
def test_a_garbage_timestamp_fails_with_a_clear_message(stamp):
    event = {**GOOD, "InitialExecutionState": {"Operations": [dict(execution_op({}), StartTimestamp=stamp)]}}
    out = durable_execution(client=FakeService())(lambda e, ctx: ctx.current_time() and "ok")(event, None)
    assert out["Status"] == "FAILED"
    assert "not a timestamp" in out["Error"]["ErrorMessage"]
    assert "epoch milliseconds, an ISO-8601 string or a datetime" in out["Error"]["ErrorMessage"]


def test_operations_with_iso_timestamps_replay_without_type_errors():
    from hashlib import blake2b

    svc = FakeService()
    wait_id = blake2b(b"1").hexdigest()[:64]  # the SDK's id of the first operation
    event = {**GOOD, "CheckpointToken": svc.token, "InitialExecutionState": {"Operations": [
        dict(execution_op({}), StartTimestamp="2026-01-27T02:35:09.631Z"),
        {"Id": wait_id, "Type": "WAIT", "SubType": "Wait", "Name": "w", "Status": "SUCCEEDED",
         "StartTimestamp": "2026-01-27T02:35:09.631Z", "EndTimestamp": "2026-01-27T02:35:10.631Z",
         "WaitDetails": {"ScheduledEndTimestamp": "2026-01-27T02:35:10.631Z"}},
    ]}}
    out = durable_execution(client=svc)(lambda e, ctx: ctx.wait(Duration.from_seconds(1), name="w") or "after")(
        event, None)
    assert out == {"Status": "SUCCEEDED", "Result": '"after"'}


# =================================================================================================
# operation names: 1..256 printable ASCII characters
# =================================================================================================

BAD_NAMES = {
    "257-chars": ("x" * 257, "257 characters long (at most 256)"),
    "newline": ("a\nb", "outside printable ASCII"),
    "non-ascii": (f"price-{EURO}", "outside printable ASCII"),
    "tab": ("a\tb", "outside printable ASCII"),
    "not-a-string": (42, "name must be a string"),
}


def issue(kind: str, context: DurableContext, name):
    """Issue one operation of ``kind`` named ``name``."""
    if kind == "step":
        return context.step(lambda _: 1, name=name)
    if kind == "wait":
        return context.wait(Duration.from_seconds(1), name=name)
    if kind == "create_callback":
        return context.create_callback(name=name)
    if kind == "wait_for_callback":
        return context.wait_for_callback(lambda cid, ctx: None, name=name)
    if kind == "wait_for_condition":
        return context.wait_for_condition(
            lambda s, c: s, WaitForConditionConfig(lambda s, a: WaitForConditionDecision.stop_polling(), 0), name=name)
    if kind == "invoke":
        return context.invoke("target", {}, name=name)
    if kind == "run_in_child_context":
        return context.run_in_child_context(lambda c: 1, name=name)
    if kind == "map":
        return context.map([1], lambda c, x, i, xs: x, name=name)
    if kind == "map item":
        return context.map([1], lambda c, x, i, xs: x, name="m", config=MapConfig(item_namer=lambda x, i: name))
    if kind == "parallel":
        return context.parallel([lambda c: 1], name=name)
    if kind == "parallel branch":
        return context.parallel([ParallelBranch(func=lambda c: 1, name=name)], name="p")
    raise AssertionError(kind)


KINDS = ["step", "wait", "create_callback", "wait_for_callback", "wait_for_condition", "invoke",
         "run_in_child_context", "map", "map item", "parallel", "parallel branch"]


@pytest.mark.parametrize("bad", list(BAD_NAMES), ids=list(BAD_NAMES))
@pytest.mark.parametrize("kind", KINDS)
def test_invalid_operation_name_is_refused_naming_the_operation_and_the_rule(kind, bad):
    name, rule = BAD_NAMES[bad]
    out, svc = invoke_fake(lambda e, ctx: issue(kind, ctx, name))
    assert_refused(out, f"{OFFICIAL}.ValidationError", rule)
    operation = kind.split()[0]
    assert out["Error"]["ErrorMessage"].startswith(operation)
    if kind not in ("map item", "parallel branch"):
        assert svc.calls == []  # refused before anything was checkpointed


@pytest.mark.parametrize("kind", ["step", "wait", "run_in_child_context", "map", "parallel"])
def test_a_256_character_name_is_accepted_end_to_end(kind):
    @durable_execution
    def handler(event, context: DurableContext):
        issue(kind, context, "n" * 256)
        return "ok"

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.operations[0].name == "n" * 256


def test_wait_for_callback_name_leaves_room_for_its_inner_operation_names():
    # the inner callback is named "<name> create callback id": 256 - 19 characters at most
    out, svc = invoke_fake(lambda e, ctx: ctx.wait_for_callback(lambda cid, c: None, name="w" * 250))
    assert_refused(out, f"{OFFICIAL}.ValidationError", "wait_for_callback", "at most 256")
    assert svc.calls == []


# =================================================================================================
# durations: whole seconds in 1 .. 31,622,400
# =================================================================================================


@pytest.mark.parametrize("duration", [Duration(0), 0.5, -1, Duration(MAX_DURATION_SECONDS + 1), 40_000_000])
def test_wait_duration_outside_the_service_range_is_refused(duration):
    out, svc = invoke_fake(lambda e, ctx: ctx.wait(duration, name="nap"))
    assert_refused(out, f"{OFFICIAL}.ValidationError", "wait nap", "between 1 and 31622400 seconds")
    assert svc.calls == []


@pytest.mark.parametrize("duration", ["5", None, [1]])
def test_wait_duration_of_the_wrong_type_is_refused(duration):
    out, svc = invoke_fake(lambda e, ctx: ctx.wait(duration, name="nap"))
    assert_refused(out, f"{OFFICIAL}.ValidationError", "wait", "must be a Duration")


@pytest.mark.parametrize("seconds", [1, MAX_DURATION_SECONDS])
def test_wait_durations_at_both_ends_of_the_range_are_accepted_by_the_service(seconds):
    @durable_execution
    def handler(event, context: DurableContext):
        context.wait(Duration.from_seconds(seconds), name="edge")
        return "ok"

    result = run(handler, execution_timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    [started] = [e for e in result.history if e["EventType"] == "WaitStarted"]
    assert started["WaitStartedDetails"]["Duration"] == seconds


@pytest.mark.parametrize("value", [-1, float("inf"), float("nan"), "ten"])
def test_invalid_duration_values_are_refused_at_construction(value):
    with pytest.raises(ValidationError, match="Duration seconds"):
        Duration(value)


def test_retry_delay_above_the_maximum_fails_the_step_naming_the_rule():
    def strategy(error, attempts_made):
        return RetryDecision.retry(Duration(MAX_DURATION_SECONDS + 1))

    @durable_execution
    def handler(event, context: DurableContext):
        return context.step(lambda _: 1 / 0, name="div", config=StepConfig(retry_strategy=strategy))

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.StepError"
    assert "step 'div'" in result.error.message
    assert "between 1 and 31622400 seconds" in result.error.message
    assert invocation_count(result) == 1  # refused by the SDK, not by a failing checkpoint


def test_retry_delay_below_one_second_is_rounded_up_to_one():
    attempts = []

    def strategy(error, attempts_made):
        return RetryDecision.retry(Duration(0)) if attempts_made < 2 else RetryDecision.no_retry()

    @durable_execution
    def handler(event, context: DurableContext):
        def body(step):
            attempts.append(step.attempt)
            if step.attempt == 1:
                raise RuntimeError("once")
            return "ok"

        return context.step(body, name="s", config=StepConfig(retry_strategy=strategy))

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED and attempts == [1, 2]
    [retry] = [e for e in result.history if e["EventType"] == "StepFailed"]
    assert retry["StepFailedDetails"]["RetryDetails"]["NextAttemptDelaySeconds"] == 1


def test_wait_strategy_delay_above_the_maximum_fails_the_operation():
    @durable_execution
    def handler(event, context: DurableContext):
        return context.wait_for_condition(
            lambda s, c: s + 1,
            WaitForConditionConfig(
                lambda s, a: WaitForConditionDecision.continue_waiting(Duration(MAX_DURATION_SECONDS + 1)), 0),
            name="poll",
        )

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.WaitForConditionError"
    assert "wait_for_condition 'poll'" in result.error.message
    assert "31622400" in result.error.message


@pytest.mark.parametrize("field", ["timeout", "heartbeat_timeout"])
def test_callback_timeouts_above_the_service_maximum_are_refused(field):
    with pytest.raises(ValidationError, match=f"CallbackConfig.{field} must be at most 99999999 seconds"):
        CallbackConfig(**{field: Duration(100_000_000)})


# =================================================================================================
# payload sizes, in UTF-8 bytes
# =================================================================================================


def _step_of_bytes(size: int):
    """A step whose payload (PassThroughSerDes: the string itself) is ``size`` UTF-8 bytes, made
    of 3-byte characters (so characters and bytes differ by 3x)."""

    @durable_execution
    def handler(event, context: DurableContext):
        value = EURO * (size // 3) + "a" * (size % 3)
        return utf8_len(context.step(lambda _: value, name="blob", config=StepConfig(serdes=PassThroughSerDes())))

    return handler


def test_step_payload_of_262144_bytes_passes_and_262145_fails():
    ok = run(_step_of_bytes(CHECKPOINT_SIZE_LIMIT_BYTES))
    assert ok.status is InvocationStatus.SUCCEEDED and ok.result == "262144"
    too_big = run(_step_of_bytes(CHECKPOINT_SIZE_LIMIT_BYTES + 1))
    assert too_big.status is InvocationStatus.FAILED
    assert too_big.error.type == f"{OFFICIAL}.SerDesError"
    assert "step 'blob'" in too_big.error.message
    assert "262145 bytes (UTF-8)" in too_big.error.message
    assert "at most 262144 bytes" in too_big.error.message
    assert invocation_count(too_big) == 1


def test_wait_for_condition_state_is_limited_like_a_step_payload():
    @durable_execution
    def handler(event, context: DurableContext):
        return context.wait_for_condition(
            lambda s, c: EURO * 90_000,  # 270,000 bytes once encoded, 90,000 characters
            WaitForConditionConfig(lambda s, a: WaitForConditionDecision.continue_waiting(Duration(1)), "",
                                   serdes=PassThroughSerDes()),
            name="grow",
        )

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert "wait_for_condition 'grow'" in result.error.message
    assert "270000 bytes" in result.error.message


@pytest.mark.parametrize(("size", "ok"), [(INVOKE_PAYLOAD_LIMIT_BYTES, True), (INVOKE_PAYLOAD_LIMIT_BYTES + 1, False)])
def test_invoke_input_limit_counts_utf8_bytes(size, ok):
    body = EURO * (size // 3) + "a" * (size % 3)
    config = InvokeConfig(serdes_payload=PassThroughSerDes())

    @durable_execution
    def handler(event, context: DurableContext):
        return context.invoke("echo", body, name="call", config=config)

    with DurableFunctionTestRunner(handler) as runner:
        runner.register_function("echo", lambda payload, ctx: len(payload) if isinstance(payload, str) else -1)
        result = runner.run()
    if ok:
        assert result.status is InvocationStatus.SUCCEEDED
    else:
        assert result.status is InvocationStatus.FAILED
        assert "invoke call" in result.error.message
        assert f"{size} bytes" in result.error.message and "1048576-byte" in result.error.message


def test_callback_result_over_one_mebibyte_is_refused_by_the_service_and_nothing_changes():
    @durable_execution
    def handler(event, context: DurableContext):
        return context.create_callback(name="cb").result()

    with DurableFunctionTestRunner(handler) as runner:
        arn = runner.run_async()
        callback_id = runner.wait_for_callback(arn, name="cb", timeout=10)
        too_big = EURO * (CALLBACK_RESULT_LIMIT_BYTES // 3 + 1)  # 349,526 characters, > 1 MiB
        with pytest.raises(InvalidParameterValueException, match="at most 1048576 bytes"):
            runner.send_callback_success(callback_id, too_big)
        runner.send_callback_success(callback_id, "fits")  # the callback is still open
        result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"fits"'


def test_response_limit_is_measured_in_bytes_of_the_encoded_result():
    # 2 Mi characters of U+FFFF: json.dumps escapes each to 6 ASCII bytes (12 MiB)
    out, svc = invoke_fake(lambda e, ctx: "\uffff" * 2_097_152)
    assert out == {"Status": "SUCCEEDED", "Result": ""}
    assert svc.updates[-1]["Type"] == "EXECUTION"


# =================================================================================================
# values the serdes cannot encode
# =================================================================================================


class ReturnsBytes(SerDes):
    def serialize(self, value, serdes_context):
        return json.dumps(value).encode()

    def deserialize(self, data, serdes_context):
        return json.loads(data)


class Raises(SerDes):
    def serialize(self, value, serdes_context):
        raise RuntimeError("cannot encode this")

    def deserialize(self, data, serdes_context):
        return data


def unencodable(kind: str, context: DurableContext):
    value = {1, 2}
    if kind == "step":
        return context.step(lambda _: value, name="op")
    if kind == "step-lock":
        return context.step(lambda _: threading.Lock(), name="op")
    if kind == "step-bytes-serdes":
        return context.step(lambda _: "x", name="op", config=StepConfig(serdes=ReturnsBytes()))
    if kind == "step-raising-serdes":
        return context.step(lambda _: "x", name="op", config=StepConfig(serdes=Raises()))
    if kind == "child":
        return context.run_in_child_context(lambda c: value, name="op")
    if kind == "flat-child":
        return context.run_in_child_context(lambda c: value, name="op", config=ChildConfig(is_virtual=True))
    if kind == "map":
        return context.map([1], lambda c, x, i, xs: x, name="op", config=MapConfig(serdes=Raises()))
    if kind == "wait_for_condition":
        return context.wait_for_condition(
            lambda s, c: value, WaitForConditionConfig(lambda s, a: WaitForConditionDecision.stop_polling(), 0),
            name="op")
    if kind == "invoke":
        return context.invoke("target", value, name="op")
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["step", "step-lock", "step-bytes-serdes", "step-raising-serdes", "child",
                                  "flat-child", "map", "wait_for_condition", "invoke"])
def test_a_value_the_serdes_cannot_encode_fails_with_a_serdes_error_naming_the_operation(kind):
    @durable_execution
    def handler(event, context: DurableContext):
        return unencodable(kind, context)

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.SerDesError"
    assert "'op' (operation " in result.error.message  # names the operation
    assert invocation_count(result) == 1  # a permanent failure: no retry loop


# =================================================================================================
# map/parallel configs that contradict each other
# =================================================================================================


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: CompletionConfig(min_successful=0), "min_successful must be an integer >= 1"),
        (lambda: CompletionConfig(tolerated_failure_count=-1), "tolerated_failure_count"),
        (lambda: CompletionConfig(tolerated_failure_percentage=101), "between 0 and 100"),
        (lambda: CompletionConfig(tolerated_failure_percentage=-5), "between 0 and 100"),
        (lambda: CompletionConfig(min_successful=1, should_complete=lambda s: None), "cannot be combined"),
        (lambda: MapConfig(max_concurrency=0), "max_concurrency must be an integer >= 1"),
        (lambda: ParallelConfig(max_concurrency=-2), "max_concurrency must be an integer >= 1"),
        (lambda: MapConfig(max_concurrency=1.5), "max_concurrency must be an integer >= 1"),
    ],
)
def test_contradictory_or_out_of_range_batch_config_is_refused_at_construction(make, fragment):
    with pytest.raises(ValidationError) as info:
        make()
    assert fragment in str(info.value)


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_min_successful_above_the_number_of_items_is_refused_before_anything_runs(kind):
    ran = []

    def handler(event, ctx):
        completion = CompletionConfig(min_successful=3)
        if kind == "map":
            return ctx.map([1, 2], lambda c, x, i, xs: ran.append(x), name="b",
                           config=MapConfig(completion_config=completion))
        return ctx.parallel([lambda c: ran.append(1), lambda c: ran.append(2)], name="b",
                            config=ParallelConfig(completion_config=completion))

    out, svc = invoke_fake(handler)
    assert_refused(out, f"{OFFICIAL}.ValidationError", f"{kind}:", "3 > 2")
    assert ran == [] and svc.calls == []


# =================================================================================================
# handler results JSON cannot encode
# =================================================================================================


@pytest.mark.parametrize(
    "value",
    [{1, 2}, object(), datetime.datetime(2026, 1, 1), b"bytes", {"nested": {"deep": {3}}}],
    ids=["set", "object", "datetime", "bytes", "nested-set"],
)
def test_handler_returning_an_unserializable_value_fails_cleanly(value):
    result = run(durable_execution(lambda e, ctx: value))
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == "TypeError"
    assert "the handler returned a value that is not JSON serializable" in result.error.message
    assert invocation_count(result) == 1


def test_handler_result_with_a_step_before_it_keeps_the_step():
    @durable_execution
    def handler(event, context: DurableContext):
        context.step(lambda _: 1, name="done-first")
        return {1, 2}

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert result.get_step("done-first").status.value == "SUCCEEDED"  # nothing half-written


# =================================================================================================
# the local service: refused batches are atomic, the service keeps serving
# =================================================================================================


def test_a_refused_batch_applies_nothing_and_the_token_stays_usable():
    from test_emulator_support import raw_handler, step_start, step_succeed

    outcome = {}

    def body(raw):
        token = raw.token
        bad = {"Id": "s2", "Type": "STEP", "Action": "SUCCEED", "SubType": "Step", "Name": "x" * 300}
        try:
            raw.client.checkpoint_durable_execution(
                DurableExecutionArn=raw.arn, CheckpointToken=token, Updates=[step_start("s1", "a"), bad])
        except Exception as error:  # noqa: BLE001
            outcome["error"] = str(error)
        outcome["before"] = sorted(raw.ops)
        raw.checkpoint(step_start("s1", "a"), step_succeed("s1", '"1"', "a"))  # the same token works
        return {"Status": "SUCCEEDED", "Result": json.dumps(sorted(raw.ops))}

    result = run(raw_handler(body))
    assert "Updates[1]" in outcome["error"] and "Name must be 1..256 printable ASCII" in outcome["error"]
    assert result.status is InvocationStatus.SUCCEEDED
    assert "s2" not in result.result and "s1" in result.result
    steps = [e for e in result.history if e["EventType"].startswith("Step")]
    assert [e["EventType"] for e in steps] == ["StepStarted", "StepSucceeded"]  # s1 once, never s2


def test_the_service_keeps_serving_after_bad_input():
    bad = run(durable_execution(lambda e, ctx: ctx.wait(Duration(0), name="w")))
    assert bad.status is InvocationStatus.FAILED
    with DurableFunctionTestRunner(durable_execution(lambda e, ctx: ctx.step(lambda _: e["n"] * 2))) as runner:
        first = runner.run(input='{"n": 3}', execution_name="one")
        with pytest.raises(ValueError, match="not valid JSON"):
            runner.run(input="{not json", execution_name="two")
        again = runner.run(input='{"n": 4}', execution_name="three")
    assert (first.result, again.result) == ("6", "8")


# =================================================================================================
# errors too large for the service are cut to fit, never refused
# =================================================================================================


def test_bounded_error_keeps_small_errors_and_cuts_large_ones_to_the_limit():
    from lambda_durable._wire import TRUNCATION_MARK, bounded_error
    from lambda_durable.limits import ERROR_LIMIT_BYTES

    small = {"ErrorType": "ValueError", "ErrorMessage": "boom"}
    assert bounded_error(small) is small
    for text in ("x" * 100_000, EURO * 20_000, "\U0001f600" * 10_000):  # 1, 6 and 12 JSON bytes each
        error = {"ErrorType": "ValueError", "ErrorMessage": text, "ErrorData": "d" * 50_000,
                 "StackTrace": ["line"] * 1000}
        cut = bounded_error(error)
        assert len(json.dumps(cut)) <= ERROR_LIMIT_BYTES
        assert cut["ErrorType"] == "ValueError" and "StackTrace" not in cut
        assert cut["ErrorData"].endswith(TRUNCATION_MARK)
        assert cut["ErrorMessage"].endswith(TRUNCATION_MARK)
        assert text.startswith(cut["ErrorMessage"][: -len(TRUNCATION_MARK)])
        assert error["ErrorMessage"] == text  # the original is not modified
    only_trace = {"ErrorType": "E", "ErrorMessage": "m", "StackTrace": ["frame " * 20] * 2000}
    assert bounded_error(only_trace) == {"ErrorType": "E", "ErrorMessage": "m"}
