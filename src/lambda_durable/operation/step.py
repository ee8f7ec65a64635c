"""``context.step``: run a function once (per retry semantics), checkpoint its result or error.

Behaviour per stored status (protocol.md 5.2/5.3): absent -> START and attempt 1; READY -> START
and the next attempt; STARTED -> AT_LEAST_ONCE reruns the attempt without a new START, AT_MOST_ONCE
hands :class:`StepInterruptedError` to the retry strategy and never reruns the interrupted body;
PENDING -> suspend until ``NextAttemptTimestamp``; SUCCEEDED -> the stored result, body not run;
FAILED -> :class:`StepError` rebuilt from the stored error.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .._wire import bounded_error, error_dict_from_exception
from ..config import StepConfig, StepSemantics
from ..exceptions import (
    ExecutionError,
    InvocationError,
    RetryableSerDesError,
    SerDesError,
    StepError,
    StepInterruptedError,
    ValidationError,
)
from ..limits import MAX_DURATION_SECONDS, MIN_DURATION_SECONDS
from ..serdes import deserialize, serialize
from ..types import StepContext
from .base import (
    SMALL_PAYLOAD_CHARS,
    check_identity,
    check_step_payload,
    checkpoint_fail,
    labelled,
    operation_error,
    report_end,
    stop_if_out_of_time,
    suspend_for_retry,
    suspend_until,
    update,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..context import DurableContext

STEP = "STEP"


def run_step(
    ctx: DurableContext,
    operation_id: str,
    func: Callable[[StepContext], Any],
    name: str | None,
    config: StepConfig | None,
) -> Any:
    config = config or _DEFAULT_CONFIG
    sub_type = config.sub_type or "Step"
    state = ctx.state
    arn = state.durable_execution_arn
    record = state.get(operation_id)
    status = None
    attempt_done = 0
    if record is not None:
        check_identity(record, operation_id, STEP, sub_type, name, ctx._parent_id)
        status = record["Status"]
        details = record.get("StepDetails") or {}
        if status == "SUCCEEDED":
            payload = details.get("Result")
            return None if payload is None else deserialize(config.serdes, payload, operation_id, arn)
        if status == "FAILED":
            raise operation_error(StepError, details.get("Error"), "Step failed")
        if status == "PENDING":
            suspend_until(details.get("NextAttemptTimestamp"), f"step {name or operation_id} retry")
        attempt_done = details.get("Attempt") or 0
    attempt = attempt_done + 1
    at_most_once = config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY

    if status == "STARTED" and at_most_once:
        # the previous attempt was interrupted after its START: never rerun its body
        interrupted = StepInterruptedError(
            f"Step {name or operation_id} was interrupted during attempt {attempt} "
            "(AT_MOST_ONCE_PER_RETRY: the attempt is not re-run)",
            step_id=operation_id,
        )
        return _handle_failure(ctx, operation_id, name, sub_type, config, interrupted, attempt)

    if state.deadline is not None:  # the invocation's termination guard (Lambda context given)
        stop_if_out_of_time(ctx, "step", name, operation_id)
    if status is None or status == "READY":
        start = update(ctx, operation_id, STEP, "START", sub_type, name)
        if at_most_once:
            state.checkpoint(start)
        else:
            state.enqueue(start)

    step_context = StepContext(
        logger=ctx._operation_logger(operation_id, name, attempt), attempt=attempt
    )
    plugins = state.plugins
    try:
        if plugins is None:
            result = func(step_context)
        else:
            result = plugins._call_user(
                func, (step_context,), operation_id, STEP, sub_type, name, ctx._parent_id, attempt
            )
    except (ExecutionError, RetryableSerDesError):
        raise
    except InvocationError as error:
        if error.is_retryable():
            raise
        return _handle_failure(ctx, operation_id, name, sub_type, config, error, attempt)
    except Exception as error:  # noqa: BLE001 - user code: every failure goes to the strategy
        return _handle_failure(ctx, operation_id, name, sub_type, config, error, attempt)

    try:
        payload = serialize(config.serdes, result, operation_id, arn)
        if payload is not None and len(payload) > SMALL_PAYLOAD_CHARS:
            check_step_payload(payload)
        value = None if payload is None else deserialize(config.serdes, payload, operation_id, arn)
    except RetryableSerDesError:
        raise
    except SerDesError as error:
        named = labelled(error, "step", name, operation_id)
        _fail(ctx, operation_id, name, sub_type, named)
        raise named  # noqa: B904 - its __cause__ is the original error
    succeed = update(ctx, operation_id, STEP, "SUCCEED", sub_type, name)
    if payload is not None:
        succeed["Payload"] = payload
    state.checkpoint(succeed)
    report_end(ctx, operation_id)
    return value


def _fail(ctx, operation_id, name, sub_type, error: BaseException) -> dict:
    return checkpoint_fail(ctx, operation_id, STEP, sub_type, name, error)


def _handle_failure(ctx, operation_id, name, sub_type, config, error, attempt) -> Any:
    if isinstance(error, SerDesError):
        _fail(ctx, operation_id, name, sub_type, error)
        raise error
    strategy = config.retry_strategy
    if strategy is None:
        from ..retries import RetryPresets

        strategy = RetryPresets.default()
    decision = strategy(error, attempt)
    if decision.should_retry:
        delay = max(1, int(decision.delay_seconds))
        if delay > MAX_DURATION_SECONDS:
            # a strategy bug the service would refuse: fail the step, naming the rule
            invalid = ValidationError(
                f"step {name or operation_id!r}: the retry strategy asked for a {delay} s delay; "
                f"retry delays must be between {MIN_DURATION_SECONDS} and {MAX_DURATION_SECONDS} "
                "seconds"
            )
            err = _fail(ctx, operation_id, name, sub_type, invalid)
            raise operation_error(StepError, err, "Step failed")
        ctx.state.checkpoint(
            update(
                ctx,
                operation_id,
                STEP,
                "RETRY",
                sub_type,
                name,
                Error=bounded_error(error_dict_from_exception(error)),
                StepOptions={"NextAttemptDelaySeconds": delay},
            )
        )
        suspend_for_retry(ctx, operation_id, delay, f"step {name or operation_id} retry")
    err = _fail(ctx, operation_id, name, sub_type, error)
    raise operation_error(StepError, err, "Step failed")


_DEFAULT_CONFIG = StepConfig()
