"""``context.wait_for_condition``: poll ``check(state, ctx)`` under a wait strategy.

Stored as a STEP with SubType ``WaitForCondition`` whose RETRY payload carries the state between
polls (protocol.md 5.5). A stored state that fails to deserialize fails the operation; it never
restarts from ``initial_state`` (B12).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..exceptions import (
    ExecutionError,
    InvocationError,
    ValidationError,
    WaitForConditionError,
)
from ..limits import MAX_DURATION_SECONDS, MIN_DURATION_SECONDS
from ..serdes import deserialize, serialize
from ..types import WaitForConditionCheckContext
from .base import (
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
    from ..waits import WaitForConditionConfig

STEP = "STEP"
SUB_TYPE = "WaitForCondition"


def run_wait_for_condition(
    ctx: DurableContext,
    operation_id: str,
    check: Callable[[Any, WaitForConditionCheckContext], Any],
    config: WaitForConditionConfig,
    name: str | None,
) -> Any:
    state = ctx.state
    arn = state.durable_execution_arn
    serdes = config.serdes
    record = state.get(operation_id)
    status = None
    details: dict = {}
    if record is not None:
        check_identity(record, operation_id, STEP, SUB_TYPE, name, ctx._parent_id)
        status = record["Status"]
        details = record.get("StepDetails") or {}
        if status == "SUCCEEDED":
            payload = details.get("Result")
            return None if payload is None else deserialize(serdes, payload, operation_id, arn)
        if status == "FAILED":
            raise operation_error(WaitForConditionError, details.get("Error"), "wait_for_condition failed")
        if status == "PENDING":
            suspend_until(details.get("NextAttemptTimestamp"), f"wait_for_condition {name or operation_id}")
    attempt = (details.get("Attempt") or 0) + 1

    def fail(error: BaseException) -> BaseException:
        error = labelled(error, "wait_for_condition", name, operation_id)
        err = checkpoint_fail(ctx, operation_id, STEP, SUB_TYPE, name, error)
        return operation_error(WaitForConditionError, err, "wait_for_condition failed")

    if state.deadline is not None:  # the invocation's termination guard
        stop_if_out_of_time(ctx, "wait_for_condition", name, operation_id)
    if status != "STARTED":
        state.enqueue(update(ctx, operation_id, STEP, "START", SUB_TYPE, name))
    stored = details.get("Result")
    try:
        # a stored state is any payload, "" included (a serdes may write a state as ""); only a
        # missing one means the first check (B12: never restart from initial_state)
        if status in ("STARTED", "READY") and stored is not None:
            current = deserialize(serdes, stored, operation_id, arn)
        else:
            current = deserialize(serdes, serialize(serdes, config.initial_state, operation_id, arn), operation_id, arn)
    except (ExecutionError, InvocationError):
        raise
    except Exception as error:  # noqa: BLE001 - a state that cannot be read fails the operation
        raise fail(error)

    check_context = WaitForConditionCheckContext(
        logger=ctx._operation_logger(operation_id, name, attempt), attempt=attempt
    )
    plugins = state.plugins
    try:
        if plugins is None:
            new_state = check(current, check_context)
        else:
            new_state = plugins._call_user(
                check, (current, check_context), operation_id, STEP, SUB_TYPE, name,
                ctx._parent_id, attempt,
            )
        payload = serialize(serdes, new_state, operation_id, arn)
        check_step_payload(payload)
        round_tripped = None if payload is None else deserialize(serdes, payload, operation_id, arn)
        decision = config.wait_strategy(round_tripped, attempt)
    except ExecutionError:
        raise
    except InvocationError as error:
        if error.is_retryable():
            raise
        raise fail(error)
    except Exception as error:  # noqa: BLE001 - user check or strategy gave up
        raise fail(error)

    if not decision.should_continue:
        succeed = update(ctx, operation_id, STEP, "SUCCEED", SUB_TYPE, name)
        if payload is not None:
            succeed["Payload"] = payload
        state.checkpoint(succeed)
        report_end(ctx, operation_id)
        return None if payload is None else deserialize(serdes, payload, operation_id, arn)
    delay = max(1, int(decision.delay_seconds))
    if delay > MAX_DURATION_SECONDS:
        # a strategy bug the service would refuse: fail the operation, naming the rule
        raise fail(
            ValidationError(
                f"wait_for_condition {name or operation_id!r}: the wait strategy asked for a "
                f"{delay} s delay; delays must be between {MIN_DURATION_SECONDS} and "
                f"{MAX_DURATION_SECONDS} seconds"
            )
        )
    retry = update(
        ctx, operation_id, STEP, "RETRY", SUB_TYPE, name,
        StepOptions={"NextAttemptDelaySeconds": delay},
    )
    if payload is not None:
        retry["Payload"] = payload
    state.checkpoint(retry)
    suspend_for_retry(ctx, operation_id, delay, f"wait_for_condition {name or operation_id}")
