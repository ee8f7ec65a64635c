"""The invocation contract (protocol.md 2, 7.3): handler output for every outcome, large results
and errors (2.5, B05), malformed events, input decoding, pagination of the initial state (2.3,
B02), API error classification (2.6, B04), revoked tokens (2.7), ``current_time()`` from the
EXECUTION StartTimestamp (B09), ``is_replaying()`` (5.11) and the replay-aware logger."""
from __future__ import annotations

import datetime
import json
import logging
from hashlib import blake2b

import botocore.exceptions
import pytest

from fakes import ARN, EXECUTION_ID, START_MS, FakeService, execution_op
from lambda_durable import ExecutionError, InvocationError, durable_execution
from lambda_durable.config import Duration, MapConfig, StepConfig
from lambda_durable.exceptions import (
    CheckpointError,
    GetExecutionStateError,
    NonDeterministicExecutionError,
    SuspendExecution,
    TimedSuspendExecution,
    ValidationError,
)
from lambda_durable.execution import LAMBDA_RESPONSE_SIZE_LIMIT
from lambda_durable.limits import utf8_len
from lambda_durable.waits import WaitForConditionConfig, WaitForConditionDecision

OFFICIAL = "aws_durable_execution_sdk_python.exceptions"


def op_id(prefix, n):
    key = str(n) if prefix is None else f"{prefix}-{n}"
    return blake2b(key.encode()).hexdigest()[:64]


R1, R2 = op_id(None, 1), op_id(None, 2)


def run(handler, svc: FakeService | None = None, payload=None):
    svc = svc or FakeService()
    return durable_execution(client=svc)(handler)(svc.event(payload), None)


def step_rec(id, status="SUCCEEDED", name=None, result=None, **extra):
    rec = {"Id": id, "Type": "STEP", "SubType": "Step", "Status": status, "StartTimestamp": START_MS,
           "StepDetails": {"Attempt": 1, **({"Result": result} if result is not None else {}), **extra}}
    if name:
        rec["Name"] = name
    return rec


class CustomError(Exception):
    pass


# ==============================================================================================
# SUCCEEDED / FAILED / PENDING
# ==============================================================================================


@pytest.mark.parametrize(
    ("value", "result"),
    [
        ({"a": 1, "b": [1, 2]}, '{"a": 1, "b": [1, 2]}'),
        ("caf\u00e9", '"caf\\u00e9"'),
        (None, "null"),
        ((1, 2), "[1, 2]"),
        (3.5, "3.5"),
        (True, "true"),
        ([], "[]"),
    ],
)
def test_succeeded_result_is_json_dumps_with_default_separators(value, result):
    assert run(lambda e, ctx: value) == {"Status": "SUCCEEDED", "Result": result}


def test_handler_receives_the_decoded_input_payload():
    seen = []
    out = run(lambda e, ctx: seen.append(e) or e["order"], payload={"order": 7})
    assert seen == [{"order": 7}]
    assert out == {"Status": "SUCCEEDED", "Result": "7"}


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_or_absent_input_payload_becomes_an_empty_dict(raw):
    op = execution_op()
    if raw is None:
        del op["ExecutionDetails"]["InputPayload"]
    else:
        op["ExecutionDetails"]["InputPayload"] = raw
    event = {"DurableExecutionArn": ARN, "CheckpointToken": "dA==", "InitialExecutionState": {"Operations": [op]}}
    seen = []
    out = durable_execution(client=FakeService())(lambda e, ctx: seen.append(e) or "ok")(event, None)
    assert seen == [{}]
    assert out["Status"] == "SUCCEEDED"


def test_invalid_json_input_propagates_the_decode_error():
    event = {"DurableExecutionArn": ARN, "CheckpointToken": "dA==",
             "InitialExecutionState": {"Operations": [execution_op(raw="{not json")]}}
    body = []
    with pytest.raises(json.JSONDecodeError):
        durable_execution(client=FakeService())(lambda e, ctx: body.append(1))(event, None)
    assert body == []


