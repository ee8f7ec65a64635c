"""Every known failure case of durable-execution SDKs (``reference/bug-cases.md``, B01..B29) as
an end-to-end test named after its id.

Each test runs the case's small handler on the local service (:class:`DurableFunctionTestRunner`,
virtual clock) or, where the case is about the invocation event or the API's answers, on the
in-memory :class:`fakes.FakeService`, and asserts the behaviour the case calls right. Focused
unit tests of the same rules live next to the code they exercise (test_nondeterminism,
test_execution_output, test_batch_concurrency, test_replay_*); these are the closing proof.
"""
from __future__ import annotations

import datetime
import decimal
import json
import threading
import time
import uuid
from hashlib import blake2b

import pytest

from fakes import ARN, START_MS, FakeService, execution_op
from lambda_durable import DurableContext, StepContext, durable_execution
from lambda_durable.config import (
    CallbackConfig,
    ChildConfig,
    CompletionConfig,
    Duration,
    JitterStrategy,
    MapConfig,
    NestingType,
    ParallelConfig,
    StepConfig,
    StepSemantics,
    WaitForCallbackConfig,
)
from lambda_durable.exceptions import (
    CallbackExternalError,
    CallbackSubmitterError,
    CallbackTimeoutError,
    CheckpointError,
    ChildContextError,
    InvokeError,
    SerDesError,
    StepError,
    WaitForConditionError,
)
from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.limits import CHECKPOINT_SIZE_LIMIT_BYTES, LAMBDA_RESPONSE_SIZE_LIMIT, utf8_len
from lambda_durable.retries import RetryDecision, RetryPresets, RetryStrategyConfig, create_retry_strategy
from lambda_durable.serdes import PassThroughSerDes, SerDes
from lambda_durable.testing import DurableFunctionTestRunner
from lambda_durable.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)

OFFICIAL = "aws_durable_execution_sdk_python.exceptions"
NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


def run(handler, input=None, **runner_kwargs):
    """Run ``handler`` to its end on a fresh local service; returns the test result."""
    with DurableFunctionTestRunner(handler, **runner_kwargs) as runner:
        return runner.run(input=input)


def event_types(result) -> list[str]:
    return [event["EventType"] for event in result.history]


def invocation_errors(result) -> list[dict | None]:
    return [
        event["InvocationCompletedDetails"].get("Error", {}).get("Payload")
        for event in result.history
        if event["EventType"] == "InvocationCompleted"
    ]


def op_id(prefix: str | None, n: int) -> str:
    """The SDK's operation id for the ``n``-th operation (1-based) under ``prefix``."""
    key = str(n) if prefix is None else f"{prefix}-{n}"
    return blake2b(key.encode()).hexdigest()[:64]


class Counter:
    """A callable body counting its calls (thread-safe), returning ``value``."""

    def __init__(self, value="ran"):
        self.calls = 0
        self.value = value
        self._lock = threading.Lock()

    def __call__(self, *args):
        with self._lock:
            self.calls += 1
        return self.value


# =================================================================================================
# B01 - replay consumes a checkpoint that belongs to a different operation
# =================================================================================================


def test_b01_wait_replaced_by_a_step_fails_non_deterministic_and_the_body_never_runs():
    invocations = []
    body = Counter()

    @durable_execution
    def handler(event, context: DurableContext):
        invocations.append(1)
        if len(invocations) == 1:  # the module-level flag: flipped on replay
            context.wait(Duration.from_seconds(1), name="w")
        else:
            context.step(body, name="s")
        return "done"

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.NonDeterministicExecutionError"
    for fragment in ("WAIT", "STEP", "'w'", "'s'", op_id(None, 1)):
        assert fragment in result.error.message
    assert body.calls == 0
    assert len(invocations) == 2  # terminal at once: never reported PENDING, never re-invoked
    assert event_types(result)[-2:] == ["InvocationCompleted", "ExecutionFailed"]
    assert all(error is None for error in invocation_errors(result))  # a FAILED output, not a crash


def test_b01_identical_replay_still_succeeds():
    body = Counter("ran")

    @durable_execution
    def handler(event, context: DurableContext):
        context.wait(Duration.from_seconds(1), name="w")
        return context.step(body, name="s")

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"ran"'
    assert body.calls == 1


@pytest.mark.parametrize(
    ("first", "second", "fragments"),
    [
        (["a", "b"], ["b", "a"], ("'a'", "'b'")),  # two steps swapped by name
        (["charge"], ["charge-card"], ("'charge'", "'charge-card'")),  # renamed between deploys
    ],
    ids=["swapped", "renamed"],
)
def test_b01_swapped_or_renamed_steps_fail_non_deterministic(first, second, fragments):
    invocations = []
    bodies = Counter()

    @durable_execution
    def handler(event, context: DurableContext):
        invocations.append(1)
        names = first if len(invocations) == 1 else second
        for name in names:
            context.step(bodies, name=name)
        context.wait(Duration.from_seconds(1), name="w")
        return "done"

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.NonDeterministicExecutionError"
    for fragment in fragments:
        assert fragment in result.error.message
    assert bodies.calls == len(first)  # only the first deploy's steps ever ran


def test_b01_step_checkpointed_then_a_chained_invoke_at_its_position():
    invocations = []

    @durable_execution
    def handler(event, context: DurableContext):
        invocations.append(1)
        if len(invocations) == 1:
            context.step(lambda _: "x", name="op")
            context.wait(Duration.from_seconds(1), name="w")
        else:
            context.invoke("other", {"a": 1}, name="op")
        return "done"

    with DurableFunctionTestRunner(handler) as runner:
        runner.register_function("other", lambda payload, ctx: "never")
        result = runner.run()
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.NonDeterministicExecutionError"
    assert "CHAINED_INVOKE" in result.error.message and "STEP" in result.error.message
    assert "ChainedInvokeStarted" not in event_types(result)


# =================================================================================================
# B02 - paginated initial state
# =================================================================================================


def test_b02_operations_on_a_second_page_are_loaded_before_user_code():
    """The first page holds only the EXECUTION operation; the step's SUCCEEDED record comes from
    GetDurableExecutionState for ``page2`` (a double returning two pages)."""
    step = {
        "Id": op_id(None, 1),
        "Type": "STEP",
        "SubType": "Step",
        "Name": "s",
        "Status": "SUCCEEDED",
        "StartTimestamp": START_MS,
        "StepDetails": {"Attempt": 1, "Result": '"v1"'},
    }
    svc = FakeService(pages={"page2": ([step], None)})
    counter = Counter("fresh")
    entry = []

    @durable_execution(client=svc)
    def handler(event, context: DurableContext):
        entry.append(context.is_replaying())
        return {"value": context.step(counter, name="s"), "replaying": entry[0]}

    event = {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "dG9rZW4w",
        "InitialExecutionState": {"Operations": [execution_op({})], "NextMarker": "page2"},
    }
    out = handler(event, None)
    assert out["Status"] == "SUCCEEDED"
    assert json.loads(out["Result"]) == {"value": "v1", "replaying": True}
    assert counter.calls == 0
    assert svc.state_calls == [
        {"DurableExecutionArn": ARN, "CheckpointToken": "dG9rZW4w", "Marker": "page2", "MaxItems": 1000}
    ]
    assert svc.calls == []  # nothing re-executed, nothing re-checkpointed


def test_b02_one_operation_per_page_on_the_local_service():
    """Pages of one operation each: every invocation's state spans many pages."""
    counter = Counter()
    replaying = []

    @durable_execution
    def handler(event, context: DurableContext):
        replaying.append(context.is_replaying())
        values = [context.step(lambda _, i=i: counter(i) and i, name=f"s{i}") for i in range(3)]
        context.wait(Duration.from_seconds(1), name="w")
        return values

    result = run(handler, max_invocation_page_bytes=1)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == "[0, 1, 2]"
    assert counter.calls == 3  # each step body ran once, never again on the replay
    assert replaying == [False, True]


# =================================================================================================
# B04 - oversized step result: a permanent failure, not an endless Lambda retry
# =================================================================================================


@pytest.mark.parametrize(
    "make",
    [lambda: "x" * 300_000, lambda: ["abcdefghij"] * 30_000],
    ids=["300k-string", "30k-list"],
)
def test_b04_oversized_step_result_fails_the_execution_once(make):
    runs = Counter()

    @durable_execution
    def handler(event, context: DurableContext):
        value = context.step(lambda _: runs() and make(), name="big")
        return len(value)

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    # the SDK refuses the payload before sending it, naming the operation and the rule
    assert result.error.type == f"{OFFICIAL}.SerDesError"
    assert "step 'big'" in result.error.message
    assert "at most 262144 bytes" in result.error.message
    assert runs.calls == 1
    # one invocation, which returned FAILED (no re-raise, no Lambda retry)
    assert invocation_errors(result) == [None]
    assert "StepSucceeded" not in event_types(result)
    [failed] = [e for e in result.history if e["EventType"] == "StepFailed"]
    assert "262144" in failed["StepFailedDetails"]["Error"]["Payload"]["ErrorMessage"]


