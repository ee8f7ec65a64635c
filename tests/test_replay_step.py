"""``context.step``: the updates it writes (protocol.md 3.1/3.2), what it does for every stored
status on replay (5.2), retry handling and step semantics (5.3: B14, B15), round-tripped results
(B08) and errors that are identical on the first run and on replay (B29)."""
from __future__ import annotations

import datetime
import json
from hashlib import blake2b

import pytest

from fakes import NOW, START_MS, FakeService
from lambda_durable import StepError, durable_execution
from lambda_durable.config import Duration, StepConfig, StepSemantics
from lambda_durable.exceptions import (
    ExecutionError,
    InvocationError,
    RetryableSerDesError,
    SerDesError,
    StepInterruptedError,
    SuspendExecution,
    TimedSuspendExecution,
)
from lambda_durable.retries import RetryDecision, RetryPresets
from lambda_durable.serdes import JsonSerDes, SerDes

OFFICIAL = "aws_durable_execution_sdk_python.exceptions"
AMO = StepSemantics.AT_MOST_ONCE_PER_RETRY
ALO = StepSemantics.AT_LEAST_ONCE_PER_RETRY


def op_id(prefix, n):
    key = str(n) if prefix is None else f"{prefix}-{n}"
    return blake2b(key.encode()).hexdigest()[:64]


S1 = op_id(None, 1)
S2 = op_id(None, 2)


def step_record(status, *, id=S1, name="s", sub_type="Step", attempt=None, result=None, error=None,
                next_attempt=None, parent=None):
    record = {"Id": id, "Type": "STEP", "SubType": sub_type, "Status": status, "StartTimestamp": START_MS}
    if name is not None:
        record["Name"] = name
    if parent is not None:
        record["ParentId"] = parent
    details = {}
    if attempt is not None:
        details["Attempt"] = attempt
    if result is not None:
        details["Result"] = result
    if error is not None:
        details["Error"] = error
    if next_attempt is not None:
        details["NextAttemptTimestamp"] = next_attempt
    if details:
        record["StepDetails"] = details
    return record


def run(handler, svc: FakeService, payload=None):
    return durable_execution(client=svc)(handler)(svc.event(payload), None)


def set_status(svc: FakeService, operation_id: str, status: str) -> None:
    svc.operations[operation_id] = dict(svc.operations[operation_id], Status=status)


class Counter:
    def __init__(self, value=None):
        self.calls = 0
        self.attempts = []
        self.value = value

    def __call__(self, step_ctx):
        self.calls += 1
        self.attempts.append(step_ctx.attempt)
        return self.value


def raising(exc):
    def body(step_ctx):
        raise exc

    return body


class UpperSerDes(SerDes):
    def serialize(self, value, ctx):
        return json.dumps(value.upper())

    def deserialize(self, data, ctx):
        return json.loads(data)


class NoneSerDes(SerDes):
    def serialize(self, value, ctx):
        return None

    def deserialize(self, data, ctx):  # pragma: no cover - never called without a payload
        raise AssertionError("deserialize must not be called without a payload")


class CustomBusinessError(Exception):
    pass


def always(delay):
    return lambda error, attempts: RetryDecision.retry(Duration(delay))


NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


# -- first run: what is written -------------------------------------------------------------------


def test_first_run_writes_start_and_succeed_with_enveloped_payload():
    svc = FakeService()
    body = Counter({"a": 1})
    out = run(lambda e, ctx: ctx.step(body, name="s"), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '{"a": 1}'}
    assert svc.updates == [
        {"Id": S1, "Type": "STEP", "Action": "START", "SubType": "Step", "Name": "s"},
        {"Id": S1, "Type": "STEP", "Action": "SUCCEED", "SubType": "Step", "Name": "s",
         "Payload": '{"t":"m","v":{"a":{"t":"i","v":1}}}'},
    ]
    assert body.calls == 1
    assert body.attempts == [1]