def test_builtin_exception_fails_with_bare_type():
    out = run(lambda e, ctx: (_ for _ in ()).throw(ValueError("boom")))
    assert out == {"Status": "FAILED", "Error": {"ErrorMessage": "boom", "ErrorType": "ValueError"}}


def test_user_exception_fails_with_qualified_type():
    def handler(event, ctx):
        raise CustomError("custom failure")

    out = run(handler)
    assert out == {"Status": "FAILED",
                   "Error": {"ErrorMessage": "custom failure", "ErrorType": f"{CustomError.__module__}.CustomError"}}
    assert "." in out["Error"]["ErrorType"]


def test_sdk_errors_are_written_with_the_official_qualified_names():
    out = run(lambda e, ctx: ctx.wait(Duration(0)))
    assert out == {"Status": "FAILED", "Error": {"ErrorMessage": out["Error"]["ErrorMessage"],
                                                 "ErrorType": f"{OFFICIAL}.ValidationError"}}
    out = run(lambda e, ctx: (_ for _ in ()).throw(ExecutionError("stop now")))
    assert out == {"Status": "FAILED", "Error": {"ErrorMessage": "stop now", "ErrorType": f"{OFFICIAL}.ExecutionError"}}


def test_failed_output_has_no_result_and_succeeded_has_no_error():
    failed = run(lambda e, ctx: 1 / 0)
    assert set(failed) == {"Status", "Error"}
    succeeded = run(lambda e, ctx: 1)
    assert set(succeeded) == {"Status", "Result"}


def test_untimed_and_timed_suspensions_are_pending():
    assert run(lambda e, ctx: ctx.wait(Duration(30))) == {"Status": "PENDING"}
    assert run(lambda e, ctx: ctx.create_callback().result()) == {"Status": "PENDING"}

    def raw_suspend(event, ctx):
        raise TimedSuspendExecution("later", 1e12)

    assert run(raw_suspend) == {"Status": "PENDING"}


def test_queued_updates_are_flushed_before_pending():
    svc = FakeService()

    def handler(event, ctx):
        ctx.run_in_child_context(lambda c: c.create_callback(name="cb").result(), name="c")

    assert run(handler, svc) == {"Status": "PENDING"}
    assert [(u["Type"], u["Action"]) for u in svc.updates] == [("CONTEXT", "START"), ("CALLBACK", "START")]


def test_non_serializable_result_fails_with_type_error():
    svc = FakeService()
    out = run(lambda e, ctx: {1, 2}, svc)
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == "TypeError"
    assert "set" in out["Error"]["ErrorMessage"]
    out = run(lambda e, ctx: datetime.datetime(2026, 1, 1), FakeService())
    assert out["Error"]["ErrorType"] == "TypeError"


def test_execution_error_and_non_retryable_invocation_error_fail():
    class Permanent(InvocationError):
        def is_retryable(self):
            return False

    out = run(lambda e, ctx: (_ for _ in ()).throw(Permanent("no retry")))
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorMessage"] == "no retry"


def test_retryable_invocation_error_is_reraised():
    with pytest.raises(InvocationError):
        run(lambda e, ctx: (_ for _ in ()).throw(InvocationError("again")))


def test_base_exceptions_propagate():
    with pytest.raises(SystemExit):
        run(lambda e, ctx: (_ for _ in ()).throw(SystemExit(3)))


def test_nondeterminism_is_a_failed_output():
    svc = FakeService()
    svc.event(extra_ops=[{"Id": R1, "Type": "WAIT", "SubType": "Wait", "Status": "SUCCEEDED", "StartTimestamp": START_MS}])
    out = run(lambda e, ctx: ctx.step(lambda _: 1), svc)
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.NonDeterministicExecutionError"