def test_b04_oversized_payload_refused_by_the_service_fails_the_execution():
    """A size rejection by the service itself (here a serdes the SDK cannot pre-check: the
    service's own rule) is a permanent CheckpointError: FAILED at once, no Lambda retry."""
    import botocore.exceptions

    class Rejecting(FakeService):
        def checkpoint_durable_execution(self, **kwargs):
            self.calls.append(kwargs["Updates"])
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "InvalidParameterValueException",
                           "Message": "STEP output payload size must be less than or equal to 262144 bytes"},
                 "ResponseMetadata": {"HTTPStatusCode": 400}},
                "CheckpointDurableExecution",
            )

    svc = Rejecting()
    out = durable_execution(client=svc)(lambda e, ctx: ctx.step(lambda _: "x", name="s"))(svc.event({}), None)
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == f"{OFFICIAL}.CheckpointError"
    assert "262144" in out["Error"]["ErrorMessage"]
    assert len(svc.calls) == 1  # not retried by the SDK either


def test_b04_payload_of_exactly_262144_bytes_passes_and_262145_fails():
    def handler_for(length):
        @durable_execution
        def handler(event, context: DurableContext):
            # PassThroughSerDes stores the string itself: its UTF-8 length is the payload size
            value = context.step(
                lambda _: "a" * (length - 3) + "\u20ac",  # 3-byte euro sign last
                name="edge",
                config=StepConfig(serdes=PassThroughSerDes()),
            )
            return utf8_len(value)

        return handler

    ok = run(handler_for(CHECKPOINT_SIZE_LIMIT_BYTES))
    assert ok.status is InvocationStatus.SUCCEEDED
    assert ok.result == str(CHECKPOINT_SIZE_LIMIT_BYTES)
    assert utf8_len(ok.get_step("edge").result) == 262_144
    too_big = run(handler_for(CHECKPOINT_SIZE_LIMIT_BYTES + 1))
    assert too_big.status is InvocationStatus.FAILED
    assert "262144" in too_big.error.message


def test_b04_throttling_and_stale_tokens_stay_retryable():
    import botocore.exceptions

    from lambda_durable.exceptions import DurableApiErrorCategory

    def error(code, status, message):
        return botocore.exceptions.ClientError(
            {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
            "CheckpointDurableExecution",
        )

    permanent = CheckpointError.from_exception(
        error("InvalidParameterValueException", 400, "STEP output payload size must be less than or equal to 262144 bytes")
    )
    assert not permanent.is_retryable()
    assert permanent.error_category is DurableApiErrorCategory.EXECUTION
    for retryable in (
        error("TooManyRequestsException", 429, "Rate exceeded"),
        error("InvalidParameterValueException", 400, "Invalid checkpoint token: consumed"),
    ):
        assert CheckpointError.from_exception(retryable).is_retryable()


# =================================================================================================
# B05 - results/errors above the response limit, sizes in UTF-8 bytes
# =================================================================================================


def _execution_updates(svc: FakeService) -> list[dict]:
    return [u for u in svc.updates if u["Type"] == "EXECUTION"]


def _invoke_fake(handler, svc=None):
    svc = svc or FakeService()
    return durable_execution(client=svc)(handler)(svc.event({}), None), svc


def test_b05a_two_mebi_u_ffff_is_checkpointed_not_returned_inline():
    value = {"data": "\uffff" * 2_097_152}  # 2 Mi characters, 6 MiB of UTF-8, 12 MiB as JSON
    out, svc = _invoke_fake(lambda e, ctx: value)
    assert out == {"Status": "SUCCEEDED", "Result": ""}
    [update] = _execution_updates(svc)
    assert update["Action"] == "SUCCEED" and json.loads(update["Payload"]) == value


def test_b05b_seven_megabyte_ascii_result_is_checkpointed():
    out, svc = _invoke_fake(lambda e, ctx: "b" * 7_000_000)
    assert out == {"Status": "SUCCEEDED", "Result": ""}
    [update] = _execution_updates(svc)
    assert update["Action"] == "SUCCEED" and update["Payload"] == json.dumps("b" * 7_000_000)


def test_b05b_result_between_the_response_and_payload_limits_succeeds_on_the_local_service():
    value = "a" * (6 * 1024 * 1024 - 10)  # 6,291,448 bytes of JSON: too big inline, fits a checkpoint
    result = run(durable_execution(lambda e, ctx: value))
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == json.dumps(value)
    assert invocation_errors(result) == [None]


def test_b05b_result_over_the_service_payload_limit_fails_cleanly_on_the_local_service():
    """The service refuses an EXECUTION payload over 6,291,456 bytes: the execution FAILS at once
    (one invocation, a permanent error naming the limit), never an oversized inline response."""
    result = run(durable_execution(lambda e, ctx: "b" * 7_000_000))
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.CheckpointError"
    assert "6291456 bytes" in result.error.message
    assert invocation_errors(result) == [None]


def test_b05c_seven_megabyte_error_is_checkpointed_and_returned_without_body():
    out, svc = _invoke_fake(lambda e, ctx: (_ for _ in ()).throw(ValueError("e" * 7_000_000)))
    assert out == {"Status": "FAILED"}
    [update] = _execution_updates(svc)
    assert update["Action"] == "FAIL"
    assert update["Error"]["ErrorMessage"] == "e" * 7_000_000


def test_b05c_error_the_service_refuses_is_reported_cut_to_fit():
    """On the local service an Error over 32 KiB is refused: the execution still FAILS with the
    handler's own error type, its message cut (and marked), in one invocation."""
    from lambda_durable._wire import TRUNCATION_MARK

    def handler(event, context):
        raise ValueError("e" * 7_000_000)

    result = run(durable_execution(handler))
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == "ValueError"
    assert result.error.message.startswith("eeee") and result.error.message.endswith(TRUNCATION_MARK)
    assert len(json.dumps(result.error.to_dict())) <= 32_768
    assert invocation_errors(result) == [None]


def test_b05c_huge_step_error_fails_the_step_as_itself():
    """A step failing with a 100 KB message: its FAIL carries the error cut to the service's
    Error limit, so the handler catches a StepError naming ValueError (not a checkpoint error)."""
    caught = []

    @durable_execution
    def handler(event, context: DurableContext):
        try:
            context.step(lambda _: (_ for _ in ()).throw(ValueError("x" * 100_000)), name="loud",
                         config=NO_RETRY)
        except StepError as error:
            caught.append((error.error_type, len(error.message)))
        context.wait(Duration.from_seconds(1), name="w")
        return "handled"

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert caught[0][0] == "ValueError"
    assert 30_000 < caught[0][1] < 32_768
    assert caught[0] == caught[1]  # identical on replay


def test_b05d_five_megabyte_result_is_inline_without_an_extra_checkpoint():
    out, svc = _invoke_fake(lambda e, ctx: "d" * 5_000_000)
    assert out == {"Status": "SUCCEEDED", "Result": json.dumps("d" * 5_000_000)}
    assert svc.calls == []


def test_b05_response_limit_counts_bytes_at_the_boundary():
    inline = "a" * (LAMBDA_RESPONSE_SIZE_LIMIT - 2)  # json.dumps adds two quotes
    out, svc = _invoke_fake(lambda e, ctx: inline)
    assert out["Result"] == json.dumps(inline) and svc.calls == []
    out, svc = _invoke_fake(lambda e, ctx: inline + "a")
    assert out == {"Status": "SUCCEEDED", "Result": ""}


def test_b05_child_result_of_100000_euro_signs_is_large_by_bytes():
    """100,000 characters but 300,000 UTF-8 bytes through a pass-through serdes: over 256 KiB,
    so stored as a summary (ReplayChildren) and rebuilt by re-running the children."""
    runs = Counter()
    observed = []

    @durable_execution
    def handler(event, context: DurableContext):
        def child(ctx: DurableContext):
            runs()
            return "\u20ac" * 100_000

        value = context.run_in_child_context(child, name="euros", config=ChildConfig(serdes=PassThroughSerDes()))
        observed.append(len(value))
        context.wait(Duration.from_seconds(1), name="w")
        return utf8_len(value)

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == "300000"
    euros = result.get_context("euros")
    assert euros.result in (None, "")  # not sent inline (the service would reject it)
    succeeded = [e for e in result.history if e["EventType"] == "ContextSucceeded"]
    assert succeeded[0]["ContextSucceededDetails"].get("Result", {}).get("Payload") in (None, "")
    assert observed == [100_000, 100_000]
    assert runs.calls == 2  # rebuilt on replay by re-running the body


# =================================================================================================
# B06 - large map/parallel results: summarized replay identical to the live run
# =================================================================================================


def _batch_view(result) -> dict:
    return {
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
        "sum": sum(len(r) for r in result.get_results()),
        "reason": result.completion_reason.value,
        "statuses": [item.status.value for item in result.all],
    }


@pytest.mark.parametrize("nesting", [NestingType.NESTED, NestingType.FLAT])
def test_b06_large_map_result_is_identical_on_replay(nesting):
    seen = []

    @durable_execution
    def handler(event, context: DurableContext):
        result = context.map(
            [0, 1, 2, 3, 4],
            lambda ctx, item, index, items: ctx.step(lambda _: "z" * 60_000, name="make"),
            name="big",
            config=MapConfig(nesting_type=nesting),
        )
        seen.append(result)
        context.wait(Duration.from_seconds(1), name="w")
        return _batch_view(result)

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == {
        "successCount": 5, "failureCount": 0, "totalCount": 5, "sum": 300_000,
        "reason": "ALL_COMPLETED", "statuses": ["SUCCEEDED"] * 5,
    }
    first, replayed = seen
    assert replayed == first  # same items, results, errors and completion reason
    big = result.get_context("big")
    assert utf8_len(big.result) < CHECKPOINT_SIZE_LIMIT_BYTES  # only the summary was stored


def test_b06_early_completion_with_an_item_still_in_flight_replays_without_hanging():
    release = threading.Event()
    seen = []
    runs = []

    @durable_execution
    def handler(event, context: DurableContext):
        def item(ctx, value, index, items):
            runs.append(index)
            if index == 2:
                release.wait(10)  # still in flight when the batch completes
            return ctx.step(lambda _: "q" * 100_000, name="make")

        result = context.map(
            [0, 1, 2, 3, 4], item, name="big",
            config=MapConfig(max_concurrency=5, completion_config=CompletionConfig(min_successful=3)),
        )
        release.set()
        seen.append(result)
        context.wait(Duration.from_seconds(1), name="w")
        return _batch_view(result)

    started = time.monotonic()
    result = run(handler)
    assert time.monotonic() - started < 10
    assert result.status is InvocationStatus.SUCCEEDED
    view = json.loads(result.result)
    assert view["reason"] == "MIN_SUCCESSFUL_REACHED"
    assert view["successCount"] >= 3
    assert view["statuses"][2] == "STARTED"  # the in-flight item, never turned into a failure
    assert seen[0] == seen[1]
    assert runs.count(2) == 1  # not re-run on replay


def test_b06_custom_summary_generator_output_never_drives_the_rebuild():
    calls = []
    seen = []

    def summary(result):
        calls.append(1)
        return "big"  # plain text, no totalCount

    @durable_execution
    def handler(event, context: DurableContext):
        result = context.map(
            [0, 1, 2, 3, 4],
            lambda ctx, item, index, items: ctx.step(lambda _: "s" * 60_000, name="make"),
            name="big",
            config=MapConfig(summary_generator=summary),
        )
        seen.append(result)
        context.wait(Duration.from_seconds(1), name="w")
        return _batch_view(result)

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result)["statuses"] == ["SUCCEEDED"] * 5
    assert seen[0] == seen[1]
    assert calls == [1]