def test_unnamed_step_sends_no_name_and_primitive_payload_is_plain_json():
    svc = FakeService()
    run(lambda e, ctx: ctx.step(lambda _: [1, "a", None]), svc)
    assert svc.updates == [
        {"Id": S1, "Type": "STEP", "Action": "START", "SubType": "Step"},
        {"Id": S1, "Type": "STEP", "Action": "SUCCEED", "SubType": "Step", "Payload": '[1,"a",null]'},
    ]


def test_custom_sub_type_is_written_and_replayed():
    svc = FakeService()
    config = StepConfig(sub_type="Charge")
    out = run(lambda e, ctx: ctx.step(lambda _: 5, name="s", config=config), svc)
    assert out["Result"] == "5"
    assert [u["SubType"] for u in svc.updates] == ["Charge", "Charge"]
    body = Counter(0)
    svc.calls.clear()
    out = run(lambda e, ctx: ctx.step(body, name="s", config=config), svc)
    assert out == {"Status": "SUCCEEDED", "Result": "5"}
    assert body.calls == 0
    assert svc.calls == []


def test_at_least_once_start_is_not_sent_before_the_body():
    svc = FakeService()
    seen = []
    run(lambda e, ctx: ctx.step(lambda _: seen.append(list(svc.calls)), name="s"), svc)
    assert seen == [[]]
    # START and SUCCEED are sent together, START first
    assert [[u["Action"] for u in batch] for batch in svc.calls] == [["START", "SUCCEED"]]


def test_at_most_once_start_is_durable_before_the_body():
    svc = FakeService()
    seen = []
    config = StepConfig(step_semantics=AMO)
    run(lambda e, ctx: ctx.step(lambda _: seen.append([list(b) for b in svc.calls]), name="s", config=config), svc)
    assert seen == [[[{"Id": S1, "Type": "STEP", "Action": "START", "SubType": "Step", "Name": "s"}]]]
    assert [[u["Action"] for u in batch] for batch in svc.calls] == [["START"], ["SUCCEED"]]


def test_b08_first_run_returns_the_round_tripped_value():
    svc = FakeService()
    observed = []

    def handler(event, ctx):
        observed.append(ctx.step(lambda _: "hello child", name="up", config=StepConfig(serdes=UpperSerDes())))
        observed.append(ctx.step(lambda _: (1, 2), name="tuple"))
        observed.append(ctx.step(lambda _: {1: "a"}, name="intkey"))
        ctx.wait(Duration(1), name="w")
        return "done"

    assert run(handler, svc) == {"Status": "PENDING"}
    first = list(observed)
    observed.clear()
    set_status(svc, op_id(None, 4), "SUCCEEDED")
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"done"'}
    assert first == ["HELLO CHILD", (1, 2), {"1": "a"}]
    assert observed == first
    assert type(observed[1]) is tuple


def test_serdes_returning_none_omits_the_payload_and_replays_none():
    svc = FakeService()
    config = StepConfig(serdes=NoneSerDes())
    out = run(lambda e, ctx: ctx.step(lambda _: "value", name="s", config=config), svc)
    assert out == {"Status": "SUCCEEDED", "Result": "null"}
    succeed = svc.updates[-1]
    assert succeed["Action"] == "SUCCEED" and "Payload" not in succeed
    out = run(lambda e, ctx: ctx.step(lambda _: "value", name="s", config=config), svc)
    assert out == {"Status": "SUCCEEDED", "Result": "null"}


def test_empty_string_payload_is_sent():
    svc = FakeService()
    run(lambda e, ctx: ctx.step(lambda _: "", name="s", config=StepConfig(serdes=PassThrough())), svc)
    assert svc.updates[-1]["Payload"] == ""
    out = run(lambda e, ctx: ctx.step(lambda _: "other", name="s", config=StepConfig(serdes=PassThrough())), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '""'}


class PassThrough(SerDes):
    def serialize(self, value, ctx):
        return value

    def deserialize(self, data, ctx):
        return data