def test_execution_op_of_the_wrong_type_does_not_run_the_handler():
    svc = FakeService()
    event = svc.event({})
    event["InitialExecutionState"]["Operations"][0] = dict(event["InitialExecutionState"]["Operations"][0], Type="STEP")
    body = []
    out = durable_execution(client=svc)(lambda e, ctx: body.append(1))(event, None)
    assert body == []
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.ExecutionError"
    assert "EXECUTION" in out["Error"]["ErrorMessage"]


# ==============================================================================================
# large results (2.5, B05)
# ==============================================================================================


def test_limit_value():
    assert LAMBDA_RESPONSE_SIZE_LIMIT == 6 * 1024 * 1024 - 50


def test_utf8_len_counts_bytes():
    assert utf8_len("abc") == 3
    assert utf8_len("\u20ac" * 3) == 9
    assert utf8_len("\uffff") == 3
    assert utf8_len("\U0001f600") == 4


def test_b05_result_at_the_limit_is_inline_and_one_byte_more_is_checkpointed():
    exact = "a" * (LAMBDA_RESPONSE_SIZE_LIMIT - 2)  # json.dumps adds the two quotes
    svc = FakeService()
    out = run(lambda e, ctx: exact, svc)
    assert out == {"Status": "SUCCEEDED", "Result": json.dumps(exact)}
    assert svc.calls == []

    svc = FakeService()
    over = exact + "a"
    out = run(lambda e, ctx: over, svc)
    assert out == {"Status": "SUCCEEDED", "Result": ""}
    (batch,) = svc.calls
    (update,) = batch
    assert update["Type"] == "EXECUTION" and update["Action"] == "SUCCEED"
    assert update["Payload"] == json.dumps(over)
    assert update["Id"].startswith("execution-result-")
    assert update["Id"] != EXECUTION_ID
    assert update["Id"][len("execution-result-"):].isdigit()
    assert set(update) == {"Id", "Type", "Action", "Payload"}


def test_b05a_non_ascii_result_is_measured_after_ascii_escaping():
    # 2 Mi copies of U+FFFF: 2 Mi characters but 12 MiB once json.dumps escapes them
    value = {"data": "\uffff" * 2_097_152}
    svc = FakeService()
    out = run(lambda e, ctx: value, svc)
    assert out == {"Status": "SUCCEEDED", "Result": ""}
    assert svc.updates[-1]["Payload"] == json.dumps(value)


def test_b05b_seven_megabyte_result_is_checkpointed_after_queued_updates():
    svc = FakeService()
    big = "b" * 7_000_000

    def handler(event, ctx):
        ctx.run_in_child_context(lambda c: 1, config=None)
        return big

    out = run(handler, svc)
    assert out == {"Status": "SUCCEEDED", "Result": ""}
    assert svc.updates[-1]["Type"] == "EXECUTION"
    assert svc.updates[-1]["Payload"] == json.dumps(big)


def test_b05c_huge_error_is_checkpointed_and_returned_without_body():
    svc = FakeService()
    message = "e" * 7_000_000

    def handler(event, ctx):
        raise ValueError(message)

    out = run(handler, svc)
    assert out == {"Status": "FAILED"}
    (update,) = svc.updates
    assert update["Type"] == "EXECUTION" and update["Action"] == "FAIL"
    assert update["Error"] == {"ErrorMessage": message, "ErrorType": "ValueError"}
    assert update["Id"].startswith("execution-result-")
    assert "Payload" not in update


def test_b05d_five_megabyte_result_is_inline():
    svc = FakeService()
    value = "d" * 5_000_000
    out = run(lambda e, ctx: value, svc)
    assert out == {"Status": "SUCCEEDED", "Result": json.dumps(value)}
    assert svc.calls == []