def test_b06_large_parallel_result_is_identical_on_replay():
    seen = []

    @durable_execution
    def handler(event, context: DurableContext):
        result = context.parallel(
            [lambda ctx, i=i: ctx.step(lambda _: str(i) * 100_000, name="make") for i in range(3)],
            name="p",
        )
        seen.append(result)
        context.wait(Duration.from_seconds(1), name="w")
        return _batch_view(result)

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result)["sum"] == 300_000
    assert seen[0] == seen[1]


# =================================================================================================
# B08 - the first run returns what replay returns: deserialize(serialize(x))
# =================================================================================================


class UpperSerDes(SerDes):
    """Uppercases on serialize, identity on deserialize (a lossy serdes)."""

    def serialize(self, value, serdes_context):
        return json.dumps(value.upper())

    def deserialize(self, data, serdes_context):
        return json.loads(data)


class StableFieldsSerDes(SerDes):
    """Keeps only stable fields: sorts the tags, drops the transient field."""

    def serialize(self, value, serdes_context):
        return json.dumps({"id": value["id"], "tags": sorted(value["tags"])})

    def deserialize(self, data, serdes_context):
        return json.loads(data)


def _before_and_after_wait(make_values):
    """Run a handler that observes ``make_values(context)`` before a 1-second wait (first run)
    and again on the replay after it; returns (result, [first run values, replay values])."""
    observed = []

    @durable_execution
    def handler(event, context: DurableContext):
        observed.append(make_values(event, context))
        context.wait(Duration.from_seconds(1), name="w")
        return "done"

    return run(handler, input='"hello child"'), observed


def test_b08a_uppercasing_serdes_gives_the_same_value_before_and_after_the_wait():
    result, observed = _before_and_after_wait(
        lambda event, ctx: ctx.step(lambda _: event, name="up", config=StepConfig(serdes=UpperSerDes()))
    )
    assert result.status is InvocationStatus.SUCCEEDED
    assert observed == ["HELLO CHILD", "HELLO CHILD"]


def test_b08b_field_filtering_serdes_gives_the_same_value_before_and_after_the_wait():
    value = {"id": 7, "tags": ["b", "c", "a"], "transient": "now"}
    result, observed = _before_and_after_wait(
        lambda event, ctx: ctx.step(lambda _: value, name="s", config=StepConfig(serdes=StableFieldsSerDes()))
    )
    assert observed == [{"id": 7, "tags": ["a", "b", "c"]}] * 2


@pytest.mark.parametrize("operation", ["step", "child", "map", "parallel", "wait_for_condition"])
def test_b08c_extended_types_round_trip_on_every_operation(operation):
    value = {
        "tuple": (1, 2),
        "when": datetime.datetime(2026, 1, 27, 1, 2, 3, 456000, tzinfo=datetime.timezone.utc),
        "amount": decimal.Decimal("1.10"),
        "raw": b"\x00\xff",
        "uid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "int_key": {1: "a"},
        "nan": float("nan"),
        "big": 2**80,
    }

    def make(event, ctx):
        if operation == "step":
            return ctx.step(lambda _: value, name="s")
        if operation == "child":
            return ctx.run_in_child_context(lambda c: value, name="c")
        if operation == "map":
            return ctx.map([0], lambda c, x, i, xs: value, name="m").get_results()[0]
        if operation == "parallel":
            return ctx.parallel([lambda c: value], name="p").get_results()[0]
        return ctx.wait_for_condition(
            lambda state, c: value,
            WaitForConditionConfig(lambda state, attempt: WaitForConditionDecision.stop_polling(), None),
            name="poll",
        )

    result, observed = _before_and_after_wait(make)
    assert result.status is InvocationStatus.SUCCEEDED
    first, replayed = observed
    for got in (first, replayed):
        assert type(got["tuple"]) is tuple and got["tuple"] == (1, 2)
        assert got["when"] == value["when"] and got["when"].tzinfo is not None
        assert str(got["amount"]) == "1.10"  # exact
        assert got["raw"] == b"\x00\xff" and got["uid"] == value["uid"]
        # decided: JSON object keys are strings, on the first run and on replay alike
        assert got["int_key"] == {"1": "a"}
        assert got["nan"] != got["nan"]  # NaN round-trips as NaN (the official wire format)
        assert got["big"] == 2**80 and type(got["big"]) is int  # exact, never a float
    assert repr(first) == repr(replayed)


def test_b08d_flat_child_returning_an_unencodable_value_fails_on_the_first_run():
    caught = []

    @durable_execution
    def handler(event, context: DurableContext):
        try:
            context.run_in_child_context(lambda c: threading.Lock(), name="flat",
                                         config=ChildConfig(is_virtual=True))
        except (SerDesError, ChildContextError) as error:
            caught.append(type(error).__name__)
        try:
            context.run_in_child_context(lambda c: {1, 2}, name="nested")
        except (SerDesError, ChildContextError) as error:
            caught.append(type(error).__name__)
        context.wait(Duration.from_seconds(1), name="w")
        return caught

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    # raised on the first run (before the wait), and the same on replay
    assert len(caught) == 4 and caught[:2] == caught[2:]


def test_b08_handler_top_level_value_goes_through_plain_json():
    """Decided and documented: the handler's own return value is encoded with ``json.dumps``
    (the Lambda response), not the extended serdes: a tuple becomes a list, a datetime fails the
    execution with a clear error naming the rule."""
    as_list = run(durable_execution(lambda e, ctx: (1, 2)))
    assert as_list.status is InvocationStatus.SUCCEEDED and as_list.result == "[1, 2]"
    failed = run(durable_execution(lambda e, ctx: datetime.datetime(2026, 1, 1)))
    assert failed.status is InvocationStatus.FAILED
    assert failed.error.type == "TypeError"
    assert "not JSON serializable" in failed.error.message


# =================================================================================================
# B09 - epoch-millisecond timestamps in the invocation event
# =================================================================================================


def _fixed_wait(target=None, max_attempts=60, delay=1):
    return create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=lambda state: target is None or state < target,
            max_attempts=max_attempts,
            initial_delay=Duration.from_seconds(delay),
            max_delay=Duration.from_seconds(delay),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )


def test_b09_map_items_polling_twice_resume_from_millisecond_timestamps():
    """The local service sends every timestamp as epoch milliseconds (as Lambda does)."""
    polls = []

    @durable_execution
    def handler(event, context: DurableContext):
        def item(ctx, value, index, items):
            return ctx.wait_for_condition(
                lambda state, c: polls.append((index, state)) or state + 1,
                WaitForConditionConfig(_fixed_wait(target=2), 0),
                name=f"poll-{index}",
            )

        return context.map([0, 1], item, name="m").get_results()

    events = []

    def recording(event, lambda_context):
        events.append(event)
        return handler(event, lambda_context)

    recording.__durable_function__ = handler.__durable_function__
    result = run(recording)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == "[2, 2]"
    assert sorted(polls) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    # the replays really carried integer timestamps, PENDING retries included
    ops = [op for event in events[1:] for op in event["InitialExecutionState"]["Operations"]]
    assert all(isinstance(op["StartTimestamp"], int) for op in ops)
    assert any(isinstance((op.get("StepDetails") or {}).get("NextAttemptTimestamp"), int) for op in ops)


