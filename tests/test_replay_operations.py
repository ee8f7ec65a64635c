"""wait, create_callback, wait_for_callback, invoke, wait_for_condition, run_in_child_context,
map and parallel: the exact updates each writes (protocol.md 3.1/3.2) and what each does for
every stored status on replay (5.2), including that a completed operation never re-runs its
body, plus B05 (UTF-8 size of a child result), B06 (large batch results), B12, B25, B27, B29."""
from __future__ import annotations

import datetime
import json
from hashlib import blake2b

import pytest

from fakes import NOW, START_MS, FakeService
from lambda_durable import (
    BatchItemStatus,
    CallbackError,
    CallbackExternalError,
    CallbackSubmitterError,
    CallbackTimeoutError,
    ChildContextError,
    InvokeError,
    ParallelBranch,
    SerDesError,
    StepError,
    WaitForConditionError,
    durable_execution,
)
from lambda_durable.concurrency.models import BatchResult
from lambda_durable.config import (
    CallbackConfig,
    ChildConfig,
    CompletionConfig,
    Duration,
    InvokeConfig,
    MapConfig,
    NestingType,
    ParallelConfig,
    StepConfig,
    WaitForCallbackConfig,
)
from lambda_durable.exceptions import SuspendExecution, TimedSuspendExecution
from lambda_durable.retries import RetryDecision, RetryPresets
from lambda_durable.serdes import JsonSerDes, PassThroughSerDes, SerDes
from lambda_durable.waits import WaitForConditionConfig, WaitForConditionDecision

OFFICIAL = "aws_durable_execution_sdk_python.exceptions"


def op_id(prefix, n):
    key = str(n) if prefix is None else f"{prefix}-{n}"
    return blake2b(key.encode()).hexdigest()[:64]


R1, R2, R3 = op_id(None, 1), op_id(None, 2), op_id(None, 3)


def record(id, type_, sub_type, status, *, name=None, parent=None, **details):
    rec = {"Id": id, "Type": type_, "SubType": sub_type, "Status": status, "StartTimestamp": START_MS}
    if name is not None:
        rec["Name"] = name
    if parent is not None:
        rec["ParentId"] = parent
    key = {"WAIT": "WaitDetails", "CALLBACK": "CallbackDetails", "CHAINED_INVOKE": "ChainedInvokeDetails",
           "STEP": "StepDetails", "CONTEXT": "ContextDetails"}[type_]
    if details:
        rec[key] = details
    return rec


def run(handler, svc: FakeService, payload=None):
    return durable_execution(client=svc)(handler)(svc.event(payload), None)


def set_status(svc: FakeService, operation_id: str, status: str, **details) -> None:
    rec = dict(svc.operations[operation_id], Status=status)
    key = {"WAIT": "WaitDetails", "CALLBACK": "CallbackDetails", "CHAINED_INVOKE": "ChainedInvokeDetails",
           "STEP": "StepDetails", "CONTEXT": "ContextDetails"}[rec["Type"]]
    if details:
        rec[key] = {**(rec.get(key) or {}), **details}
    svc.operations[operation_id] = rec


def capture_suspension(fn, sink):
    try:
        return fn()
    except SuspendExecution as exc:
        sink.append(exc)
        raise


class Calls:
    """A body/callable that counts its calls and returns ``value``."""

    def __init__(self, value=None):
        self.calls = 0
        self.value = value

    def __call__(self, *args):
        self.calls += 1
        return self.value


# ==============================================================================================
# wait
# ==============================================================================================


def test_wait_first_run_starts_synchronously_and_suspends_until_the_scheduled_end():
    svc = FakeService()
    suspended = []
    out = run(lambda e, ctx: capture_suspension(lambda: ctx.wait(Duration.from_minutes(2), name="w"), suspended), svc)
    assert out == {"Status": "PENDING"}
    assert svc.calls == [[{"Id": R1, "Type": "WAIT", "Action": "START", "SubType": "Wait", "Name": "w",
                           "WaitOptions": {"WaitSeconds": 120}}]]
    (exc,) = suspended
    assert isinstance(exc, TimedSuspendExecution)
    assert exc.scheduled_timestamp == pytest.approx((NOW + datetime.timedelta(seconds=120)).timestamp())


def test_wait_unnamed_sends_no_name():
    svc = FakeService()
    run(lambda e, ctx: ctx.wait(Duration(5)), svc)
    assert svc.updates == [{"Id": R1, "Type": "WAIT", "Action": "START", "SubType": "Wait",
                            "WaitOptions": {"WaitSeconds": 5}}]


def test_wait_started_suspends_until_stored_end_without_a_checkpoint():
    svc = FakeService()
    end_ms = START_MS + 60_000
    svc.event(extra_ops=[record(R1, "WAIT", "Wait", "STARTED", name="w", ScheduledEndTimestamp=end_ms)])
    suspended = []
    out = run(lambda e, ctx: capture_suspension(lambda: ctx.wait(Duration(60), name="w"), suspended), svc)
    assert out == {"Status": "PENDING"}
    assert svc.calls == []
    assert suspended[0].scheduled_timestamp == pytest.approx(end_ms / 1000)