# ==============================================================================================
# malformed events
# ==============================================================================================


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        "not an event",
        {},
        {"CheckpointToken": "dA=="},
        {"DurableExecutionArn": ARN},
        {"DurableExecutionArn": ARN, "CheckpointToken": ""},
        {"DurableExecutionArn": "", "CheckpointToken": "dA=="},
    ],
)
def test_malformed_events_raise_execution_error(event):
    body = []
    with pytest.raises(ExecutionError) as info:
        durable_execution(client=FakeService())(lambda e, ctx: body.append(1))(event, None)
    assert str(info.value).startswith("Unexpected payload")
    assert body == []


# ==============================================================================================
# pagination (2.3, B02)
# ==============================================================================================


def paged_event(first_page_ops, marker, token="dG9rZW4w"):
    return {"DurableExecutionArn": ARN, "CheckpointToken": token,
            "InitialExecutionState": {"Operations": first_page_ops, "NextMarker": marker}}


def test_b02_state_on_a_second_page_is_loaded_before_user_code():
    svc = FakeService(pages={"page2": ([step_rec(R1, name="s", result='"v1"')], None)})
    counter = []
    entry = []

    def handler(event, ctx):
        entry.append(ctx.is_replaying())
        value = ctx.step(lambda _: counter.append(1) or "fresh", name="s")
        return {"value": value, "replaying_at_entry": entry[0]}

    out = durable_execution(client=svc)(handler)(paged_event([execution_op({})], "page2"), None)
    assert json.loads(out["Result"]) == {"value": "v1", "replaying_at_entry": True}
    assert counter == []
    assert svc.state_calls == [{"DurableExecutionArn": ARN, "CheckpointToken": "dG9rZW4w", "Marker": "page2",
                                "MaxItems": 1000}]
    assert svc.calls == []


def test_b02_empty_first_page_and_execution_op_on_a_later_page():
    svc = FakeService(pages={
        "p2": ([], "p3"),
        "p3": ([execution_op({"n": 5}), step_rec(R1, result="10")], None),
    })
    out = durable_execution(client=svc)(lambda e, ctx: e["n"] + ctx.step(lambda _: 0))(paged_event([], "p2"), None)
    assert out == {"Status": "SUCCEEDED", "Result": "15"}
    assert [c["Marker"] for c in svc.state_calls] == ["p2", "p3"]
    assert all(c["CheckpointToken"] == "dG9rZW4w" for c in svc.state_calls)


def test_later_pages_replace_records_by_id():
    svc = FakeService(pages={"p2": ([step_rec(R1, result='"new"')], None)})
    first = [execution_op({}), step_rec(R1, "STARTED")]
    out = durable_execution(client=svc)(lambda e, ctx: ctx.step(lambda _: "ran"))(paged_event(first, "p2"), None)
    assert out == {"Status": "SUCCEEDED", "Result": '"new"'}


class PagingCheckpointService(FakeService):
    """The first checkpoint response says more changed operations follow on a page."""

    def checkpoint_durable_execution(self, **kwargs):
        response = super().checkpoint_durable_execution(**kwargs)
        if len(self.calls) == 1:
            response["NewExecutionState"]["NextMarker"] = "more"
        return response