def _ms(value: datetime.datetime) -> int:
    return int(value.timestamp() * 1000)


@pytest.mark.parametrize("form", ["epoch-ms", "iso"])
def test_b09_replay_envelope_with_int_or_iso_timestamps_resumes_due_items(form):
    """Replay envelope as in the case: EXECUTION StartTimestamp 1769481309631, a PENDING
    WaitForCondition step (NextAttemptTimestamp 1769481319631, already past) inside a map item,
    and a WAIT with an int ScheduledEndTimestamp. No TypeError; the past-due item resumes at once
    (in this invocation, after one state refresh)."""
    def stamp(ms: int):
        if form == "epoch-ms":
            return ms
        return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc).isoformat()

    m = op_id(None, 2)
    item0, item1 = op_id(m, 0), op_id(m, 1)
    poll0, poll1 = op_id(item0, 1), op_id(item1, 1)
    start = 1_769_481_309_631
    due = 1_769_481_319_631

    def poll_record(id_, parent, name):
        return {"Id": id_, "ParentId": parent, "Type": "STEP", "SubType": "WaitForCondition", "Name": name,
                "Status": "PENDING", "StartTimestamp": stamp(start),
                "StepDetails": {"Attempt": 1, "NextAttemptTimestamp": stamp(due), "Result": "1"}}

    operations = [
        dict(execution_op({}), StartTimestamp=stamp(start)),
        {"Id": op_id(None, 1), "Type": "WAIT", "SubType": "Wait", "Name": "first", "Status": "SUCCEEDED",
         "StartTimestamp": stamp(start), "EndTimestamp": stamp(start + 10_000),
         "WaitDetails": {"ScheduledEndTimestamp": stamp(start + 10_000)}},
        {"Id": m, "Type": "CONTEXT", "SubType": "Map", "Name": "m", "Status": "STARTED", "StartTimestamp": stamp(start)},
        {"Id": item0, "ParentId": m, "Type": "CONTEXT", "SubType": "MapIteration", "Name": "map-item-0",
         "Status": "STARTED", "StartTimestamp": stamp(start)},
        {"Id": item1, "ParentId": m, "Type": "CONTEXT", "SubType": "MapIteration", "Name": "map-item-1",
         "Status": "STARTED", "StartTimestamp": stamp(start)},
        poll_record(poll0, item0, "poll-0"),
        poll_record(poll1, item1, "poll-1"),
    ]
    # the service's own store holds datetimes (as boto3 returns them); the event carries `form`
    svc = FakeService(refresh_completes_timers=True)
    for op in operations:
        stored = json.loads(json.dumps(op))
        for details_key, key in (("StepDetails", "NextAttemptTimestamp"),):
            if details_key in stored:
                stored[details_key][key] = datetime.datetime.fromtimestamp(due / 1000, tz=datetime.timezone.utc)
        svc.operations[op["Id"]] = stored
    svc.now = datetime.datetime.fromtimestamp(due / 1000 + 1, tz=datetime.timezone.utc)
    polls = []
    started = []

    def handler(event, ctx):
        started.append(ctx.current_time())
        ctx.wait(Duration.from_seconds(10), name="first")
        return ctx.map(
            [0, 1],
            lambda c, x, i, xs: c.wait_for_condition(
                lambda state, cc: polls.append((i, state)) or state + 1,
                WaitForConditionConfig(_fixed_wait(target=2), 0),
                name=f"poll-{i}",
            ),
            name="m",
        ).get_results()

    event = {"DurableExecutionArn": ARN, "CheckpointToken": svc.token,
             "InitialExecutionState": {"Operations": operations, "NextMarker": ""}}
    out = durable_execution(client=svc)(handler)(event, None)
    assert out == {"Status": "SUCCEEDED", "Result": "[2, 2]"}
    assert sorted(polls) == [(0, 1), (1, 1)]  # resumed from the stored state, not from 0
    assert started == [datetime.datetime(2026, 1, 27, 2, 35, 9, 631000, tzinfo=datetime.timezone.utc)]
    assert svc.calls[0] == []  # one shared refresh before the due items resumed


# =================================================================================================
# B11 - built-in wait strategy: usable, and exhaustion fails
# =================================================================================================


def test_b11_6_5_fixed_delay_strategy_polls_until_the_condition_is_met():
    @durable_execution
    def handler(event, context: DurableContext):
        return context.wait_for_condition(
            lambda state, c: state + 1,
            WaitForConditionConfig(_fixed_wait(target=3, delay=2), event),
            name="poll",
        )

    result = run(handler, input="0")
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == "3"
    succeeded = [e for e in result.history if e["EventType"] == "StepSucceeded"]
    assert [e["SubType"] for e in succeeded] == ["WaitForCondition"] * 3
    delays = [e["StepSucceededDetails"]["RetryDetails"].get("NextAttemptDelaySeconds") for e in succeeded]
    assert delays == [2, 2, None]  # two continues, each with the 2 s delay, then the final success
    assert "StepFailed" not in event_types(result)


def test_b11_6_6_exhaustion_fails_the_operation_and_the_execution():
    caught = []

    def handler_for(catch):
        @durable_execution
        def handler(event, context: DurableContext):
            def poll():
                return context.wait_for_condition(
                    lambda state, c: state + 1,
                    WaitForConditionConfig(_fixed_wait(max_attempts=3, delay=2), 0),
                    name="poll",
                )

            if not catch:
                return poll()
            try:
                return poll()
            except WaitForConditionError as error:
                caught.append(error.message)
                return "caught"

        return handler

    result = run(handler_for(catch=False))
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.WaitForConditionError"
    assert "3 attempts" in result.error.message
    types = event_types(result)
    assert types.count("StepSucceeded") == 2 and types.count("StepFailed") == 1
    assert "StepSucceeded" not in types[types.index("StepFailed"):]  # never a silent success
    caught_result = run(handler_for(catch=True))
    assert caught_result.result == '"caught"'
    assert len(caught) == 1 and "max_attempts=3" in caught[0]


# =================================================================================================
# B12 - wait_for_condition never restarts from initial_state
# =================================================================================================


class RefusesOneSerDes(SerDes):
    """JSON, but refuses to read back a state whose ``n`` is 1 (a serdes swapped between deploys)."""

    def __init__(self):
        self.shapes = []

    def serialize(self, value, serdes_context):
        return json.dumps(value)

    def deserialize(self, data, serdes_context):
        value = json.loads(data)
        if value.get("n") == 1:
            raise ValueError("cannot read state version 1")
        return value


def test_b12_stored_state_that_cannot_be_read_fails_the_operation():
    checks = []

    @durable_execution
    def handler(event, context: DurableContext):
        serdes = RefusesOneSerDes()
        return context.wait_for_condition(
            lambda state, c: checks.append(dict(state)) or {"n": state["n"] + 1},
            WaitForConditionConfig(
                lambda state, attempt: (
                    WaitForConditionDecision.stop_polling() if state["n"] == 3
                    else WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))
                ),
                {"n": 0},
                serdes=serdes,
            ),
            name="poll",
        )

    result = run(handler)
    # first check: initial state; writing {"n": 1} then reading it back (round trip) fails at once
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.SerDesError"
    assert "wait_for_condition 'poll'" in result.error.message
    assert "cannot read state version 1" in result.error.message
    assert checks == [{"n": 0}]  # never restarted from initial_state
    assert event_types(result).count("StepFailed") == 1


def test_b12_state_swapped_between_deploys_fails_on_resume_and_never_restarts():
    deploys = []
    checks = []

    class Version2SerDes(SerDes):
        def serialize(self, value, serdes_context):
            return json.dumps({"v": 2, **value})

        def deserialize(self, data, serdes_context):
            value = json.loads(data)
            if value.get("v") != 2:
                raise ValueError("state written by another version")
            return {k: v for k, v in value.items() if k != "v"}

    @durable_execution
    def handler(event, context: DurableContext):
        deploys.append(1)
        serdes = None if len(deploys) == 1 else Version2SerDes()  # redeployed after one poll
        return context.wait_for_condition(
            lambda state, c: checks.append(dict(state)) or {"n": state["n"] + 1},
            WaitForConditionConfig(
                lambda state, attempt: (
                    WaitForConditionDecision.stop_polling() if state["n"] == 3
                    else WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))
                ),
                {"n": 0},
                serdes=serdes,
            ),
            name="poll",
        )

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == f"{OFFICIAL}.SerDesError"
    assert "state written by another version" in result.error.message
    assert checks == [{"n": 0}]  # the resumed invocation failed instead of polling from {"n": 0}


def test_b12_state_serialized_to_an_empty_string_is_stored_state_not_absent():
    checks = []

    class EmptyIsZero(SerDes):
        """Writes state 0 as "" (and reads "" back as 0)."""

        def serialize(self, value, serdes_context):
            return "" if value == 0 else str(value)

        def deserialize(self, data, serdes_context):
            return 0 if data == "" else int(data)

    @durable_execution
    def handler(event, context: DurableContext):
        return context.wait_for_condition(
            lambda state, c: checks.append(state) or (state - 1 if state > 0 else 0),
            WaitForConditionConfig(
                lambda state, attempt: (
                    WaitForConditionDecision.stop_polling() if attempt >= 3
                    else WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))
                ),
                1,
                serdes=EmptyIsZero(),
            ),
            name="poll",
        )

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    # 1 -> 0 (stored as ""), then the stored 0 is read back: never restarted from 1
    assert checks == [1, 0, 0]