@pytest.mark.parametrize("status", ["SUCCEEDED", "CANCELLED"])
def test_wait_succeeded_returns_and_the_code_goes_on(status):
    svc = FakeService()
    svc.event(extra_ops=[record(R1, "WAIT", "Wait", status, name="w", ScheduledEndTimestamp=START_MS)])
    out = run(lambda e, ctx: [ctx.wait(Duration(60), name="w"), ctx.step(lambda _: "after", name="s")][1], svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"after"'}
    assert [u["Id"] for u in svc.updates] == [R2, R2]


class InlineService(FakeService):
    """Completes waits and fails chained invokes inside the START checkpoint (as the emulator
    does for timers already due) so the SDK sees the outcome in the same response."""

    def _apply(self, u):
        op = super()._apply(u)
        if u["Action"] == "START" and u["Type"] == "WAIT":
            op["Status"] = "SUCCEEDED"
        if u["Action"] == "START" and u["Type"] == "CHAINED_INVOKE":
            op["Status"] = "FAILED"
            op["ChainedInvokeDetails"] = {"Error": {"ErrorMessage": "no such function", "ErrorType": "ResourceNotFound"}}
        return op


def test_wait_completed_in_the_start_response_does_not_suspend():
    svc = InlineService()
    out = run(lambda e, ctx: [ctx.wait(Duration(1), name="w"), "went on"][1], svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"went on"'}


def test_wait_in_child_context_carries_parent_id():
    svc = FakeService()
    run(lambda e, ctx: ctx.run_in_child_context(lambda c: c.wait(Duration(3), name="inner"), name="c"), svc)
    wait = [u for u in svc.updates if u["Type"] == "WAIT"]
    assert wait == [{"Id": op_id(R1, 1), "Type": "WAIT", "Action": "START", "SubType": "Wait", "Name": "inner",
                     "ParentId": R1, "WaitOptions": {"WaitSeconds": 3}}]
    # suspension is not a failure: no CONTEXT FAIL
    assert [u["Action"] for u in svc.updates if u["Type"] == "CONTEXT"] == ["START"]


# ==============================================================================================
# create_callback
# ==============================================================================================


def test_callback_first_run_writes_start_with_both_timeouts_and_returns_the_minted_id():
    svc = FakeService()
    got = []
    out = run(lambda e, ctx: got.append(ctx.create_callback(name="cb").callback_id) or "ok", svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert svc.calls == [[{"Id": R1, "Type": "CALLBACK", "Action": "START", "SubType": "Callback", "Name": "cb",
                           "CallbackOptions": {"TimeoutSeconds": 0, "HeartbeatTimeoutSeconds": 0}}]]
    assert got == [svc.operations[R1]["CallbackDetails"]["CallbackId"]]


def test_callback_config_timeouts_and_sub_type():
    svc = FakeService()
    config = CallbackConfig(timeout=Duration.from_minutes(5), heartbeat_timeout=Duration(30), sub_type="Approval")
    run(lambda e, ctx: ctx.create_callback(config=config), svc)
    assert svc.updates == [{"Id": R1, "Type": "CALLBACK", "Action": "START", "SubType": "Approval",
                            "CallbackOptions": {"TimeoutSeconds": 300, "HeartbeatTimeoutSeconds": 30}}]


def test_callback_result_suspends_untimed_while_started():
    svc = FakeService()
    suspended = []
    out = run(lambda e, ctx: capture_suspension(ctx.create_callback(name="cb").result, suspended), svc)
    assert out == {"Status": "PENDING"}
    assert type(suspended[0]) is SuspendExecution


def test_callback_started_on_replay_returns_the_stored_id_without_a_checkpoint():
    svc = FakeService()
    svc.event(extra_ops=[record(R1, "CALLBACK", "Callback", "STARTED", name="cb", CallbackId="c3RvcmVk")])
    ids = []
    out = run(lambda e, ctx: ids.append(ctx.create_callback(name="cb").callback_id) or ctx.create_callback(name="cb").result(), svc)
    # the second create_callback is a new operation (R2) and is started
    assert out == {"Status": "PENDING"}
    assert ids == ["c3RvcmVk"]
    assert [u["Id"] for u in svc.updates] == [R2]


@pytest.mark.parametrize(
    ("config", "stored", "expected"),
    [
        (None, '{"status": "approved"}', '{"status": "approved"}'),
        (CallbackConfig(serdes=JsonSerDes()), '{"status": "approved"}', {"status": "approved"}),
        (None, None, None),
        (None, "", ""),
    ],
)
def test_callback_succeeded_result(config, stored, expected):
    svc = FakeService()
    details = {"CallbackId": "aWQ="}
    if stored is not None:
        details["Result"] = stored
    svc.event(extra_ops=[record(R1, "CALLBACK", "Callback", "SUCCEEDED", **details)])
    got = []
    out = run(lambda e, ctx: got.append(ctx.create_callback(config=config).result()) or "ok", svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert got == [expected]
    assert svc.calls == []


@pytest.mark.parametrize(
    ("status", "error", "cls", "message"),
    [
        ("FAILED", {"ErrorMessage": "rejected", "ErrorType": "Rejected", "ErrorData": "{\"x\":1}", "StackTrace": ["s1"]},
         CallbackExternalError, "rejected"),
        ("FAILED", None, CallbackExternalError, "Callback failed"),
        ("TIMED_OUT", {"ErrorMessage": "Callback timed out", "ErrorType": "Callback.Timeout"}, CallbackTimeoutError,
         "Callback timed out"),
        ("TIMED_OUT", {"ErrorMessage": "Callback timed out on heartbeat", "ErrorType": "Callback.Heartbeat"},
         CallbackTimeoutError, "Callback timed out on heartbeat"),
        ("TIMED_OUT", None, CallbackTimeoutError, "Callback timed out"),
        ("STOPPED", None, CallbackExternalError, "Callback failed"),
        ("CANCELLED", None, CallbackExternalError, "Callback failed"),
    ],
)
def test_b25_terminal_callback_raises_from_result_not_from_create(status, error, cls, message):
    svc = FakeService()
    details = {"CallbackId": "aWQ="}
    if error is not None:
        details["Error"] = error
    svc.event(extra_ops=[record(R1, "CALLBACK", "Callback", status, name="cb", **details)])
    seen = []

    def handler(event, ctx):
        callback = ctx.create_callback(name="cb")
        seen.append(callback.callback_id)
        try:
            callback.result()
        except CallbackError as exc:
            seen.append(exc)
        return "handled"

    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"handled"'}
    assert seen[0] == "aWQ="
    exc = seen[1]
    assert type(exc) is cls
    assert exc.message == message
    if error is not None:
        assert exc.error_type == error["ErrorType"]
        assert exc.data == error.get("ErrorData")
        assert exc.stack_trace == error.get("StackTrace")
    assert svc.calls == []


def test_b27_code_between_create_and_result_reruns_but_the_callback_is_not_recreated():
    svc = FakeService()
    plain, in_step = [], []

    def handler(event, ctx):
        callback = ctx.create_callback(name="approval")
        plain.append(callback.callback_id)
        ctx.step(lambda _: in_step.append("sent-in-step"), name="notify")
        return callback.result()

    assert run(handler, svc) == {"Status": "PENDING"}
    set_status(svc, R1, "SUCCEEDED", Result="approved")
    svc.calls.clear()
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"approved"'}
    assert len(plain) == 2 and plain[0] == plain[1]
    assert in_step == ["sent-in-step"]
    assert svc.calls == []


# ==============================================================================================
# wait_for_callback
# ==============================================================================================

W = R1
W_CB = op_id(W, 1)
W_SUB = op_id(W, 2)


def test_wait_for_callback_first_run_updates():
    svc = FakeService()
    submitted = []
    config = WaitForCallbackConfig(timeout=Duration(10), heartbeat_timeout=Duration(3))
    out = run(lambda e, ctx: ctx.wait_for_callback(lambda cid, c: submitted.append(cid), name="approve", config=config), svc)
    assert out == {"Status": "PENDING"}
    assert svc.updates == [
        {"Id": W, "Type": "CONTEXT", "Action": "START", "SubType": "WaitForCallback", "Name": "approve"},
        {"Id": W_CB, "Type": "CALLBACK", "Action": "START", "SubType": "Callback", "Name": "approve create callback id",
         "ParentId": W, "CallbackOptions": {"TimeoutSeconds": 10, "HeartbeatTimeoutSeconds": 3}},
        {"Id": W_SUB, "Type": "STEP", "Action": "START", "SubType": "Step", "Name": "approve submitter", "ParentId": W},
        {"Id": W_SUB, "Type": "STEP", "Action": "SUCCEED", "SubType": "Step", "Name": "approve submitter",
         "ParentId": W, "Payload": "null"},
    ]
    assert submitted == [svc.operations[W_CB]["CallbackDetails"]["CallbackId"]]


def test_wait_for_callback_replay_returns_result_without_resubmitting():
    svc = FakeService()
    submitter = Calls()
    handler = lambda e, ctx: ctx.wait_for_callback(submitter, name="approve")  # noqa: E731
    run(handler, svc)
    set_status(svc, W_CB, "SUCCEEDED", Result='{"ok": true}')
    svc.calls.clear()
    out = run(handler, svc)
    assert out == {"Status": "SUCCEEDED", "Result": json.dumps('{"ok": true}')}
    assert submitter.calls == 1
    assert svc.updates == [
        {"Id": W, "Type": "CONTEXT", "Action": "SUCCEED", "SubType": "WaitForCallback", "Name": "approve",
         "Payload": json.dumps('{"ok": true}', separators=(",", ":")), "ContextOptions": {"ReplayChildren": False}},
    ]
    # completed: the whole operation replays from its record
    svc.calls.clear()
    assert run(handler, svc) == out
    assert submitter.calls == 1 and svc.calls == []


def test_wait_for_callback_serdes_decodes_the_result():
    svc = FakeService()
    config = WaitForCallbackConfig(serdes=JsonSerDes())
    handler = lambda e, ctx: ctx.wait_for_callback(lambda cid, c: None, config=config)  # noqa: E731
    run(handler, svc)
    set_status(svc, W_CB, "SUCCEEDED", Result='{"data": "x"}')
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '{"data": "x"}'}


@pytest.mark.parametrize(
    ("status", "error", "cls"),
    [
        ("FAILED", {"ErrorMessage": "nope", "ErrorType": "Rejected", "ErrorData": "d", "StackTrace": ["a"]},
         CallbackExternalError),
        ("TIMED_OUT", {"ErrorMessage": "Callback timed out", "ErrorType": "Callback.Timeout"}, CallbackTimeoutError),
    ],
)
def test_wait_for_callback_callback_failure_raises_the_callback_error_first_run_and_replay(status, error, cls):
    svc = FakeService()
    seen = []

    def handler(event, ctx):
        try:
            return ctx.wait_for_callback(lambda cid, c: None, name="approve")
        except CallbackError as exc:
            seen.append((type(exc), exc.message, exc.error_type, exc.data, exc.stack_trace))
            return "caught"

    run(handler, svc)
    set_status(svc, W_CB, status, Error=error)
    svc.calls.clear()
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"caught"'}
    qualified = f"{OFFICIAL}.{cls.__name__}"
    assert svc.updates == [
        {"Id": W, "Type": "CONTEXT", "Action": "FAIL", "SubType": "WaitForCallback", "Name": "approve",
         "Error": {k: v for k, v in {"ErrorMessage": error["ErrorMessage"], "ErrorType": qualified,
                                     "ErrorData": error.get("ErrorData"), "StackTrace": error.get("StackTrace")}.items()
                   if v is not None}},
    ]
    # replay from the FAILED context gives the same error
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"caught"'}
    assert seen[0][0] is cls
    assert seen[0] == seen[1]
    assert seen[0][1] == error["ErrorMessage"]


def test_b26_submitter_failure_raises_callback_submitter_error_first_run_and_replay():
    svc = FakeService()
    seen = []
    attempts = []

    def submitter(callback_id, ctx):
        attempts.append(callback_id)
        raise RuntimeError("Submitter failed")

    config = WaitForCallbackConfig(retry_strategy=RetryPresets.none())

    def handler(event, ctx):
        try:
            return ctx.wait_for_callback(submitter, name="failing-submitter", config=config)
        except CallbackSubmitterError as exc:
            seen.append((exc.message, exc.data, exc.stack_trace, type(exc.__cause__)))
            return {"success": False, "error": exc.message}

    out = run(handler, svc)
    assert out == {"Status": "SUCCEEDED", "Result": '{"success": false, "error": "Submitter failed"}'}
    step_fail = [u for u in svc.updates if u["Type"] == "STEP" and u["Action"] == "FAIL"]
    assert step_fail[0]["Error"] == {"ErrorMessage": "Submitter failed", "ErrorType": "RuntimeError"}
    ctx_fail = [u for u in svc.updates if u["Type"] == "CONTEXT" and u["Action"] == "FAIL"]
    assert ctx_fail[0]["Error"] == {"ErrorMessage": "Submitter failed", "ErrorType": f"{OFFICIAL}.StepError"}
    assert run(handler, svc) == out
    assert len(attempts) == 1
    assert seen[0] == seen[1]
    assert seen[0][3] is StepError


def test_b26_submitter_uses_the_configured_retry_strategy():
    svc = FakeService()
    config = WaitForCallbackConfig(retry_strategy=lambda e, n: RetryDecision.retry(Duration(4)))
    out = run(lambda e, ctx: ctx.wait_for_callback(lambda cid, c: 1 / 0, config=config), svc)
    assert out == {"Status": "PENDING"}
    retry = [u for u in svc.updates if u["Action"] == "RETRY"]
    assert retry == [{"Id": W_SUB, "Type": "STEP", "Action": "RETRY", "SubType": "Step", "Name": "submitter",
                      "ParentId": W, "Error": {"ErrorMessage": "division by zero", "ErrorType": "ZeroDivisionError"},
                      "StepOptions": {"NextAttemptDelaySeconds": 4}}]


# ==============================================================================================
# invoke
# ==============================================================================================


def test_invoke_first_run_writes_start_with_plain_json_payload_and_suspends_untimed():
    svc = FakeService()
    suspended = []
    out = run(lambda e, ctx: capture_suspension(
        lambda: ctx.invoke("arn:aws:lambda:us-east-1:123456789012:function:child:1", {"a": [1, 2]}, name="call"),
        suspended), svc)
    assert out == {"Status": "PENDING"}
    assert svc.calls == [[{"Id": R1, "Type": "CHAINED_INVOKE", "Action": "START", "SubType": "ChainedInvoke",
                           "Name": "call", "Payload": '{"a": [1, 2]}',
                           "ChainedInvokeOptions": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:child:1"}}]]
    assert type(suspended[0]) is SuspendExecution


def test_invoke_tenant_id_none_payload_and_no_name():
    svc = FakeService()
    run(lambda e, ctx: ctx.invoke("fn", None, config=InvokeConfig(tenant_id="tenant-1")), svc)
    assert svc.updates == [{"Id": R1, "Type": "CHAINED_INVOKE", "Action": "START", "SubType": "ChainedInvoke",
                            "Payload": "null", "ChainedInvokeOptions": {"FunctionName": "fn", "TenantId": "tenant-1"}}]


def test_invoke_started_suspends_without_a_checkpoint():
    svc = FakeService()
    svc.event(extra_ops=[record(R1, "CHAINED_INVOKE", "ChainedInvoke", "STARTED", name="call")])
    out = run(lambda e, ctx: ctx.invoke("fn", {"x": 1}, name="call"), svc)
    assert out == {"Status": "PENDING"}
    assert svc.calls == []


@pytest.mark.parametrize("status", ["PENDING", "READY"])
def test_invoke_non_terminal_statuses_suspend(status):
    svc = FakeService()
    svc.event(extra_ops=[record(R1, "CHAINED_INVOKE", "ChainedInvoke", status)])
    out = run(lambda e, ctx: ctx.invoke("fn", {}), svc)
    assert out == {"Status": "PENDING"}
    assert svc.calls == []


@pytest.mark.parametrize(("stored", "expected"), [('{"total": 3}', {"total": 3}), ("[1, 2]", [1, 2]), (None, None)])
def test_invoke_succeeded_returns_the_json_result(stored, expected):
    svc = FakeService()
    details = {} if stored is None else {"Result": stored}
    svc.event(extra_ops=[record(R1, "CHAINED_INVOKE", "ChainedInvoke", "SUCCEEDED", name="call", **details)])
    got = []
    run(lambda e, ctx: got.append(ctx.invoke("fn", {"x": 1}, name="call")), svc)
    assert got == [expected]
    assert svc.calls == []


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "STOPPED"])
def test_b25_invoke_terminal_failure_raises_invoke_error(status):
    svc = FakeService()
    error = {"ErrorMessage": f"child {status}", "ErrorType": "ChildError", "ErrorData": "data"}
    svc.event(extra_ops=[record(R1, "CHAINED_INVOKE", "ChainedInvoke", status, name="call", Error=error)])
    seen = []

    def handler(event, ctx):
        try:
            ctx.invoke("fn", {}, name="call")
        except InvokeError as exc:
            seen.append((exc.message, exc.error_type, exc.data))
        return "handled"

    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"handled"'}
    assert seen == [(f"child {status}", "ChildError", "data")]
    assert svc.calls == []


@pytest.mark.parametrize("status", ["TIMED_OUT", "STOPPED"])
def test_b25_invoke_terminal_without_error_object_still_raises(status):
    svc = FakeService()
    svc.event(extra_ops=[record(R1, "CHAINED_INVOKE", "ChainedInvoke", status)])
    out = run(lambda e, ctx: ctx.invoke("fn", {}), svc)
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.InvokeError"


def test_invoke_failure_in_the_start_response_raises_without_suspending():
    svc = InlineService()
    seen = []

    def handler(event, ctx):
        try:
            ctx.invoke("missing", {}, name="call")
        except InvokeError as exc:
            seen.append(exc.message)
        return "went on"

    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"went on"'}
    assert seen == ["no such function"]


def test_invoke_custom_serdes():
    class Upper(SerDes):
        def serialize(self, value, ctx):
            return value.upper()

        def deserialize(self, data, ctx):
            return data.lower()

    svc = FakeService()
    config = InvokeConfig(serdes_payload=Upper(), serdes_result=Upper())
    run(lambda e, ctx: ctx.invoke("fn", "hello", config=config), svc)
    assert svc.updates[0]["Payload"] == "HELLO"
    set_status(svc, R1, "SUCCEEDED", Result="WORLD")
    assert run(lambda e, ctx: ctx.invoke("fn", "hello", config=config), svc) == {"Status": "SUCCEEDED", "Result": '"world"'}


# ==============================================================================================
# wait_for_condition
# ==============================================================================================


def stop_at(target, delay=2):
    def strategy(state, attempt):
        if state["n"] >= target:
            return WaitForConditionDecision.stop_polling()
        return WaitForConditionDecision.continue_waiting(Duration(delay))

    return strategy


class Checker:
    def __init__(self):
        self.seen = []

    def __call__(self, state, ctx):
        self.seen.append((state, ctx.attempt))
        return {"n": state["n"] + 1}


def wfc_config(target, delay=2, initial=None, serdes=None):
    return WaitForConditionConfig(stop_at(target, delay), initial if initial is not None else {"n": 0}, serdes)


def test_wait_for_condition_first_poll_continue_writes_start_and_retry_with_state():
    svc = FakeService()
    check = Checker()
    suspended = []
    out = run(lambda e, ctx: capture_suspension(lambda: ctx.wait_for_condition(check, wfc_config(3), name="poll"), suspended), svc)
    assert out == {"Status": "PENDING"}
    assert svc.updates == [
        {"Id": R1, "Type": "STEP", "Action": "START", "SubType": "WaitForCondition", "Name": "poll"},
        {"Id": R1, "Type": "STEP", "Action": "RETRY", "SubType": "WaitForCondition", "Name": "poll",
         "Payload": '{"t":"m","v":{"n":{"t":"i","v":1}}}', "StepOptions": {"NextAttemptDelaySeconds": 2}},
    ]
    assert check.seen == [({"n": 0}, 1)]
    assert isinstance(suspended[0], TimedSuspendExecution)
    assert suspended[0].scheduled_timestamp == pytest.approx((NOW + datetime.timedelta(seconds=2)).timestamp())


def test_wait_for_condition_delay_is_at_least_one_second():
    svc = FakeService()
    run(lambda e, ctx: ctx.wait_for_condition(Checker(), wfc_config(3, delay=0)), svc)
    assert svc.updates[-1]["StepOptions"] == {"NextAttemptDelaySeconds": 1}


def test_wait_for_condition_stop_on_first_poll_succeeds_with_the_state():
    svc = FakeService()
    out = run(lambda e, ctx: ctx.wait_for_condition(Checker(), wfc_config(1)), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '{"n": 1}'}
    assert svc.updates == [
        {"Id": R1, "Type": "STEP", "Action": "START", "SubType": "WaitForCondition"},
        {"Id": R1, "Type": "STEP", "Action": "SUCCEED", "SubType": "WaitForCondition",
         "Payload": '{"t":"m","v":{"n":{"t":"i","v":1}}}'},
    ]


def test_wait_for_condition_pending_suspends_without_checking():
    svc = FakeService()
    next_ms = START_MS + 5000
    svc.event(extra_ops=[record(R1, "STEP", "WaitForCondition", "PENDING", Attempt=1, NextAttemptTimestamp=next_ms,
                                Result='{"t":"m","v":{"n":{"t":"i","v":1}}}')])
    check = Checker()
    suspended = []
    out = run(lambda e, ctx: capture_suspension(lambda: ctx.wait_for_condition(check, wfc_config(3)), suspended), svc)
    assert out == {"Status": "PENDING"}
    assert check.seen == [] and svc.calls == []
    assert suspended[0].scheduled_timestamp == pytest.approx(next_ms / 1000)


def test_wait_for_condition_ready_restarts_from_the_stored_state():
    svc = FakeService()
    svc.event(extra_ops=[record(R1, "STEP", "WaitForCondition", "READY", name="poll", Attempt=2,
                                Result='{"t":"m","v":{"n":{"t":"i","v":2}}}')])
    check = Checker()
    out = run(lambda e, ctx: ctx.wait_for_condition(check, wfc_config(3), name="poll"), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '{"n": 3}'}
    assert check.seen == [({"n": 2}, 3)]
    assert [u["Action"] for u in svc.updates] == ["START", "SUCCEED"]


def test_wait_for_condition_started_checks_stored_state_without_a_new_start():
    svc = FakeService()
    svc.event(extra_ops=[record(R1, "STEP", "WaitForCondition", "STARTED", Attempt=1,
                                Result='{"t":"m","v":{"n":{"t":"i","v":1}}}')])
    check = Checker()
    out = run(lambda e, ctx: ctx.wait_for_condition(check, wfc_config(3)), svc)
    assert out == {"Status": "PENDING"}
    assert check.seen == [({"n": 1}, 2)]
    assert [u["Action"] for u in svc.updates] == ["RETRY"]


def test_wait_for_condition_full_cycle_polls_until_the_condition_holds():
    svc = FakeService()
    check = Checker()
    handler = lambda e, ctx: ctx.wait_for_condition(check, wfc_config(3), name="poll")  # noqa: E731
    for _ in range(2):
        assert run(handler, svc) == {"Status": "PENDING"}
        set_status(svc, R1, "READY")
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '{"n": 3}'}
    assert check.seen == [({"n": 0}, 1), ({"n": 1}, 2), ({"n": 2}, 3)]
    assert [u["Action"] for u in svc.updates] == ["START", "RETRY", "START", "RETRY", "START", "SUCCEED"]
    check.seen.clear()
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '{"n": 3}'}
    assert check.seen == []


def test_wait_for_condition_succeeded_and_failed_records():
    svc = FakeService()
    svc.event(extra_ops=[
        record(R1, "STEP", "WaitForCondition", "SUCCEEDED", Attempt=2, Result='{"t":"m","v":{"n":{"t":"i","v":7}}}'),
        record(R2, "STEP", "WaitForCondition", "FAILED", Attempt=1,
               Error={"ErrorMessage": "gave up", "ErrorType": f"{OFFICIAL}.WaitForConditionError"}),
    ])
    check = Checker()
    seen = []

    def handler(event, ctx):
        seen.append(ctx.wait_for_condition(check, wfc_config(3)))
        try:
            ctx.wait_for_condition(check, wfc_config(3))
        except WaitForConditionError as exc:
            seen.append((exc.message, exc.error_type))
        return "ok"

    assert run(handler, svc)["Status"] == "SUCCEEDED"
    assert seen == [{"n": 7}, ("gave up", f"{OFFICIAL}.WaitForConditionError")]
    assert check.seen == [] and svc.calls == []


def test_wait_for_condition_check_error_fails_the_operation():
    svc = FakeService()
    seen = []

    def handler(event, ctx):
        try:
            ctx.wait_for_condition(lambda s, c: 1 / 0, wfc_config(3), name="poll")
        except WaitForConditionError as exc:
            seen.append((exc.message, exc.error_type))
        return "ok"

    run(handler, svc)
    assert svc.updates[-1] == {"Id": R1, "Type": "STEP", "Action": "FAIL", "SubType": "WaitForCondition", "Name": "poll",
                               "Error": {"ErrorMessage": "division by zero", "ErrorType": "ZeroDivisionError"}}
    assert seen == [("division by zero", "ZeroDivisionError")]


def test_b12_undecodable_stored_state_fails_instead_of_restarting():
    class Picky(SerDes):
        def serialize(self, value, ctx):
            return json.dumps(value)

        def deserialize(self, data, ctx):
            value = json.loads(data)
            if value["n"] == 1:
                raise ValueError("cannot read n == 1")
            return value

    svc = FakeService()
    svc.event(extra_ops=[record(R1, "STEP", "WaitForCondition", "READY", Attempt=1, Result='{"n": 1}')])
    check = Checker()
    out = run(lambda e, ctx: ctx.wait_for_condition(check, wfc_config(3, serdes=Picky())), svc)
    assert check.seen == []
    assert [u["Action"] for u in svc.updates] == ["START", "FAIL"]
    assert svc.updates[-1]["Error"]["ErrorType"] == f"{OFFICIAL}.SerDesError"
    assert "cannot read n == 1" in svc.updates[-1]["Error"]["ErrorMessage"]
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.SerDesError"


def test_b12_initial_state_is_round_tripped_before_the_first_check():
    svc = FakeService()
    check = Checker()
    config = WaitForConditionConfig(stop_at(1), {"n": 0, "tags": (1, 2)})
    run(lambda e, ctx: ctx.wait_for_condition(lambda s, c: check(s, c) and {"n": 1}, config), svc)
    assert check.seen[0][0] == {"n": 0, "tags": (1, 2)}
    assert type(check.seen[0][0]["tags"]) is tuple


# ==============================================================================================
# run_in_child_context
# ==============================================================================================


def test_child_first_run_updates_and_round_tripped_result():
    svc = FakeService()
    got = []

    def body(child):
        return {"inner": child.step(lambda _: (1, 2), name="s")}

    out = run(lambda e, ctx: got.append(ctx.run_in_child_context(body, name="kid")) or "ok", svc)
    assert out["Status"] == "SUCCEEDED"
    payload = '{"t":"m","v":{"inner":{"t":"t","v":[{"t":"i","v":1},{"t":"i","v":2}]}}}'
    assert svc.updates == [
        {"Id": R1, "Type": "CONTEXT", "Action": "START", "SubType": "RunInChildContext", "Name": "kid"},
        {"Id": op_id(R1, 1), "Type": "STEP", "Action": "START", "SubType": "Step", "Name": "s", "ParentId": R1},
        {"Id": op_id(R1, 1), "Type": "STEP", "Action": "SUCCEED", "SubType": "Step", "Name": "s", "ParentId": R1,
         "Payload": '{"t":"t","v":[{"t":"i","v":1},{"t":"i","v":2}]}'},
        {"Id": R1, "Type": "CONTEXT", "Action": "SUCCEED", "SubType": "RunInChildContext", "Name": "kid",
         "Payload": payload, "ContextOptions": {"ReplayChildren": False}},
    ]
    assert got == [{"inner": (1, 2)}]


def test_child_and_batch_starts_are_not_blocking():
    svc = FakeService()
    seen = []

    def handler(event, ctx):
        ctx.run_in_child_context(lambda c: seen.append(len(svc.calls)), name="c")
        ctx.map([1], lambda c, x, i, xs: seen.append(len(svc.calls)), name="m")
        ctx.parallel([lambda c: seen.append(len(svc.calls))], name="p")

    run(handler, svc)
    # each START is still queued when the body runs; it goes out with the SUCCEED that follows
    assert seen == [0, 1, 3]
    assert [[(u["Id"], u["Action"]) for u in b][0] for b in svc.calls][:2] == [(R1, "START"), (R2, "START")]


def test_child_custom_sub_type_and_serdes():
    svc = FakeService()
    config = ChildConfig(serdes=JsonSerDes(), sub_type="Saga")
    out = run(lambda e, ctx: ctx.run_in_child_context(lambda c: {"a": 1}, config=config), svc)
    assert out["Result"] == '{"a": 1}'
    assert svc.updates == [
        {"Id": R1, "Type": "CONTEXT", "Action": "START", "SubType": "Saga"},
        {"Id": R1, "Type": "CONTEXT", "Action": "SUCCEED", "SubType": "Saga", "Payload": '{"a": 1}',
         "ContextOptions": {"ReplayChildren": False}},
    ]


def test_child_succeeded_returns_the_stored_result_without_running_the_body():
    svc = FakeService()
    svc.event(extra_ops=[record(R1, "CONTEXT", "RunInChildContext", "SUCCEEDED", name="kid", Result='"stored"')])
    body = Calls("fresh")
    out = run(lambda e, ctx: ctx.run_in_child_context(body, name="kid"), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"stored"'}
    assert body.calls == 0 and svc.calls == []


def test_child_started_reruns_the_body_without_a_new_start():
    svc = FakeService()
    svc.event(extra_ops=[
        record(R1, "CONTEXT", "RunInChildContext", "STARTED", name="kid"),
        record(op_id(R1, 1), "STEP", "Step", "SUCCEEDED", name="a", parent=R1, Attempt=1, Result='"A"'),
    ])
    inner = Calls("fresh")

    def body(child):
        return [child.step(inner, name="a"), child.step(lambda _: "B", name="b")]

    out = run(lambda e, ctx: ctx.run_in_child_context(body, name="kid"), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '["A", "B"]'}
    assert inner.calls == 0
    assert [(u["Id"], u["Action"]) for u in svc.updates] == [
        (op_id(R1, 2), "START"), (op_id(R1, 2), "SUCCEED"), (R1, "SUCCEED")
    ]


def test_child_failed_raises_the_stored_error_without_running_the_body():
    svc = FakeService()
    error = {"ErrorMessage": "inner broke", "ErrorType": "KeyError", "ErrorData": "x"}
    svc.event(extra_ops=[record(R1, "CONTEXT", "RunInChildContext", "FAILED", name="kid", Error=error)])
    body = Calls()
    seen = []

    def handler(event, ctx):
        try:
            ctx.run_in_child_context(body, name="kid")
        except ChildContextError as exc:
            seen.append((exc.message, exc.error_type, exc.data))
        return "ok"

    run(handler, svc)
    assert seen == [("inner broke", "KeyError", "x")]
    assert body.calls == 0 and svc.calls == []


def test_child_body_failure_writes_fail_with_the_inner_error():
    svc = FakeService()
    seen = []

    def handler(event, ctx):
        try:
            ctx.run_in_child_context(lambda c: {}["missing"], name="kid")
        except ChildContextError as exc:
            seen.append((exc.message, exc.error_type))
        return "ok"

    run(handler, svc)
    assert svc.updates == [
        {"Id": R1, "Type": "CONTEXT", "Action": "START", "SubType": "RunInChildContext", "Name": "kid"},
        {"Id": R1, "Type": "CONTEXT", "Action": "FAIL", "SubType": "RunInChildContext", "Name": "kid",
         "Error": {"ErrorMessage": "'missing'", "ErrorType": "KeyError"}},
    ]
    assert seen == [("'missing'", "KeyError")]


def test_child_with_failed_step_records_the_step_error_type():
    svc = FakeService()
    no_retry = StepConfig(retry_strategy=RetryPresets.none())
    out = run(lambda e, ctx: ctx.run_in_child_context(
        lambda c: c.step(lambda _: 1 / 0, name="s", config=no_retry), name="kid"), svc)
    ctx_fail = svc.updates[-1]
    assert ctx_fail["Error"] == {"ErrorMessage": "division by zero", "ErrorType": f"{OFFICIAL}.StepError"}
    assert out == {"Status": "FAILED", "Error": {"ErrorMessage": "division by zero",
                                                 "ErrorType": f"{OFFICIAL}.ChildContextError"}}


def test_child_large_result_is_stored_as_summary_and_replayed_from_children():
    svc = FakeService()
    half = "x" * 150_000  # each step result fits its 256 KiB limit; the child's 300,000 do not
    inner = Calls(half)
    config = StepConfig(serdes=PassThroughSerDes())

    def handler(event, ctx):
        value = ctx.run_in_child_context(
            lambda c: c.step(inner, name="s", config=config) + c.step(inner, name="t", config=config),
            name="big", config=ChildConfig(serdes=PassThroughSerDes(), summary_generator=lambda r: f"len={len(r)}"))
        return len(value)

    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": "300000"}
    succeed = svc.updates[-1]
    assert succeed == {"Id": R1, "Type": "CONTEXT", "Action": "SUCCEED", "SubType": "RunInChildContext", "Name": "big",
                       "Payload": "len=300000", "ContextOptions": {"ReplayChildren": True}}
    svc.calls.clear()
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": "300000"}
    assert inner.calls == 2  # one per step, on the first run only
    assert svc.calls == []


def test_child_result_at_the_limit_is_stored_inline():
    svc = FakeService()
    exact = "y" * 262_144
    run(lambda e, ctx: len(ctx.run_in_child_context(lambda c: exact, config=ChildConfig(serdes=PassThroughSerDes()))), svc)
    assert svc.updates[-1]["ContextOptions"] == {"ReplayChildren": False}
    assert svc.updates[-1]["Payload"] == exact
    svc2 = FakeService()
    run(lambda e, ctx: len(ctx.run_in_child_context(lambda c: exact + "y", config=ChildConfig(serdes=PassThroughSerDes()))), svc2)
    assert svc2.updates[-1]["ContextOptions"] == {"ReplayChildren": True}
    assert svc2.updates[-1]["Payload"] == ""


def test_b05_child_result_size_is_counted_in_utf8_bytes():
    svc = FakeService()
    euros = "\u20ac" * 100_000  # 100,000 characters, 300,000 UTF-8 bytes
    out = run(lambda e, ctx: len(ctx.run_in_child_context(lambda c: euros, name="eur",
                                                          config=ChildConfig(serdes=PassThroughSerDes()))), svc)
    assert out == {"Status": "SUCCEEDED", "Result": "100000"}
    assert svc.updates[-1] == {"Id": R1, "Type": "CONTEXT", "Action": "SUCCEED", "SubType": "RunInChildContext",
                               "Name": "eur", "Payload": "", "ContextOptions": {"ReplayChildren": True}}


def test_child_replay_children_reruns_body_and_checkpoints_nothing():
    svc = FakeService()
    svc.event(extra_ops=[
        record(R1, "CONTEXT", "RunInChildContext", "SUCCEEDED", name="kid", Result="", ReplayChildren=True),
        record(op_id(R1, 1), "STEP", "Step", "SUCCEEDED", parent=R1, Attempt=1, Result='"from-child"'),
    ])
    body_runs = []

    def body(child):
        body_runs.append(1)
        return child.step(lambda _: "fresh")

    out = run(lambda e, ctx: ctx.run_in_child_context(body, name="kid"), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"from-child"'}
    assert body_runs == [1]
    assert svc.calls == []


def test_virtual_child_writes_no_context_operation():
    svc = FakeService()
    out = run(lambda e, ctx: ctx.run_in_child_context(lambda c: c.step(lambda _: 3, name="s"),
                                                      name="v", config=ChildConfig(is_virtual=True)), svc)
    assert out == {"Status": "SUCCEEDED", "Result": "3"}
    assert [u["Type"] for u in svc.updates] == ["STEP", "STEP"]
    assert all("ParentId" not in u for u in svc.updates)
    assert svc.updates[0]["Id"] == op_id(R1, 1)


def test_virtual_child_failure_still_raises_without_checkpoint():
    svc = FakeService()
    out = run(lambda e, ctx: ctx.run_in_child_context(lambda c: 1 / 0, config=ChildConfig(is_virtual=True)), svc)
    assert svc.calls == []
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.ChildContextError"


def test_b08_child_unserializable_result_fails_on_the_first_run():
    svc = FakeService()
    out = run(lambda e, ctx: ctx.run_in_child_context(lambda c: {1, 2}, config=ChildConfig(is_virtual=True)), svc)
    assert out["Status"] == "FAILED"


# ==============================================================================================
# map
# ==============================================================================================

M = R1


def item_ids(n):
    return [op_id(M, i) for i in range(n)]


def test_map_first_run_updates_and_result():
    svc = FakeService()
    got = []
    out = run(lambda e, ctx: got.append(ctx.map([1, 2], lambda c, x, i, xs: x * 10, name="m")) or "ok", svc)
    assert out["Status"] == "SUCCEEDED"
    i0, i1 = item_ids(2)
    payload = ('{"t":"br","v":{"all":{"t":"l","v":['
               '{"t":"m","v":{"index":{"t":"i","v":0},"status":{"t":"s","v":"SUCCEEDED"},"result":{"t":"i","v":10},"error":{"t":"n","v":null}}},'
               '{"t":"m","v":{"index":{"t":"i","v":1},"status":{"t":"s","v":"SUCCEEDED"},"result":{"t":"i","v":20},"error":{"t":"n","v":null}}}'
               ']},"completionReason":{"t":"s","v":"ALL_COMPLETED"}}}')
    assert svc.updates == [
        {"Id": M, "Type": "CONTEXT", "Action": "START", "SubType": "Map", "Name": "m"},
        {"Id": i0, "Type": "CONTEXT", "Action": "START", "SubType": "MapIteration", "Name": "map-item-0", "ParentId": M},
        {"Id": i0, "Type": "CONTEXT", "Action": "SUCCEED", "SubType": "MapIteration", "Name": "map-item-0",
         "ParentId": M, "Payload": "10", "ContextOptions": {"ReplayChildren": False}},
        {"Id": i1, "Type": "CONTEXT", "Action": "START", "SubType": "MapIteration", "Name": "map-item-1", "ParentId": M},
        {"Id": i1, "Type": "CONTEXT", "Action": "SUCCEED", "SubType": "MapIteration", "Name": "map-item-1",
         "ParentId": M, "Payload": "20", "ContextOptions": {"ReplayChildren": False}},
        {"Id": M, "Type": "CONTEXT", "Action": "SUCCEED", "SubType": "Map", "Name": "m", "Payload": payload,
         "ContextOptions": {"ReplayChildren": False}},
    ]
    (result,) = got
    assert isinstance(result, BatchResult)
    assert result.get_results() == [10, 20]
    assert result.completion_reason.value == "ALL_COMPLETED"


def test_map_item_function_receives_item_index_and_items():
    svc = FakeService()
    seen = []
    run(lambda e, ctx: ctx.map(["a", "b"], lambda c, x, i, xs: seen.append((x, i, list(xs)))), svc)
    assert seen == [("a", 0, ["a", "b"]), ("b", 1, ["a", "b"])]


def test_map_succeeded_replays_the_batch_result_without_running_items():
    svc = FakeService()
    func = Calls()

    def item(c, x, i, xs):
        func()
        return c.step(lambda _: x + 1)

    handler = lambda e, ctx: ctx.map([1, 2, 3], item, name="m").to_dict()  # noqa: E731
    first = run(handler, svc)
    assert func.calls == 3
    svc.calls.clear()
    assert run(handler, svc) == first
    assert func.calls == 3
    assert svc.calls == []


def test_map_started_replays_completed_items_and_runs_the_rest():
    svc = FakeService()
    runs = {0: 0, 1: 0}

    def item(c, x, i, xs):
        runs[i] += 1
        if i == 1:
            c.wait(Duration(5), name="slow")
        return i

    handler = lambda e, ctx: ctx.map([0, 1], item, name="m").get_results()  # noqa: E731
    assert run(handler, svc) == {"Status": "PENDING"}
    i0, i1 = item_ids(2)
    assert svc.operations[M]["Status"] == "STARTED"
    assert svc.operations[i0]["Status"] == "SUCCEEDED"
    svc.calls.clear()
    assert run(handler, svc) == {"Status": "PENDING"}
    assert runs == {0: 1, 1: 2}
    assert svc.calls == []
    set_status(svc, op_id(i1, 1), "SUCCEEDED")
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": "[0, 1]"}
    assert runs == {0: 1, 1: 3}
    assert [(u["Id"], u["Action"]) for u in svc.updates] == [(i1, "SUCCEED"), (M, "SUCCEED")]


def test_map_item_failure_is_recorded_and_the_map_succeeds():
    svc = FakeService()
    config = MapConfig(completion_config=CompletionConfig.all_completed())
    out = run(lambda e, ctx: ctx.map([0, 1], lambda c, x, i, xs: 1 / x, name="m", config=config).to_dict(), svc)
    assert json.loads(out["Result"]) == {
        "all": [
            {"index": 0, "status": "FAILED", "result": None,
             "error": {"ErrorMessage": "division by zero", "ErrorType": "ZeroDivisionError"}},
            {"index": 1, "status": "SUCCEEDED", "result": 1.0, "error": None},
        ],
        "completionReason": "ALL_COMPLETED",
    }
    i0 = item_ids(1)[0]
    assert {"Id": i0, "Type": "CONTEXT", "Action": "FAIL", "SubType": "MapIteration", "Name": "map-item-0",
            "ParentId": M, "Error": {"ErrorMessage": "division by zero", "ErrorType": "ZeroDivisionError"}} in svc.updates
    assert svc.updates[-1]["Action"] == "SUCCEED" and svc.updates[-1]["Id"] == M


def test_map_default_completion_is_fail_fast():
    svc = FakeService()
    ran = []
    # one item at a time (B16), so fail-fast never starts items 1 and 2
    one = MapConfig(max_concurrency=1)
    out = run(lambda e, ctx: ctx.map([0, 1, 2], lambda c, x, i, xs: ran.append(i) or (1 / x), config=one).to_dict(), svc)
    result = json.loads(out["Result"])
    assert ran == [0]
    assert result["completionReason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert [item["index"] for item in result["all"]] == [0]


def test_map_failed_record_raises_child_context_error():
    svc = FakeService()
    svc.event(extra_ops=[record(M, "CONTEXT", "Map", "FAILED", name="m",
                                Error={"ErrorMessage": "map broke", "ErrorType": "RuntimeError"})])
    func = Calls()
    seen = []

    def handler(event, ctx):
        try:
            ctx.map([1], func, name="m")
        except ChildContextError as exc:
            seen.append((exc.message, exc.error_type))
        return "ok"

    run(handler, svc)
    assert seen == [("map broke", "RuntimeError")]
    assert func.calls == 0


def test_map_flat_nesting_has_no_item_contexts():
    svc = FakeService()
    config = MapConfig(nesting_type=NestingType.FLAT)
    out = run(lambda e, ctx: ctx.map([1, 2], lambda c, x, i, xs: c.step(lambda _: x), name="m", config=config).get_results(), svc)
    assert out == {"Status": "SUCCEEDED", "Result": "[1, 2]"}
    assert [(u["Type"], u.get("SubType"), u["Action"]) for u in svc.updates] == [
        ("CONTEXT", "Map", "START"), ("STEP", "Step", "START"), ("STEP", "Step", "SUCCEED"),
        ("STEP", "Step", "START"), ("STEP", "Step", "SUCCEED"), ("CONTEXT", "Map", "SUCCEED"),
    ]
    # replay of a flat map from its record
    assert run(lambda e, ctx: ctx.map([1, 2], Calls(), name="m", config=config).get_results(), svc) == out


def test_b06_large_map_result_is_summarized_and_identical_on_replay():
    svc = FakeService()
    runs = []

    def item(c, x, i, xs):
        runs.append(i)
        return "z" * 60_000

    def handler(event, ctx):
        result = ctx.map(list(range(5)), item, name="big")
        ctx.wait(Duration(1), name="w")
        return {"successCount": result.success_count, "failureCount": result.failure_count,
                "totalCount": result.total_count, "sum": sum(len(r) for r in result.get_results()),
                "statuses": [i.status.value for i in result.all]}

    assert run(handler, svc) == {"Status": "PENDING"}
    succeed = [u for u in svc.updates if u["Id"] == M and u["Action"] == "SUCCEED"][0]
    assert succeed["ContextOptions"] == {"ReplayChildren": True}
    assert json.loads(succeed["Payload"]) == {
        "type": "MapResult", "totalCount": 5, "completionReason": "ALL_COMPLETED", "startedIndexes": [],
        "startedCount": 0, "successCount": 5, "failureCount": 0, "status": "SUCCEEDED",
    }
    set_status(svc, R2, "SUCCEEDED")
    svc.calls.clear()
    out = run(handler, svc)
    assert json.loads(out["Result"]) == {"successCount": 5, "failureCount": 0, "totalCount": 5, "sum": 300_000,
                                         "statuses": ["SUCCEEDED"] * 5}
    assert runs == [0, 1, 2, 3, 4]  # items replay from their own records
    assert svc.calls == []


# ==============================================================================================
# parallel
# ==============================================================================================

P = R1


def test_parallel_first_run_updates_and_result():
    svc = FakeService()
    out = run(lambda e, ctx: ctx.parallel([lambda c: "a", ParallelBranch(lambda c: "b", name="second")],
                                          name="p").get_results(), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '["a", "b"]'}
    b0, b1 = op_id(P, 0), op_id(P, 1)
    got = [(u["Id"], u["Type"], u["Action"], u.get("SubType"), u.get("Name"), u.get("ParentId")) for u in svc.updates]
    assert got == [
        (P, "CONTEXT", "START", "Parallel", "p", None),
        (b0, "CONTEXT", "START", "ParallelBranch", "parallel-branch-0", P),
        (b0, "CONTEXT", "SUCCEED", "ParallelBranch", "parallel-branch-0", P),
        (b1, "CONTEXT", "START", "ParallelBranch", "second", P),
        (b1, "CONTEXT", "SUCCEED", "ParallelBranch", "second", P),
        (P, "CONTEXT", "SUCCEED", "Parallel", "p", None),
    ]
    assert svc.updates[-1]["ContextOptions"] == {"ReplayChildren": False}
    assert json.loads(svc.updates[-1]["Payload"])["t"] == "br"


def test_parallel_default_stops_at_the_first_failure():
    svc = FakeService()
    ran = []

    def fail(c):
        ran.append(1)
        raise RuntimeError("Error in branch")

    one = ParallelConfig(max_concurrency=1)
    out = run(lambda e, ctx: ctx.parallel([lambda c: ran.append(0) or 0, fail, lambda c: ran.append(2) or 2], config=one).to_dict(), svc)
    result = json.loads(out["Result"])
    assert ran == [0, 1]
    assert result["completionReason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert [(i["index"], i["status"]) for i in result["all"]] == [(0, "SUCCEEDED"), (1, "FAILED")]
    assert result["all"][1]["error"] == {"ErrorMessage": "Error in branch", "ErrorType": "RuntimeError"}


def test_parallel_succeeded_replays_without_running_branches():
    svc = FakeService()
    branch = Calls("v")
    handler = lambda e, ctx: ctx.parallel([branch, branch], name="p", config=ParallelConfig()).to_dict()  # noqa: E731
    first = run(handler, svc)
    svc.calls.clear()
    assert run(handler, svc) == first
    assert branch.calls == 2 and svc.calls == []


def test_parallel_started_replays_finished_branches():
    svc = FakeService()
    svc.event(extra_ops=[
        record(P, "CONTEXT", "Parallel", "STARTED", name="p"),
        record(op_id(P, 0), "CONTEXT", "ParallelBranch", "SUCCEEDED", name="parallel-branch-0", parent=P, Result='"old"'),
    ])
    first = Calls("new")
    out = run(lambda e, ctx: ctx.parallel([first, lambda c: "second"], name="p").get_results(), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '["old", "second"]'}
    assert first.calls == 0
    assert [(u["Id"], u["Action"]) for u in svc.updates] == [
        (op_id(P, 1), "START"), (op_id(P, 1), "SUCCEED"), (P, "SUCCEED")
    ]


def test_parallel_failed_record_raises_child_context_error():
    svc = FakeService()
    svc.event(extra_ops=[record(P, "CONTEXT", "Parallel", "FAILED", name="p",
                                Error={"ErrorMessage": "parallel broke", "ErrorType": "RuntimeError"})])
    branch = Calls()
    seen = []

    def handler(event, ctx):
        try:
            ctx.parallel([branch], name="p")
        except ChildContextError as exc:
            seen.append((exc.message, exc.error_type))
        return "ok"

    run(handler, svc)
    assert seen == [("parallel broke", "RuntimeError")]
    assert branch.calls == 0 and svc.calls == []


def test_large_parallel_result_is_summarized_and_replayed_from_branches():
    svc = FakeService()
    runs = []

    def branch(i):
        def body(c):
            runs.append(i)
            return str(i) * 100_000

        return body

    handler = lambda e, ctx: [len(v) for v in ctx.parallel([branch(0), branch(1), branch(2)], name="p").get_results()]  # noqa: E731
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": "[100000, 100000, 100000]"}
    succeed = svc.updates[-1]
    assert succeed["ContextOptions"] == {"ReplayChildren": True}
    summary = json.loads(succeed["Payload"])
    assert summary["type"] == "ParallelResult" and summary["totalCount"] == 3 and summary["successCount"] == 3
    svc.calls.clear()
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": "[100000, 100000, 100000]"}
    assert runs == [0, 1, 2]
    assert svc.calls == []


# ==============================================================================================
# B29: errors identical on the first run and on replay, across operations
# ==============================================================================================


class CustomBusinessError(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def test_b29_errors_are_identical_on_first_run_and_replay():
    svc = FakeService()
    records = []

    def describe(exc):
        return (type(exc).__name__, exc.message, exc.error_type, exc.data, exc.stack_trace,
                type(exc.__cause__).__name__ if exc.__cause__ else None)

    def fail_with(exc):
        def body(*args):
            raise exc

        return body

    def handler(event, ctx):
        observed = []
        try:
            ctx.step(fail_with(CustomBusinessError("Business validation failed", "VALIDATION_ERROR")),
                     name="validate", config=StepConfig(retry_strategy=RetryPresets.none()))
        except StepError as exc:
            observed.append(describe(exc))
        try:
            ctx.run_in_child_context(fail_with(ValueError("child failed")), name="child")
        except ChildContextError as exc:
            observed.append(describe(exc))
        batch = ctx.map([1], fail_with(KeyError("item")), name="m")
        item_error = batch.all[0].error
        observed.append((type(item_error).__name__, item_error.message, item_error.type))
        try:
            batch.throw_if_error()
        except ChildContextError as exc:
            observed.append(describe(exc))
        records.append(observed)
        ctx.wait(Duration(1), name="w")
        return "done"

    assert run(handler, svc) == {"Status": "PENDING"}
    set_status(svc, op_id(None, 4), "SUCCEEDED")
    svc.calls.clear()
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"done"'}
    assert svc.calls == []
    first_run, replay = records
    assert first_run == replay
    qualified = f"{CustomBusinessError.__module__}.CustomBusinessError"
    assert first_run[0] == ("StepError", "Business validation failed", qualified, None, None, None)
    assert first_run[1] == ("ChildContextError", "child failed", "ValueError", None, None, None)
    assert first_run[2] == ("ErrorObject", "'item'", "KeyError")
    assert first_run[3][:3] == ("ChildContextError", "'item'", "KeyError")


def test_batch_item_status_enum_in_results():
    svc = FakeService()
    statuses = []
    run(lambda e, ctx: statuses.extend(i.status for i in ctx.map([1], lambda c, x, i, xs: x).all), svc)
    assert statuses == [BatchItemStatus.SUCCEEDED]