def test_checkpoint_response_pages_are_read_with_the_new_token():
    svc = PagingCheckpointService()
    late = {"Id": R2, "Type": "STEP", "SubType": "Step", "Status": "SUCCEEDED", "StartTimestamp": START_MS,
            "StepDetails": {"Attempt": 1, "Result": '"from-page"'}}
    svc.pages = {"more": ([late], None)}
    body = []

    def handler(event, ctx):
        ctx.step(lambda _: 1, name="a", config=StepConfig())
        return ctx.step(lambda _: body.append(1) or "fresh")

    out = run(handler, svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"from-page"'}
    assert body == []
    assert svc.state_calls == [{"DurableExecutionArn": ARN, "CheckpointToken": "dG9rZW41", "Marker": "more",
                                "MaxItems": 1000}]


def test_no_marker_means_no_state_call():
    svc = FakeService()
    run(lambda e, ctx: 1, svc)
    assert svc.state_calls == []


class FailingService(FakeService):
    def __init__(self, code, status, message="m", **kwargs):
        super().__init__(**kwargs)
        self.error = botocore.exceptions.ClientError(
            {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")

    def get_durable_execution_state(self, **kwargs):
        self.state_calls.append(kwargs)
        raise self.error

    def checkpoint_durable_execution(self, **kwargs):
        self.calls.append(kwargs["Updates"])
        raise self.error


def test_non_retryable_state_error_fails_the_execution():
    svc = FailingService("ResourceNotFoundException", 404, "gone")
    body = []
    out = durable_execution(client=svc)(lambda e, ctx: body.append(1))(paged_event([execution_op({})], "p2"), None)
    assert body == []
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.GetExecutionStateError"
    assert "gone" in out["Error"]["ErrorMessage"]


@pytest.mark.parametrize(("code", "status", "message"), [
    ("ServiceException", 500, "oops"),
    ("TooManyRequestsException", 429, "slow down"),
    ("InvalidParameterValueException", 400, "Invalid checkpoint token: stale"),
])
def test_retryable_state_error_is_reraised(code, status, message):
    svc = FailingService(code, status, message)
    with pytest.raises(GetExecutionStateError):
        durable_execution(client=svc)(lambda e, ctx: 1)(paged_event([execution_op({})], "p2"), None)


def test_b04_permanent_checkpoint_error_fails_the_execution():
    svc = FailingService("InvalidParameterValueException", 400,
                         "STEP output payload size must be less than or equal to 262144 bytes")
    out = run(lambda e, ctx: ctx.step(lambda _: "x" * 300_000), svc)
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.CheckpointError"
    assert "262144" in out["Error"]["ErrorMessage"]


@pytest.mark.parametrize(("code", "status", "message"), [
    ("TooManyRequestsException", 429, "slow down"),
    ("ServiceException", 500, "oops"),
    ("InvalidParameterValueException", 400, "Invalid Checkpoint Token: consumed"),
])
def test_b04_transient_checkpoint_error_is_reraised(code, status, message):
    svc = FailingService(code, status, message)
    with pytest.raises(CheckpointError):
        run(lambda e, ctx: ctx.step(lambda _: 1), svc)


class RevokingService(FakeService):
    """Answers a checkpoint without a token (a paused or superseded invocation)."""

    def checkpoint_durable_execution(self, **kwargs):
        response = super().checkpoint_durable_execution(**kwargs)
        response.pop("CheckpointToken")
        return response


def test_revoked_token_ends_the_invocation_pending():
    svc = RevokingService()
    after = []

    def handler(event, ctx):
        ctx.step(lambda _: 1, name="a")
        after.append(1)
        return "finished"

    assert run(handler, svc) == {"Status": "PENDING"}
    assert after == []
    assert len(svc.calls) == 1


def test_revoked_token_is_pending_even_if_user_code_swallows_the_suspension():
    svc = RevokingService()

    def handler(event, ctx):
        try:
            ctx.step(lambda _: 1, name="a")
        except BaseException:  # noqa: BLE001 - misbehaving user code
            pass
        return "finished"

    assert run(handler, svc) == {"Status": "PENDING"}


def test_revoked_token_turns_a_failure_into_pending():
    svc = RevokingService()

    def handler(event, ctx):
        try:
            ctx.step(lambda _: 1, name="a")
        finally:
            raise ValueError("would have failed")

    assert run(handler, svc) == {"Status": "PENDING"}


# ==============================================================================================
# current_time (B09)
# ==============================================================================================


def test_b09_current_time_is_the_execution_start_in_aware_utc_with_milliseconds():
    seen = []
    svc = FakeService()

    def handler(event, ctx):
        seen.append(ctx.current_time())
        ctx.wait(Duration(1), name="w")
        return "ok"

    run(handler, svc)
    svc.operations[R1] = dict(svc.operations[R1], Status="SUCCEEDED")
    run(handler, svc)
    expected = datetime.datetime(2026, 1, 27, 2, 35, 9, 631000, tzinfo=datetime.timezone.utc)
    assert expected.timestamp() * 1000 == START_MS
    assert seen == [expected, expected]
    assert seen[0].tzinfo is not None and seen[0].utcoffset() == datetime.timedelta(0)


def test_current_time_accepts_a_datetime_start_timestamp():
    when = datetime.datetime(2026, 1, 27, 1, 2, 3, tzinfo=datetime.timezone.utc)
    op = dict(execution_op({}), StartTimestamp=when)
    event = {"DurableExecutionArn": ARN, "CheckpointToken": "dA==", "InitialExecutionState": {"Operations": [op]}}
    seen = []
    durable_execution(client=FakeService())(lambda e, ctx: seen.append(ctx.current_time()))(event, None)
    assert seen == [when]


def test_current_time_without_execution_operation_raises():
    event = {"DurableExecutionArn": ARN, "CheckpointToken": "dA==", "InitialExecutionState": {"Operations": []}}
    out = durable_execution(client=FakeService())(lambda e, ctx: ctx.current_time())(event, None)
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.ValidationError"


def test_b09_millisecond_timestamps_in_a_map_resume_without_type_errors():
    """Map over two items, each a wait_for_condition needing two polls; the replay event holds a
    PENDING WaitForCondition step (int NextAttemptTimestamp) and a WAIT with an int
    ScheduledEndTimestamp."""
    svc = FakeService()
    polls = []

    def strategy(state, attempt):
        return WaitForConditionDecision.stop_polling() if state >= 2 else WaitForConditionDecision.continue_waiting(Duration(10))

    def item(ctx, value, index, items):
        return ctx.wait_for_condition(lambda s, c: polls.append((index, s)) or s + 1,
                                      WaitForConditionConfig(strategy, 0), name=f"poll-{index}")

    def handler(event, ctx):
        ctx.wait(Duration(10), name="first")
        # one item at a time, so the suspension is item 0's stored retry timer
        return ctx.map([0, 1], item, name="m", config=MapConfig(max_concurrency=1)).get_results()

    m = R2
    item0 = op_id(m, 0)
    poll0 = op_id(item0, 1)
    scheduled = []
    svc.event(extra_ops=[
        {"Id": R1, "Type": "WAIT", "SubType": "Wait", "Name": "first", "Status": "SUCCEEDED", "StartTimestamp": START_MS,
         "EndTimestamp": START_MS + 10_000, "WaitDetails": {"ScheduledEndTimestamp": START_MS + 10_000}},
        {"Id": m, "Type": "CONTEXT", "SubType": "Map", "Name": "m", "Status": "STARTED", "StartTimestamp": START_MS},
        {"Id": item0, "ParentId": m, "Type": "CONTEXT", "SubType": "MapIteration", "Name": "map-item-0",
         "Status": "STARTED", "StartTimestamp": START_MS},
        {"Id": poll0, "ParentId": item0, "Type": "STEP", "SubType": "WaitForCondition", "Name": "poll-0",
         "Status": "PENDING", "StartTimestamp": START_MS,
         "StepDetails": {"Attempt": 1, "NextAttemptTimestamp": 1_769_481_319_631, "Result": "1"}},
    ])

    def recording(event, ctx):
        try:
            return handler(event, ctx)
        except TimedSuspendExecution as exc:
            scheduled.append(exc.scheduled_timestamp)
            raise

    assert run(recording, svc) == {"Status": "PENDING"}
    assert scheduled == [pytest.approx(1_769_481_319.631)]
    assert polls == []
    # the retry timer elapsed: the item resumes from its stored state
    svc.operations[poll0] = dict(svc.operations[poll0], Status="READY")
    out = run(recording, svc)
    assert polls[0] == (0, 1)
    assert out["Status"] == "PENDING"  # item 1 now polls and waits in turn


# ==============================================================================================
# is_replaying (5.11)
# ==============================================================================================


def test_is_replaying_is_false_on_a_fresh_execution():
    marks = []

    def handler(event, ctx):
        marks.append(ctx.is_replaying())
        ctx.step(lambda _: 1)
        marks.append(ctx.is_replaying())

    run(handler)
    assert marks == [False, False]


def test_is_replaying_follows_completed_operations_then_turns_new():
    svc = FakeService()
    marks = []

    def handler(event, ctx):
        marks.append(("entry", ctx.is_replaying()))
        ctx.step(lambda _: 1, name="a")
        marks.append(("after a", ctx.is_replaying()))
        ctx.step(lambda _: marks.append(("in b", ctx.is_replaying())), name="b")
        marks.append(("after b", ctx.is_replaying()))
        ctx.wait(Duration(5), name="w")
        marks.append(("after w", ctx.is_replaying()))
        ctx.step(lambda _: 3, name="c")
        marks.append(("after c", ctx.is_replaying()))

    run(handler, svc)
    assert marks == [("entry", False), ("after a", False), ("in b", False), ("after b", False)]
    marks.clear()
    w = op_id(None, 3)
    svc.operations[w] = dict(svc.operations[w], Status="SUCCEEDED")
    run(handler, svc)
    assert marks == [("entry", True), ("after a", True), ("after b", True), ("after w", False), ("after c", False)]


def test_is_replaying_turns_new_before_a_non_terminal_step():
    svc = FakeService()
    svc.event(extra_ops=[step_rec(R1, "PENDING", name="a", NextAttemptTimestamp=START_MS + 1000)])
    marks = []

    def handler(event, ctx):
        marks.append(ctx.is_replaying())
        try:
            ctx.step(lambda _: 1, name="a")
        finally:
            marks.append(ctx.is_replaying())

    assert run(handler, svc) == {"Status": "PENDING"}
    assert marks == [True, False]


def test_child_contexts_inherit_replay_status():
    svc = FakeService()
    k = R2
    svc.event(extra_ops=[
        step_rec(R1, name="a", result="1"),
        {"Id": k, "Type": "CONTEXT", "SubType": "RunInChildContext", "Name": "kid", "Status": "STARTED",
         "StartTimestamp": START_MS},
        dict(step_rec(op_id(k, 1), name="k1", result="2"), ParentId=k),
    ])
    marks = []

    def kid(c):
        marks.append(("kid entry", c.is_replaying()))
        c.step(lambda _: 2, name="k1")
        marks.append(("kid after k1", c.is_replaying()))
        return 0

    def handler(event, ctx):
        ctx.step(lambda _: 1, name="a")
        ctx.run_in_child_context(kid, name="kid")
        marks.append(("after kid", ctx.is_replaying()))

    run(handler, svc)
    assert marks == [("kid entry", True), ("kid after k1", False), ("after kid", False)]


def test_b02_replay_status_is_decided_after_all_pages():
    svc = FakeService(pages={"p2": ([step_rec(R1, result="1")], None)})
    marks = []
    durable_execution(client=svc)(lambda e, ctx: marks.append(ctx.is_replaying()))(paged_event([execution_op({})], "p2"), None)
    assert marks == [True]


def test_map_item_without_record_starts_new():
    svc = FakeService()
    m = R1
    svc.event(extra_ops=[
        {"Id": m, "Type": "CONTEXT", "SubType": "Map", "Status": "STARTED", "StartTimestamp": START_MS},
        {"Id": op_id(m, 0), "ParentId": m, "Type": "CONTEXT", "SubType": "MapIteration", "Name": "map-item-0",
         "Status": "SUCCEEDED", "StartTimestamp": START_MS, "ContextDetails": {"Result": "0"}},
    ])
    marks = []
    run(lambda e, ctx: ctx.map([0, 1], lambda c, x, i, xs: marks.append((i, c.is_replaying())) or i), svc)
    assert marks == [(1, False)]


# ==============================================================================================
# replay-aware logger
# ==============================================================================================


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def captured():
    logger = logging.getLogger("lambda_durable.tests.capture")
    handler = Capture()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, handler.records
    logger.removeHandler(handler)


FIELDS = ("executionArn", "parentId", "operationId", "operationName", "attempt")


def fields(record):
    return {k: getattr(record, k) for k in FIELDS if hasattr(record, k)}


def test_logger_adds_durable_fields(captured):
    logger, records = captured
    svc = FakeService()

    def handler(event, ctx):
        ctx.set_logger(logger)
        ctx.logger.info("root %s", "msg", extra={"mine": 1})
        ctx.step(lambda sc: sc.logger.warning("in-step"), name="s")
        ctx.run_in_child_context(lambda c: (c.logger.info("in-child"),
                                            c.step(lambda sc: sc.logger.info("in-child-step"), name="cs")), name="kid")
        ctx.wait_for_condition(lambda s, c: c.logger.info("in-check") or s,
                               WaitForConditionConfig(lambda s, a: WaitForConditionDecision.stop_polling(), 1),
                               name="poll")
        ctx.wait_for_callback(lambda cid, c: c.logger.info("in-submit"), name="wfc")

    assert run(handler, svc) == {"Status": "PENDING"}
    got = [(r.getMessage(), fields(r)) for r in records]
    kid = R2
    wfc = op_id(None, 4)
    assert got == [
        ("root msg", {"executionArn": ARN}),
        ("in-step", {"executionArn": ARN, "operationId": R1, "operationName": "s", "attempt": 1}),
        ("in-child", {"executionArn": ARN, "parentId": kid}),
        ("in-child-step", {"executionArn": ARN, "parentId": kid, "operationId": op_id(kid, 1),
                           "operationName": "cs", "attempt": 1}),
        ("in-check", {"executionArn": ARN, "operationId": op_id(None, 3), "operationName": "poll", "attempt": 1}),
        ("in-submit", {"executionArn": ARN, "parentId": wfc, "operationId": op_id(wfc, 2),
                       "operationName": "wfc submitter", "attempt": 1}),
    ]
    assert records[0].mine == 1
    assert records[1].levelno == logging.WARNING


def test_logger_is_silent_while_replaying(captured):
    logger, records = captured
    svc = FakeService()

    def handler(event, ctx):
        ctx.set_logger(logger)
        ctx.logger.info("before")
        ctx.step(lambda sc: sc.logger.info("in-step"), name="s")
        ctx.logger.info("between")
        ctx.wait(Duration(5), name="w")
        ctx.logger.info("after")
        return 1

    run(handler, svc)
    assert [r.getMessage() for r in records] == ["before", "in-step", "between"]
    records.clear()
    w = R2
    svc.operations[w] = dict(svc.operations[w], Status="SUCCEEDED")
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": "1"}
    assert [r.getMessage() for r in records] == ["after"]


def test_logger_mode_aware_off_logs_during_replay(captured):
    logger, records = captured
    svc = FakeService()
    svc.event(extra_ops=[step_rec(R1, name="s", result="1")])

    def handler(event, ctx):
        ctx.configure_logger(logger, mode_aware=False)
        ctx.logger.info("replaying %s", ctx.is_replaying())

    run(handler, svc)
    assert [r.getMessage() for r in records] == ["replaying True"]


def test_b02_logs_are_suppressed_when_history_is_on_page_two(captured):
    logger, records = captured
    svc = FakeService(pages={"p2": ([step_rec(R1, result="1")], None)})

    def handler(event, ctx):
        ctx.set_logger(logger)
        ctx.logger.info("replayed line")
        ctx.step(lambda _: 1)
        ctx.logger.info("new line")

    durable_execution(client=svc)(handler)(paged_event([execution_op({})], "p2"), None)
    assert [r.getMessage() for r in records] == ["new line"]