# -- replay: SUCCEEDED / FAILED ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ('"v1"', "v1"),
        ("[1,2]", [1, 2]),
        ('{"t":"t","v":[{"t":"i","v":1},{"t":"s","v":"x"}]}', (1, "x")),
        (None, None),
    ],
)
def test_succeeded_returns_stored_result_without_running_the_body(stored, expected):
    body = Counter("fresh")
    got = []
    svc = FakeService()
    svc.event(extra_ops=[step_record("SUCCEEDED", attempt=1, result=stored)])
    out = run(lambda e, ctx: got.append(ctx.step(body, name="s")) or "ok", svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert got == [expected]
    assert body.calls == 0
    assert svc.calls == []


def test_failed_raises_step_error_from_the_stored_error_without_running_the_body():
    svc = FakeService()
    error = {"ErrorMessage": "card declined", "ErrorType": "billing.CardError", "ErrorData": '{"code": 7}',
             "StackTrace": ["line 1", "line 2"]}
    svc.event(extra_ops=[step_record("FAILED", attempt=3, error=error)])
    body = Counter()
    caught = []

    def handler(event, ctx):
        try:
            ctx.step(body, name="s")
        except StepError as exc:
            caught.append(exc)
        return "handled"

    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"handled"'}
    assert body.calls == 0
    assert svc.calls == []
    (exc,) = caught
    assert type(exc) is StepError
    assert (exc.message, exc.error_type, exc.data, exc.stack_trace) == (
        "card declined", "billing.CardError", '{"code": 7}', ["line 1", "line 2"]
    )


def test_failed_step_uncaught_fails_the_execution_with_step_error_type():
    svc = FakeService()
    svc.event(extra_ops=[step_record("FAILED", attempt=1, error={"ErrorMessage": "boom", "ErrorType": "ValueError"})])
    out = run(lambda e, ctx: ctx.step(Counter(), name="s"), svc)
    assert out == {"Status": "FAILED", "Error": {"ErrorMessage": "boom", "ErrorType": f"{OFFICIAL}.StepError"}}


def test_failed_with_sdk_error_type_rebuilds_the_cause():
    svc = FakeService()
    svc.event(extra_ops=[step_record("FAILED", attempt=1, error={"ErrorMessage": "inner", "ErrorType": f"{OFFICIAL}.InvokeError"})])
    caught = []

    def handler(event, ctx):
        try:
            ctx.step(Counter(), name="s")
        except StepError as exc:
            caught.append(exc)

    run(handler, svc)
    from lambda_durable import InvokeError

    assert type(caught[0].__cause__) is InvokeError
    assert caught[0].__cause__.message == "inner"


def test_stored_serdes_error_is_raised_as_serdes_error():
    svc = FakeService()
    err = {"ErrorMessage": "bad value", "ErrorType": f"{OFFICIAL}.SerDesError"}
    svc.event(extra_ops=[step_record("FAILED", attempt=1, error=err)])
    caught = []

    def handler(event, ctx):
        try:
            ctx.step(Counter(), name="s")
        except SerDesError as exc:
            caught.append(exc)

    run(handler, svc)
    assert caught and caught[0].message == "bad value"


# -- replay: PENDING / READY / STARTED -----------------------------------------------------------


def test_pending_suspends_until_next_attempt_without_running_the_body():
    svc = FakeService()
    next_ms = START_MS + 10_000
    svc.event(extra_ops=[step_record("PENDING", attempt=1, next_attempt=next_ms)])
    body = Counter()
    suspended = []

    def handler(event, ctx):
        try:
            ctx.step(body, name="s")
        except SuspendExecution as exc:
            suspended.append(exc)
            raise
        return "unreachable"

    assert run(handler, svc) == {"Status": "PENDING"}
    assert body.calls == 0
    assert svc.calls == []
    (exc,) = suspended
    assert isinstance(exc, TimedSuspendExecution)
    assert exc.scheduled_timestamp == pytest.approx(next_ms / 1000)


def test_pending_accepts_a_datetime_next_attempt_timestamp():
    svc = FakeService()
    when = datetime.datetime(2026, 1, 27, 0, 0, 5, tzinfo=datetime.timezone.utc)
    svc.event(extra_ops=[step_record("PENDING", attempt=1, next_attempt=when)])
    suspended = []

    def handler(event, ctx):
        try:
            ctx.step(Counter(), name="s")
        except TimedSuspendExecution as exc:
            suspended.append(exc.scheduled_timestamp)
            raise

    assert run(handler, svc) == {"Status": "PENDING"}
    assert suspended == [pytest.approx(when.timestamp())]


@pytest.mark.parametrize("semantics", [ALO, AMO])
def test_ready_writes_a_new_start_and_runs_the_next_attempt(semantics):
    svc = FakeService()
    svc.event(extra_ops=[step_record("READY", attempt=2, error={"ErrorMessage": "x", "ErrorType": "ValueError"})])
    body = Counter("third")
    out = run(lambda e, ctx: ctx.step(body, name="s", config=StepConfig(step_semantics=semantics)), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"third"'}
    assert body.attempts == [3]
    assert [u["Action"] for u in svc.updates] == ["START", "SUCCEED"]
    assert svc.updates[0] == {"Id": S1, "Type": "STEP", "Action": "START", "SubType": "Step", "Name": "s"}
    assert svc.operations[S1]["StepDetails"]["Attempt"] == 3


def test_b15_ready_at_most_once_step_starts_synchronously_before_its_body():
    svc = FakeService()
    svc.event(extra_ops=[step_record("READY", attempt=1, error={"ErrorMessage": "first", "ErrorType": "ValueError"})])
    at_body = []

    def body(step_ctx):
        at_body.append(([u["Action"] for b in svc.calls for u in b], svc.operations[S1]["Status"]))
        return "second"

    config = StepConfig(step_semantics=AMO, retry_strategy=always(1))
    out = run(lambda e, ctx: ctx.step(body, name="s", config=config), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"second"'}
    assert at_body == [(["START"], "STARTED")]
    assert [[u["Action"] for u in b] for b in svc.calls] == [["START"], ["SUCCEED"]]


def test_started_at_least_once_reruns_without_a_new_start():
    """After a crash, an AT_LEAST_ONCE attempt whose START was durable re-runs, with no START."""
    svc = FakeService()
    svc.event(extra_ops=[step_record("STARTED", attempt=1)])
    body = Counter("rerun")
    out = run(lambda e, ctx: ctx.step(body, name="s"), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"rerun"'}
    assert body.attempts == [2]
    assert svc.updates == [
        {"Id": S1, "Type": "STEP", "Action": "SUCCEED", "SubType": "Step", "Name": "s", "Payload": '"rerun"'}
    ]


def test_started_at_least_once_failure_after_crash_writes_retry_without_start():
    svc = FakeService()
    svc.event(extra_ops=[step_record("STARTED")])
    out = run(lambda e, ctx: ctx.step(raising(ValueError("again")), name="s",
                                      config=StepConfig(retry_strategy=always(3))), svc)
    assert out == {"Status": "PENDING"}
    assert svc.updates == [
        {"Id": S1, "Type": "STEP", "Action": "RETRY", "SubType": "Step", "Name": "s",
         "Error": {"ErrorMessage": "again", "ErrorType": "ValueError"},
         "StepOptions": {"NextAttemptDelaySeconds": 3}},
    ]


def test_b14_started_at_most_once_is_interrupted_and_retried_without_rerunning():
    svc = FakeService()
    svc.event(extra_ops=[step_record("STARTED", attempt=0)])
    body = Counter("ok")
    seen = []

    def strategy(error, attempts):
        seen.append((type(error), attempts, getattr(error, "step_id", None)))
        return RetryDecision.retry(Duration(1))

    config = StepConfig(step_semantics=AMO, retry_strategy=strategy)
    out = run(lambda e, ctx: ctx.step(body, name="s", config=config), svc)
    assert out == {"Status": "PENDING"}
    assert body.calls == 0
    assert seen == [(StepInterruptedError, 1, S1)]
    assert issubclass(StepInterruptedError, InvocationError)
    (retry,) = svc.updates
    assert {k: v for k, v in retry.items() if k != "Error"} == {
        "Id": S1, "Type": "STEP", "Action": "RETRY", "SubType": "Step", "Name": "s",
        "StepOptions": {"NextAttemptDelaySeconds": 1},
    }
    assert retry["Error"]["ErrorType"] == f"{OFFICIAL}.StepInterruptedError"
    assert retry["Error"]["ErrorMessage"]
    # the retry timer fires: the next attempt STARTs (B15) and runs once
    set_status(svc, S1, "READY")
    svc.calls.clear()
    out = run(lambda e, ctx: ctx.step(body, name="s", config=config), svc)
    assert out == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert body.attempts == [2]
    assert [[u["Action"] for u in b] for b in svc.calls] == [["START"], ["SUCCEED"]]


def test_b14_interrupted_attempt_passes_attempt_plus_one_to_the_strategy():
    svc = FakeService()
    svc.event(extra_ops=[step_record("STARTED", attempt=2)])
    seen = []

    def strategy(error, attempts):
        seen.append(attempts)
        return RetryDecision.no_retry()

    run(lambda e, ctx: ctx.step(Counter(), name="s", config=StepConfig(step_semantics=AMO, retry_strategy=strategy)), svc)
    assert seen == [3]


def test_b14_interrupted_without_retries_fails_cleanly():
    svc = FakeService()
    svc.event(extra_ops=[step_record("STARTED", attempt=0)])
    body = Counter()
    config = StepConfig(step_semantics=AMO, retry_strategy=RetryPresets.none())
    out = run(lambda e, ctx: ctx.step(body, name="s", config=config), svc)
    assert body.calls == 0
    (fail,) = svc.updates
    assert fail["Action"] == "FAIL"
    assert fail["Error"]["ErrorType"] == f"{OFFICIAL}.StepInterruptedError"
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.StepError"
    assert out["Error"]["ErrorMessage"] == fail["Error"]["ErrorMessage"]


def test_b14_caught_interruption_is_a_step_error_naming_the_interruption():
    svc = FakeService()
    svc.event(extra_ops=[step_record("STARTED", attempt=0)])
    caught = []

    def handler(event, ctx):
        try:
            ctx.step(Counter(), name="s", config=StepConfig(step_semantics=AMO, retry_strategy=RetryPresets.none()))
        except StepError as exc:
            caught.append(exc.error_type)
        return "caught"

    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"caught"'}
    assert caught == [f"{OFFICIAL}.StepInterruptedError"]


class Crash(BaseException):
    """Stands in for a process exit in the middle of a step body."""


def test_b14_crash_mid_attempt_end_to_end():
    svc = FakeService()
    calls = []

    def body(step_ctx):
        calls.append(step_ctx.attempt)
        if step_ctx.attempt == 1:
            raise Crash()
        return "ok"

    config = StepConfig(step_semantics=AMO, retry_strategy=lambda e, n: RetryDecision.retry(Duration(1)) if n < 3 else RetryDecision.no_retry())

    def handler(event, ctx):
        return ctx.step(body, name="s", config=config)

    with pytest.raises(Crash):
        run(handler, svc)
    assert svc.operations[S1]["Status"] == "STARTED"  # START was durable before the body
    assert run(handler, svc) == {"Status": "PENDING"}  # interrupted -> RETRY
    assert svc.operations[S1]["Status"] == "PENDING"
    set_status(svc, S1, "READY")
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert calls == [1, 2]
    actions = [u["Action"] for u in svc.updates]
    assert actions == ["START", "RETRY", "START", "SUCCEED"]


def test_at_least_once_crash_before_any_checkpoint_starts_again():
    svc = FakeService()
    calls = []

    def body(step_ctx):
        calls.append(step_ctx.attempt)
        if len(calls) == 1:
            raise Crash()
        return "ok"

    with pytest.raises(Crash):
        run(lambda e, ctx: ctx.step(body, name="s"), svc)
    assert svc.calls == []  # the async START was never sent
    assert run(lambda e, ctx: ctx.step(body, name="s"), svc)["Status"] == "SUCCEEDED"
    assert calls == [1, 1]
    assert [u["Action"] for u in svc.updates] == ["START", "SUCCEED"]


# -- failures and the retry strategy ---------------------------------------------------------------


def test_failure_with_retry_writes_retry_and_suspends_until_the_service_time():
    svc = FakeService()
    suspended = []

    def handler(event, ctx):
        try:
            ctx.step(raising(ValueError("boom")), name="s", config=StepConfig(retry_strategy=always(7)))
        except TimedSuspendExecution as exc:
            suspended.append(exc.scheduled_timestamp)
            raise

    assert run(handler, svc) == {"Status": "PENDING"}
    assert svc.updates == [
        {"Id": S1, "Type": "STEP", "Action": "START", "SubType": "Step", "Name": "s"},
        {"Id": S1, "Type": "STEP", "Action": "RETRY", "SubType": "Step", "Name": "s",
         "Error": {"ErrorMessage": "boom", "ErrorType": "ValueError"},
         "StepOptions": {"NextAttemptDelaySeconds": 7}},
    ]
    assert suspended == [pytest.approx((NOW + datetime.timedelta(seconds=7)).timestamp())]


def test_retry_delay_is_at_least_one_second():
    svc = FakeService()
    run(lambda e, ctx: ctx.step(raising(ValueError("x")), config=StepConfig(retry_strategy=always(0))), svc)
    assert svc.updates[-1]["StepOptions"] == {"NextAttemptDelaySeconds": 1}


def test_strategy_gets_the_raw_error_and_attempt_number():
    svc = FakeService()
    svc.event(extra_ops=[step_record("READY", attempt=2)])
    seen = []
    err = CustomBusinessError("nope")

    def strategy(error, attempts):
        seen.append((error, attempts))
        return RetryDecision.no_retry()

    run(lambda e, ctx: ctx.step(raising(err), name="s", config=StepConfig(retry_strategy=strategy)), svc)
    assert seen == [(err, 3)]


def test_failure_without_retry_writes_fail_and_raises_step_error():
    svc = FakeService()
    caught = []

    def handler(event, ctx):
        try:
            ctx.step(raising(CustomBusinessError("Business validation failed")), name="validate", config=NO_RETRY)
        except StepError as exc:
            caught.append(exc)
        return "handled"

    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"handled"'}
    qualified = f"{CustomBusinessError.__module__}.CustomBusinessError"
    assert svc.updates == [
        {"Id": S1, "Type": "STEP", "Action": "START", "SubType": "Step", "Name": "validate"},
        {"Id": S1, "Type": "STEP", "Action": "FAIL", "SubType": "Step", "Name": "validate",
         "Error": {"ErrorMessage": "Business validation failed", "ErrorType": qualified}},
    ]
    (exc,) = caught
    assert (exc.message, exc.error_type, exc.data, exc.stack_trace) == (
        "Business validation failed", qualified, None, None
    )


def test_default_strategy_retries_with_a_jittered_delay_up_to_five_seconds():
    svc = FakeService()
    run(lambda e, ctx: ctx.step(raising(ValueError("x")), name="s"), svc)
    retry = svc.updates[-1]
    assert retry["Action"] == "RETRY"
    assert 1 <= retry["StepOptions"]["NextAttemptDelaySeconds"] <= 5


def test_default_strategy_gives_up_after_six_attempts():
    svc = FakeService()
    svc.event(extra_ops=[step_record("READY", attempt=5)])
    out = run(lambda e, ctx: ctx.step(raising(ValueError("sixth")), name="s"), svc)
    assert [u["Action"] for u in svc.updates] == ["START", "FAIL"]
    assert out == {"Status": "FAILED", "Error": {"ErrorMessage": "sixth", "ErrorType": f"{OFFICIAL}.StepError"}}


def test_execution_error_in_body_fails_the_execution_without_step_failure():
    svc = FakeService()
    out = run(lambda e, ctx: ctx.step(raising(ExecutionError("fatal")), name="s",
                                      config=StepConfig(retry_strategy=always(1))), svc)
    assert out == {"Status": "FAILED", "Error": {"ErrorMessage": "fatal", "ErrorType": f"{OFFICIAL}.ExecutionError"}}
    assert [u["Action"] for u in svc.updates if u["Type"] == "STEP"] in ([], ["START"])


def test_retryable_invocation_error_in_body_is_reraised():
    svc = FakeService()
    with pytest.raises(InvocationError):
        run(lambda e, ctx: ctx.step(raising(InvocationError("transient")), name="s",
                                    config=StepConfig(retry_strategy=always(1))), svc)
    assert not [u for u in svc.updates if u["Action"] in ("RETRY", "FAIL", "SUCCEED")]


def test_unserializable_result_fails_the_step_with_a_serdes_error():
    svc = FakeService()
    caught = []

    def handler(event, ctx):
        try:
            ctx.step(lambda _: {1, 2}, name="s", config=StepConfig(retry_strategy=always(1)))
        except SerDesError as exc:
            caught.append(exc)
        return "handled"

    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"handled"'}
    assert len(caught) == 1 and not isinstance(caught[0], StepError)
    fail = svc.updates[-1]
    assert fail["Action"] == "FAIL"
    assert fail["Error"]["ErrorType"] == f"{OFFICIAL}.SerDesError"
    assert "RETRY" not in [u["Action"] for u in svc.updates]


def test_retryable_serdes_error_is_reraised_without_checkpointing_a_result():
    class Flaky(SerDes):
        def serialize(self, value, ctx):
            raise RetryableSerDesError("try again")

        def deserialize(self, data, ctx):
            return data

    svc = FakeService()
    with pytest.raises(RetryableSerDesError):
        run(lambda e, ctx: ctx.step(lambda _: 1, name="s", config=StepConfig(serdes=Flaky())), svc)
    assert not [u for u in svc.updates if u["Action"] != "START"]


def test_b29_step_error_is_identical_on_first_run_and_replay():
    svc = FakeService()
    records = []

    def handler(event, ctx):
        try:
            ctx.step(raising(CustomBusinessError("Business validation failed")), name="validate", config=NO_RETRY)
        except StepError as exc:
            records.append((type(exc), exc.message, exc.error_type, exc.data, exc.stack_trace,
                            type(exc.__cause__) if exc.__cause__ else None, str(exc)))
        ctx.wait(Duration(1), name="w")
        return "done"

    assert run(handler, svc) == {"Status": "PENDING"}
    set_status(svc, S2, "SUCCEEDED")
    assert run(handler, svc) == {"Status": "SUCCEEDED", "Result": '"done"'}
    assert len(records) == 2
    assert records[0] == records[1]
    assert records[0][2].endswith("CustomBusinessError")


def test_json_serdes_config_is_used_for_payload_and_replay():
    svc = FakeService()
    out = run(lambda e, ctx: ctx.step(lambda _: {"k": [1, 2]}, name="s", config=StepConfig(serdes=JsonSerDes())), svc)
    assert out["Result"] == '{"k": [1, 2]}'
    assert svc.updates[-1]["Payload"] == json.dumps({"k": [1, 2]})
    body = Counter()
    out = run(lambda e, ctx: ctx.step(body, name="s", config=StepConfig(serdes=JsonSerDes())), svc)
    assert out["Result"] == '{"k": [1, 2]}'
    assert body.calls == 0