def test_b12_initial_state_is_round_tripped_before_the_first_check():
    seen = []

    @durable_execution
    def handler(event, context: DurableContext):
        return context.wait_for_condition(
            lambda state, c: seen.append(state) or state,
            WaitForConditionConfig(lambda state, attempt: WaitForConditionDecision.stop_polling(), (1, 2)),
            name="poll",
        )

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert seen == [(1, 2)] and type(seen[0]) is tuple  # the same shape later checks would see


# =================================================================================================
# B13 - retry strategy: jitter never above the base delay; one filter does not retry everything
# =================================================================================================


def _retry_delays(result) -> list[int]:
    return [
        e["StepFailedDetails"]["RetryDetails"]["NextAttemptDelaySeconds"]
        for e in result.history
        if e["EventType"] == "StepFailed" and "NextAttemptDelaySeconds" in e["StepFailedDetails"].get("RetryDetails", {})
    ]


@pytest.mark.parametrize("jitter", [JitterStrategy.NONE, JitterStrategy.FULL, JitterStrategy.HALF])
def test_b13a_recorded_retry_delays_never_exceed_the_base(jitter):
    config = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(
        max_attempts=4, initial_delay=Duration.from_seconds(10), backoff_rate=2, jitter_strategy=jitter)))

    @durable_execution
    def handler(event, context: DurableContext):
        return context.step(lambda _: (_ for _ in ()).throw(RuntimeError("always")), name="s", config=config)

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    delays = _retry_delays(result)
    assert len(delays) == 3
    for got, base in zip(delays, (10, 20, 40)):
        if jitter is JitterStrategy.NONE:
            assert got == base
        elif jitter is JitterStrategy.FULL:
            assert 1 <= got <= base
        else:
            assert base / 2 <= got <= base


def _attempts_for(error: Exception, **filters) -> int:
    runs = Counter()
    config = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(
        max_attempts=3, initial_delay=Duration.from_seconds(1), jitter_strategy=JitterStrategy.NONE, **filters)))

    @durable_execution
    def handler(event, context: DurableContext):
        def body(_):
            runs()
            raise error

        return context.step(body, name="s", config=config)

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    return runs.calls


def test_b13b_one_error_filter_does_not_retry_everything():
    assert _attempts_for(ValueError("boom"), retryable_error_types=[TimeoutError]) == 1
    assert _attempts_for(TimeoutError("slow"), retryable_error_types=[TimeoutError]) == 3
    assert _attempts_for(RuntimeError("network down"), retryable_errors=["network"]) == 3
    assert _attempts_for(RuntimeError("disk full"), retryable_errors=["network"]) == 1
    assert _attempts_for(ValueError("anything")) == 3  # neither filter: everything retried
    both = {"retryable_errors": ["network"], "retryable_error_types": [TimeoutError]}
    assert _attempts_for(ValueError("network glitch"), **both) == 3  # either match (OR)
    assert _attempts_for(ValueError("other"), **both) == 1


# =================================================================================================
# B14 - an at-most-once step interrupted mid-attempt is not re-run but honours its retries
# =================================================================================================

AT_MOST_ONCE = StepSemantics.AT_MOST_ONCE_PER_RETRY


def _retry_while(limit: int):
    seen = []

    def strategy(error, attempts_made):
        seen.append((type(error).__name__, attempts_made))
        if attempts_made < limit:
            return RetryDecision.retry(Duration.from_seconds(1))
        return RetryDecision.no_retry()

    return strategy, seen


def test_b14_interrupted_attempt_goes_to_the_retry_strategy_and_attempt_2_runs_once():
    import os

    attempts = []
    strategy, decisions = _retry_while(3)

    @durable_execution
    def handler(event, context: DurableContext):
        def body(step: StepContext):
            attempts.append(step.attempt)
            if step.attempt == 1:
                os._exit(1)  # the process dies after the START was made durable
            return "ok"

        return context.step(body, name="amo", config=StepConfig(retry_strategy=strategy, step_semantics=AT_MOST_ONCE))

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"ok"'
    assert attempts == [1, 2]  # the interrupted body never re-ran: two executions in total
    assert decisions == [("StepInterruptedError", 1)]
    assert event_types(result) == [
        "ExecutionStarted",
        "StepStarted",  # persisted before the body ran
        "InvocationCompleted",  # the crash (Runtime.ExitError)
        "StepFailed",  # the RETRY of the interrupted attempt
        "InvocationCompleted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert invocation_errors(result)[0]["ErrorType"] == "Runtime.ExitError"


def test_b14_interrupted_attempt_without_retries_is_a_clean_failure():
    import os

    attempts = []

    @durable_execution
    def handler(event, context: DurableContext):
        def body(step: StepContext):
            attempts.append(step.attempt)
            os._exit(1)

        return context.step(body, name="amo",
                            config=StepConfig(retry_strategy=RetryPresets.none(), step_semantics=AT_MOST_ONCE))

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert attempts == [1]
    # a step failure whose cause is the interruption (not an internal error)
    assert result.error.type == f"{OFFICIAL}.StepError"
    assert "interrupted during attempt 1" in result.error.message
    [failed] = [e for e in result.history if e["EventType"] == "StepFailed"]
    assert failed["StepFailedDetails"]["Error"]["Payload"]["ErrorType"] == f"{OFFICIAL}.StepInterruptedError"


# =================================================================================================
# B15 - a READY retry attempt is checkpointed as STARTED before its body runs
# =================================================================================================


def test_b15_every_attempt_starts_with_a_durable_start():
    attempts = []
    strategy, _ = _retry_while(2)

    @durable_execution
    def handler(event, context: DurableContext):
        def body(step: StepContext):
            attempts.append(step.attempt)
            if step.attempt == 1:
                raise RuntimeError("first attempt fails")
            return "second"

        return context.step(body, name="amo", config=StepConfig(retry_strategy=strategy, step_semantics=AT_MOST_ONCE))

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"second"'
    assert attempts == [1, 2]
    step_events = [e["EventType"] for e in result.history if e["EventType"].startswith("Step")]
    assert step_events == ["StepStarted", "StepFailed", "StepStarted", "StepSucceeded"]


def test_b15_crash_during_the_ready_attempt_is_an_interruption_not_a_fresh_start():
    """Because attempt 2 wrote its START, a crash inside it is seen as an interrupted attempt 2
    on replay: its body is not run a second time."""
    import os

    attempts = []
    strategy, decisions = _retry_while(2)

    @durable_execution
    def handler(event, context: DurableContext):
        def body(step: StepContext):
            attempts.append(step.attempt)
            if step.attempt == 1:
                raise RuntimeError("first attempt fails")
            os._exit(1)

        return context.step(body, name="amo", config=StepConfig(retry_strategy=strategy, step_semantics=AT_MOST_ONCE))

    result = run(handler)
    assert result.status is InvocationStatus.FAILED
    assert attempts == [1, 2]
    assert decisions == [("RuntimeError", 1), ("StepInterruptedError", 2)]


# =================================================================================================
# B16 - completion config semantics: tolerance first, empty config fail-fast, parallel == map
# =================================================================================================


def _batch_case(kind: str, outcomes: str, completion: CompletionConfig | None):
    """Run a map/parallel of branches failing ('f') or succeeding ('s') one at a time; returns
    (handler result dict, indexes of the branches that ran, the execution result)."""
    ran = []

    def branch(index):
        def body(ctx):
            ran.append(index)
            if outcomes[index] == "f":
                raise RuntimeError(f"branch {index} failed")
            return index

        return body

    @durable_execution
    def handler(event, context: DurableContext):
        if kind == "map":
            config = MapConfig(max_concurrency=1, completion_config=completion)
            result = context.map(list(range(len(outcomes))), lambda c, x, i, xs: branch(i)(c), name="b", config=config)
        else:
            config = ParallelConfig(max_concurrency=1)
            if completion is not None:
                config = ParallelConfig(max_concurrency=1, completion_config=completion)
            result = context.parallel([branch(i) for i in range(len(outcomes))], name="b", config=config)
        return {
            "completionReason": result.completion_reason.value,
            "successCount": result.success_count,
            "failureCount": result.failure_count,
            "totalCount": result.total_count,
        }

    execution = run(handler)
    assert execution.status is InvocationStatus.SUCCEEDED  # the batch itself never raises
    assert execution.get_context("b").status.value == "SUCCEEDED"
    return json.loads(execution.result), ran


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_b16a_tolerance_is_checked_before_all_completed(kind):
    out, ran = _batch_case(kind, "ffs", CompletionConfig(tolerated_failure_count=1))
    assert out == {"completionReason": "FAILURE_TOLERANCE_EXCEEDED", "successCount": 0, "failureCount": 2,
                   "totalCount": 2}
    assert ran == [0, 1]  # branch 2 never started


@pytest.mark.parametrize("kind", ["map", "parallel"])
@pytest.mark.parametrize("completion", [None, CompletionConfig()], ids=["no-config", "empty-config"])
def test_b16bc_no_config_and_empty_config_both_fail_fast(kind, completion):
    out, ran = _batch_case(kind, "sfs", completion)
    assert out == {"completionReason": "FAILURE_TOLERANCE_EXCEEDED", "successCount": 1, "failureCount": 1,
                   "totalCount": 2}
    assert ran == [0, 1]


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_b16d_parallel_honours_a_tolerance_exactly_like_map(kind):
    out, ran = _batch_case(kind, "sfs", CompletionConfig(tolerated_failure_count=1))
    assert out == {"completionReason": "ALL_COMPLETED", "successCount": 2, "failureCount": 1, "totalCount": 3}
    assert ran == [0, 1, 2]


@pytest.mark.parametrize("kind", ["map", "parallel"])
def test_b16e_tolerated_percentage_is_exceeded_by_one_of_three(kind):
    out, ran = _batch_case(kind, "sfs", CompletionConfig(tolerated_failure_percentage=30))
    assert out["completionReason"] == "FAILURE_TOLERANCE_EXCEEDED"  # 33% > 30%


def test_b16_failures_are_read_from_the_result():
    @durable_execution
    def handler(event, context: DurableContext):
        result = context.map([0, 1], lambda c, x, i, xs: 1 / x, name="b",
                             config=MapConfig(completion_config=CompletionConfig.all_completed()))
        try:
            result.throw_if_error()
        except ChildContextError as error:
            return ["raised", error.error_type]
        return ["no error"]

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == ["raised", "ZeroDivisionError"]


# =================================================================================================
# B17 - map/parallel never hangs when the completion target becomes unreachable
# =================================================================================================


@pytest.mark.parametrize(
    "completion",
    [CompletionConfig(min_successful=2, tolerated_failure_count=1), CompletionConfig()],
    ids=["min2-tolerate1", "all-unset"],
)
def test_b17_batch_returns_promptly_once_the_target_is_unreachable(completion):
    @durable_execution
    def handler(event, context: DurableContext):
        def item(ctx, x, index, items):
            if index == 0:
                raise RuntimeError("boom")
            return "ok"

        result = context.map([0, 1], item, name="m", config=MapConfig(max_concurrency=2, completion_config=completion))
        return {"reason": result.completion_reason.value,
                "statuses": {item.index: item.status.value for item in result.all}}

    started = time.monotonic()
    result = run(handler, execution_timeout=20)
    assert time.monotonic() - started < 5
    assert result.status is InvocationStatus.SUCCEEDED
    out = json.loads(result.result)
    assert out["statuses"]["0"] == "FAILED"
    assert out["reason"] in ("ALL_COMPLETED", "FAILURE_TOLERANCE_EXCEEDED")


def test_b17_min_successful_one_returns_after_the_first_success():
    release = threading.Event()
    straggler_started = threading.Event()
    straggler_done = threading.Event()
    ran = []
    got = []

    @durable_execution
    def handler(event, context: DurableContext):
        def item(ctx, x, index, items):
            ran.append(index)
            if index == 1:
                straggler_started.set()
                try:
                    release.wait(10)  # still running when the batch completes
                    return ctx.step(lambda _: "late", name="late")
                finally:
                    straggler_done.set()
            straggler_started.wait(10)
            return ctx.step(lambda _: "first", name="first")

        result = context.map([0, 1, 2, 3], item, name="m",
                             config=MapConfig(max_concurrency=2, completion_config=CompletionConfig(min_successful=1)))
        got.append([(i.index, i.status.value) for i in result.all])
        release.set()
        assert straggler_done.wait(10)  # the straggler tried to finish (and was refused)
        got.append([(i.index, i.status.value) for i in result.all])
        return result.get_results()

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '["first"]'
    assert got[0] == got[1] == [(0, "SUCCEEDED"), (1, "STARTED")]
    assert sorted(ran) == [0, 1]  # items 2 and 3 never started
    names = [op.name for op in result.get_all_operations()]
    assert "late" not in names  # the straggler wrote nothing after the map completed


# =================================================================================================
# B18 - min_successful reached while items are in flight: frozen result, no late checkpoints
# =================================================================================================


def test_b18_frozen_snapshot_identical_on_replay_and_no_late_child_checkpoints():
    item3_started = threading.Event()
    release = threading.Event()
    item3_done = threading.Event()
    seen = []
    events = []

    def item(ctx, x, index, items):
        if index == 1:
            item3_started.wait(10)  # item 1 succeeds only once item 3 is running
        if index == 3:
            item3_started.set()
            try:
                release.wait(10)  # in flight until after the map returned
                return ctx.step(lambda _: index, name="work")
            finally:
                item3_done.set()

        def work(_):
            if index in (2, 4):
                raise RuntimeError(f"item {index} failed")
            return index

        strategy, _ = _retry_while(2)
        return ctx.step(work, name="work", config=StepConfig(retry_strategy=strategy))

    @durable_execution
    def handler(event, context: DurableContext):
        result = context.map(
            list(range(5)), item, name="m",
            config=MapConfig(max_concurrency=3,
                             completion_config=CompletionConfig(min_successful=2, tolerated_failure_percentage=50)),
        )
        seen.append([(i.index, i.status.value) for i in result.all])
        if not context.is_replaying():
            release.set()
            item3_done.wait(10)
            seen.append([(i.index, i.status.value) for i in result.all])
        context.wait(Duration.from_seconds(1), name="after")
        return {"totalCount": result.total_count, "successCount": result.success_count,
                "failureCount": result.failure_count, "completionReason": result.completion_reason.value}

    with DurableFunctionTestRunner(handler, on_event=events.append) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == {"totalCount": 4, "successCount": 2, "failureCount": 0,
                                         "completionReason": "MIN_SUCCESSFUL_REACHED"}
    frozen = [(0, "SUCCEEDED"), (1, "SUCCEEDED"), (2, "STARTED"), (3, "STARTED")]
    # first run, after the straggler ended, and every replay (the abandoned item's retry timer
    # also re-invokes the handler once)
    assert len(seen) >= 3 and all(snapshot == frozen for snapshot in seen)
    # no event of anything inside the map after the map's own ContextSucceeded
    m = op_id(None, 1)
    closed = next(i for i, e in enumerate(events) if e["EventType"] == "ContextSucceeded" and e.get("Id") == m)
    parents = {op.operation_id: op.parent_id for op in result.get_all_operations()}

    def inside_map(operation_id):
        parent = parents.get(operation_id)
        while parent is not None:
            if parent == m:
                return True
            parent = parents.get(parent)
        return False

    assert [e["EventType"] for e in events[closed + 1:] if inside_map(e.get("Id"))] == []


def test_b18_parallel_min_successful_one_succeeds_beside_branches_waiting_on_callbacks():
    parked = {1: threading.Event(), 2: threading.Event()}

    def waiting(i):
        def body(ctx):
            callback = ctx.create_callback(name=f"cb{i}")
            parked[i].set()
            return callback.result()  # never completed

        return body

    def winner(ctx):
        parked[1].wait(10)
        parked[2].wait(10)
        return ctx.step(lambda _: "won", name="win")

    @durable_execution
    def handler(event, context: DurableContext):
        result = context.parallel([winner, waiting(1), waiting(2)], name="p",
                                  config=ParallelConfig(completion_config=CompletionConfig(min_successful=1)))
        return {"results": result.get_results(), "reason": result.completion_reason.value}

    result = run(handler, stop_on_unanswered_callback=True)
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == {"results": ["won"], "reason": "MIN_SUCCESSFUL_REACHED"}
    assert result.get_context("p").status.value == "SUCCEEDED"


# =================================================================================================
# B20 - branches resuming at the identical time
# =================================================================================================


class _Gate:
    """The map/parallel coordinator's clock in these tests: just before ``due`` until ``opened``,
    an hour after it from then on (so one wave of resumes happens at a chosen moment)."""

    def __init__(self, due: float):
        self.opened = threading.Event()
        self.due = due

    def time(self) -> float:
        return self.due + 3600 if self.opened.is_set() else self.due - 0.5


def _replay_of_waiting_branches(count: int, kind: str):
    """A FakeService whose stored state has a ``kind`` batch (Parallel/Map) of ``count`` items,
    items 1.. each with a STARTED wait sharing one ScheduledEndTimestamp (so their resume times
    are identical), and the matching invocation event (timestamps as epoch milliseconds)."""
    due = datetime.datetime(2026, 1, 27, 1, 0, 0, tzinfo=datetime.timezone.utc)
    batch = op_id(None, 1)
    sub, item_sub = ("Parallel", "ParallelBranch") if kind == "parallel" else ("Map", "MapIteration")
    name = "p" if kind == "parallel" else "m"
    stored = [{"Id": batch, "Type": "CONTEXT", "SubType": sub, "Name": name, "Status": "STARTED",
               "StartTimestamp": START_MS}]
    for i in range(count):
        item = op_id(batch, i)
        item_name = f"parallel-branch-{i}" if kind == "parallel" else f"map-item-{i}"
        stored.append({"Id": item, "ParentId": batch, "Type": "CONTEXT", "SubType": item_sub, "Name": item_name,
                       "Status": "STARTED", "StartTimestamp": START_MS})
        if i:
            stored.append({"Id": op_id(item, 1), "ParentId": item, "Type": "WAIT", "SubType": "Wait",
                           "Name": "tick", "Status": "STARTED", "StartTimestamp": START_MS,
                           "WaitDetails": {"ScheduledEndTimestamp": due}})
    svc = FakeService(stored, refresh_completes_timers=True)
    svc.now = due + datetime.timedelta(seconds=1)
    event_ops = [execution_op({})]
    for op in stored:
        op = json.loads(json.dumps(op, default=lambda d: int(d.timestamp() * 1000)))
        event_ops.append(op)
    event = {"DurableExecutionArn": ARN, "CheckpointToken": svc.token,
             "InitialExecutionState": {"Operations": event_ops, "NextMarker": ""}}
    return svc, event, due.timestamp()


@pytest.mark.parametrize("count", [3, 300], ids=["parallel-3", "map-300"])
def test_b20_equal_resume_times_resume_fifo_in_one_wave(monkeypatch, count):
    from lambda_durable.concurrency import executor as executor_module
    from lambda_durable.concurrency.executor import BatchExecutor

    kind = "parallel" if count == 3 else "map"
    svc, event, due = _replay_of_waiting_branches(count, kind)
    gate = _Gate(due)
    monkeypatch.setattr(executor_module, "time", gate)
    starts = []
    suspended = set()
    lock = threading.Lock()
    original_start, original_worker = BatchExecutor._start, BatchExecutor._worker

    def start(self, branch):
        starts.append(branch.index)
        return original_start(self, branch)

    def worker(self, executable, scope):
        original_worker(self, executable, scope)
        with lock:
            if executable.index:
                suspended.add(executable.index)
            if len(suspended) == count - 1:
                gate.opened.set()  # every waiting branch reported the same resume time

    monkeypatch.setattr(BatchExecutor, "_start", start)
    monkeypatch.setattr(BatchExecutor, "_worker", worker)
    resumed = threading.Event()
    finished = []

    def branch(ctx, index):
        if index == 0:  # keeps the invocation alive until the others resumed in-process
            assert resumed.wait(10)
            return 0
        ctx.wait(Duration.from_seconds(1), name="tick")
        with lock:
            finished.append(index)
            if len(finished) == count - 1:
                resumed.set()
        return index

    @durable_execution(client=svc)
    def handler(event, context: DurableContext):
        if kind == "parallel":
            result = context.parallel([lambda c, i=i: branch(c, i) for i in range(count)], name="p")
        else:
            result = context.map(list(range(count)), lambda c, x, i, xs: branch(c, i), name="m")
        return result.get_results()

    out = handler(event, None)
    assert out["Status"] == "SUCCEEDED"  # no TypeError from comparing branches with equal times
    assert json.loads(out["Result"]) == list(range(count))
    assert starts[:count] == list(range(count))  # admitted in order ...
    assert starts[count:] == list(range(1, count))  # ... and resumed FIFO, by index
    assert sum(1 for batch in svc.calls if batch == []) == 1  # one shared refresh for the wave


# =================================================================================================
# B22 - parallel with one failing branch and one waiting branch
# =================================================================================================


@pytest.mark.parametrize("order", ["wait-first", "failure-first"])
def test_b22_failing_branch_beside_a_waiting_branch_completes_and_succeeds(order):
    events = []
    a_waiting = threading.Event()
    seen = []

    def branch_a(ctx):
        if order == "wait-first":
            a_waiting.set()
        else:
            time.sleep(0.05)  # usually still before the wait when the parallel completes
        ctx.wait(Duration.from_seconds(1), name="a-wait")
        return {"key": "value1"}

    def branch_b(ctx):
        if order == "wait-first":
            a_waiting.wait(10)
        raise RuntimeError("Error in other branch")

    @durable_execution
    def handler(event, context: DurableContext):
        result = context.parallel([branch_a, branch_b], name="p")
        seen.append([(i.index, i.status.value) for i in result.all])
        return "done"

    with DurableFunctionTestRunner(handler, on_event=events.append) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"done"'
    assert seen[0][1] == (1, "FAILED")
    assert seen[0][0][1] != "SUCCEEDED"  # branch A is not counted as a success
    assert all(snapshot == seen[0] for snapshot in seen)
    p = result.get_context("p")
    branch_a_ids = {op.operation_id for op in result.get_all_operations()
                    if op.parent_id == op_id(p.operation_id, 0) or op.operation_id == op_id(p.operation_id, 0)}
    closed = next(i for i, e in enumerate(events) if e["EventType"] == "ContextSucceeded" and e.get("Id") == p.operation_id)
    # no checkpoint of a child after its ancestor closed; events after that are only timer
    # completions of what was already started (a WaitSucceeded) and invocation bookkeeping
    for e in events[closed + 1:]:
        if e.get("Id") in branch_a_ids:
            assert e["EventType"] == "WaitSucceeded"


# =================================================================================================
# B23 - a checkpoint response without a CheckpointToken
# =================================================================================================


class _NoTokenService(FakeService):
    """Answers chosen checkpoint calls without a CheckpointToken (and with a NextMarker, which
    must not be followed with the spent token)."""

    def __init__(self, drop_when, **kwargs):
        super().__init__(**kwargs)
        self.drop_when = drop_when

    def checkpoint_durable_execution(self, **kwargs):
        self.sent_tokens = getattr(self, "sent_tokens", []) + [kwargs["CheckpointToken"]]
        response = super().checkpoint_durable_execution(**kwargs)
        if self.drop_when(kwargs["Updates"]):
            self.dropped_at = len(self.calls)
            del response["CheckpointToken"]
            response["NewExecutionState"]["NextMarker"] = "more"
        return response


def test_b23_update_batch_answered_without_a_token_ends_the_invocation_pending():
    svc = _NoTokenService(lambda updates: any(u["Action"] == "SUCCEED" for u in updates))
    after = []

    @durable_execution(client=svc)
    def handler(event, context: DurableContext):
        context.step(lambda _: "v", name="s")
        after.append("wait")
        context.wait(Duration.from_seconds(35), name="w")
        return "done"

    out = handler(svc.event({}), None)
    assert out == {"Status": "PENDING"}  # clean: no exception, no FAILED
    assert after == []  # the checkpoint loop stopped: nothing after the step ran
    assert len(svc.calls) == 1
    assert svc.state_calls == []  # no pagination with the spent token


def test_b23_parallel_branches_with_queued_checkpoints_are_settled():
    svc = _NoTokenService(lambda updates: any(u.get("Name") == "first" and u["Action"] == "SUCCEED" for u in updates))
    reached = []

    @durable_execution(client=svc)
    def handler(event, context: DurableContext):
        def branch(ctx, i):
            value = ctx.step(lambda _: i, name="first" if i == 0 else f"other-{i}")
            reached.append(i)
            ctx.step(lambda _: i, name=f"second-{i}")
            return value

        context.parallel([lambda c, i=i: branch(c, i) for i in range(3)], name="p",
                         config=ParallelConfig(max_concurrency=3))
        reached.append("after")
        return "done"

    started = time.monotonic()
    out = handler(svc.event({}), None)
    assert time.monotonic() - started < 5  # no waiter blocked forever
    assert out == {"Status": "PENDING"}
    assert "after" not in reached
    # the answer without a token was the last call: no checkpoint followed, none with an empty
    # or spent token
    assert svc.dropped_at == len(svc.calls)
    assert all(svc.sent_tokens) and len(set(svc.sent_tokens)) == len(svc.sent_tokens)
    assert svc.state_calls == []


def test_b23_empty_checkpoint_answered_without_a_token_is_a_retryable_error():
    from lambda_durable.state import ExecutionState, ServiceChannel

    svc = _NoTokenService(lambda updates: updates == [])
    state = ExecutionState(ARN, svc.token, {}, ServiceChannel(svc))
    with pytest.raises(CheckpointError) as info:
        state.refresh()
    assert info.value.is_retryable()
    assert "CheckpointToken" in str(info.value)
    assert svc.state_calls == []


# =================================================================================================
# B25 - terminal TIMED_OUT / STOPPED callbacks and invokes raise instead of suspending again
# =================================================================================================


def _timestamp_of(result, event_type: str) -> datetime.datetime:
    [event] = [e for e in result.history if e["EventType"] == event_type]
    return event["EventTimestamp"]


def test_b25a_wait_for_callback_timeout_raises_a_catchable_timeout_after_about_one_second():
    @durable_execution
    def handler(event, context: DurableContext):
        try:
            context.wait_for_callback(
                lambda callback_id, ctx: None,
                name="approval",
                config=WaitForCallbackConfig(timeout=Duration.from_seconds(1),
                                             heartbeat_timeout=Duration.from_seconds(2)),
            )
        except CallbackTimeoutError as error:
            return {"success": False, "error": error.message}
        return {"success": True}

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    out = json.loads(result.result)
    assert out == {"success": False, "error": "Callback timed out"}
    elapsed = _timestamp_of(result, "CallbackTimedOut") - _timestamp_of(result, "CallbackStarted")
    assert datetime.timedelta(seconds=1) <= elapsed < datetime.timedelta(seconds=2)
    # the invocation after the timeout ended the execution (it did not report PENDING again)
    types = event_types(result)
    assert types[types.index("CallbackTimedOut"):] == [
        "CallbackTimedOut", "ContextFailed", "InvocationCompleted", "ExecutionSucceeded"]
    assert types.count("InvocationCompleted") == 2


def test_b25b_heartbeat_timeout_counts_from_the_last_heartbeat():
    @durable_execution
    def handler(event, context: DurableContext):
        callback = context.create_callback(name="cb", config=CallbackConfig(heartbeat_timeout=Duration.from_seconds(2)))
        try:
            return callback.result()
        except CallbackTimeoutError as error:
            return {"error_type": error.error_type, "callback_id": error.callback_id,
                    "is_callback_id": error.callback_id == callback.callback_id}

    with DurableFunctionTestRunner(handler) as runner:
        arn = runner.run_async()
        callback_id = runner.wait_for_callback(arn, name="cb", timeout=10)
        runner.advance_time(1)
        runner.send_callback_heartbeat(callback_id)  # then the external side goes silent
        runner.advance_time(1.5)
        assert runner.get_result(arn).status is InvocationStatus.PENDING  # still alive at +2.5 s
        runner.advance_time(0.6)
        result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    out = json.loads(result.result)
    assert out == {"error_type": "Callback.Heartbeat", "callback_id": callback_id, "is_callback_id": True}
    elapsed = _timestamp_of(result, "CallbackTimedOut") - _timestamp_of(result, "CallbackStarted")
    assert datetime.timedelta(seconds=3) <= elapsed < datetime.timedelta(seconds=3.4)  # 1 s + 2 s


def test_b25_failed_callback_raises_an_external_error_carrying_the_callback_id():
    seen = []

    @durable_execution
    def handler(event, context: DurableContext):
        callback = context.create_callback(name="cb")
        try:
            callback.result()
        except CallbackExternalError as error:
            seen.append((error.callback_id, callback.callback_id, error.error_type, error.message))
        context.wait(Duration.from_seconds(1), name="w")
        return "handled"

    with DurableFunctionTestRunner(handler) as runner:
        arn = runner.run_async()
        callback_id = runner.wait_for_callback(arn, name="cb", timeout=10)
        runner.send_callback_failure(callback_id, {"ErrorType": "RejectedError", "ErrorMessage": "not approved"})
        result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert len(seen) == 2 and seen[0] == seen[1]  # first run and replay
    assert seen[0] == (callback_id, callback_id, "RejectedError", "not approved")


@pytest.mark.parametrize("status", ["TIMED_OUT", "STOPPED"])
def test_b25c_terminal_invoke_raises_an_invoke_error_not_pending(status):
    svc = FakeService()
    svc.event(extra_ops=[{
        "Id": op_id(None, 1), "Type": "CHAINED_INVOKE", "SubType": "ChainedInvoke", "Name": "call",
        "Status": status, "StartTimestamp": START_MS,
        "ChainedInvokeDetails": {"Error": {"ErrorType": f"Execution.{status.title()}", "ErrorMessage": status}},
    }])
    seen = []

    @durable_execution(client=svc)
    def handler(event, context: DurableContext):
        try:
            context.invoke("other", {}, name="call")
        except InvokeError as error:
            seen.append((error.error_type, error.message))
            return "handled"
        return "not raised"

    out = handler(svc.event({}), None)
    assert out == {"Status": "SUCCEEDED", "Result": '"handled"'}
    assert seen == [(f"Execution.{status.title()}", status)]


def test_b25c_stopped_child_execution_on_the_local_service():
    waiting = threading.Event()

    @durable_execution
    def child(event, context: DurableContext):
        callback = context.create_callback(name="never")
        waiting.set()
        return callback.result()  # waits until stopped

    @durable_execution
    def parent(event, context: DurableContext):
        try:
            context.invoke("child", {}, name="call")
        except InvokeError as error:
            return error.error_type
        return "not raised"

    with DurableFunctionTestRunner(parent) as runner:
        runner.register_durable_function("child", child)
        arn = runner.run_async()
        assert waiting.wait(10)  # the child waits on its callback, its parent on the child
        [child_arn] = [e["ChainedInvokeStartedDetails"]["DurableExecutionArn"]
                       for e in runner.get_execution_history(arn).events if e["EventType"] == "ChainedInvokeStarted"]
        runner.service.stop_execution(child_arn, {"ErrorType": "Stopped.ByTest", "ErrorMessage": "stopped"})
        result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"Stopped.ByTest"'
    assert "ChainedInvokeStopped" in event_types(result)


# =================================================================================================
# B26 - a failing wait_for_callback submitter raises instead of hanging
# =================================================================================================


def _retry_below(limit: int):
    return lambda error, attempts_made: (
        RetryDecision.retry(Duration.from_seconds(1)) if attempts_made < limit else RetryDecision.no_retry()
    )


def test_b26_submitter_failure_runs_its_retries_then_raises_a_submitter_error():
    attempts = []

    @durable_execution
    def handler(event, context: DurableContext):
        def submitter(callback_id, ctx):
            attempts.append(callback_id)
            time.sleep(0.01)
            raise RuntimeError("Submitter failed")

        try:
            context.wait_for_callback(submitter, name="failing-submitter",
                                      config=WaitForCallbackConfig(retry_strategy=_retry_below(3)))
        except CallbackSubmitterError as error:
            return {"success": False, "error": error.message}
        return {"success": True}

    started = time.monotonic()
    result = run(handler, execution_timeout=30)
    assert time.monotonic() - started < 10  # promptly, not at the execution timeout
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == {"success": False, "error": "Submitter failed"}
    assert len(attempts) == 3 and len(set(attempts)) == 1  # three attempts, one callback
    assert event_types(result).count("CallbackStarted") == 1


def test_b26_submitter_failing_once_then_succeeding_returns_the_callback_result():
    attempts = []

    @durable_execution
    def handler(event, context: DurableContext):
        def submitter(callback_id, ctx):
            attempts.append(callback_id)
            if len(attempts) == 1:
                raise RuntimeError("Submitter failed")

        return json.loads(context.wait_for_callback(submitter, name="flaky",
                                                    config=WaitForCallbackConfig(retry_strategy=_retry_below(3))))

    with DurableFunctionTestRunner(handler) as runner:
        runner.answer_callback("flaky", '{"data": "x"}')
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == {"data": "x"}
    assert len(attempts) == 2


# =================================================================================================
# B27 - code between create_callback and result() re-runs on replay (documented semantics)
# =================================================================================================


def test_b27_unwrapped_side_effects_run_per_invocation_step_wrapped_ones_once():
    sent = []
    callback_ids = []

    @durable_execution
    def handler(event, context: DurableContext):
        callback = context.create_callback(name="approval")
        callback_ids.append(callback.callback_id)
        sent.append("sent")  # not in a step: runs on every invocation
        context.step(lambda _: sent.append("sent-in-step"), name="notify")
        return callback.result()

    with DurableFunctionTestRunner(handler) as runner:
        arn = runner.run_async()
        callback_id = runner.wait_for_callback(arn, name="approval", timeout=10)
        runner.send_callback_success(callback_id, "approved")
        result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == '"approved"'
    assert callback_ids == [callback_id, callback_id]  # stable across replays
    assert sent.count("sent-in-step") == 1
    assert sent.count("sent") == 2
    assert event_types(result).count("CallbackStarted") == 1  # never a second callback


# =================================================================================================
# B29 - errors identical on the first run and on replay
# =================================================================================================


class CustomBusinessError(Exception):
    def __init__(self, message, error_code):
        super().__init__(message)
        self.error_code = error_code


def test_b29_errors_are_identical_on_first_run_and_replay():
    records = []

    def describe(error):
        return (type(error).__name__, error.message, error.error_type, error.data, error.stack_trace,
                type(error.__cause__).__name__ if error.__cause__ else None,
                getattr(error, "error_code", "<not kept>"))

    def raise_(error):
        def body(*args):
            raise error

        return body

    @durable_execution
    def handler(event, context: DurableContext):
        observed = []
        try:
            context.step(raise_(CustomBusinessError("Business validation failed", "VALIDATION_ERROR")),
                         name="validate", config=NO_RETRY)
        except StepError as error:
            observed.append(describe(error))
        try:
            context.run_in_child_context(raise_(ValueError("child failed")), name="child")
        except ChildContextError as error:
            observed.append(describe(error))
        batch = context.map([1], raise_(KeyError("item")), name="m")
        item_error = batch.all[0].error
        observed.append((type(item_error).__name__, item_error.message, item_error.type))
        try:
            batch.throw_if_error()
        except ChildContextError as error:
            observed.append(describe(error))
        records.append(observed)
        context.wait(Duration.from_seconds(1), name="w")
        return "done"

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    first, replayed = records
    assert first == replayed
    qualified = f"{CustomBusinessError.__module__}.CustomBusinessError"
    assert first[0][:3] == ("StepError", "Business validation failed", qualified)
    assert first[0][-1] == "<not kept>"  # custom attributes are not kept (documented), in both runs
    assert first[1][:3] == ("ChildContextError", "child failed", "ValueError")
    assert first[2] == ("ErrorObject", "'item'", "KeyError")
    assert first[3][:3] == ("ChildContextError", "'item'", "KeyError")
