"""``context.run_in_child_context`` and the child-context machinery map, parallel and
wait_for_callback are built on (protocol.md 5.8).

A child context is a CONTEXT operation whose inner operations take IDs prefixed by its own ID.
Absent -> START (non-blocking) and run the body; STARTED -> run the body again (inner operations
replay from their records); SUCCEEDED -> the stored result, body not run, unless the result was
too large to store (``ReplayChildren``), in which case the body reruns and nothing is
checkpointed; FAILED -> the operation's error rebuilt from the stored ErrorObject. The body's
result is serialized and round-tripped, so the first run returns exactly what replay returns.
Results over 262,144 UTF-8 bytes are stored as the summary (or ``""``) with ``ReplayChildren``.
A virtual context (``is_virtual``) writes no checkpoint of its own.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .._wire import error_dict_from_exception
from ..exceptions import (
    ChildContextError,
    DurableOperationError,
    ExecutionError,
    InvocationError,
    RetryableSerDesError,
)
from ..limits import CHECKPOINT_SIZE_LIMIT_BYTES, utf8_len
from ..serdes import deserialize, serialize
from .base import check_identity, checkpoint_fail, labelled, operation_error, report_end, update

if TYPE_CHECKING:  # pragma: no cover
    from ..context import DurableContext
    from ..serdes import SerDes

CONTEXT = "CONTEXT"
#: how errors name a context of each sub-type (others: the sub-type itself)
_KINDS = {
    "RunInChildContext": "child context",
    "MapIteration": "map item",
    "ParallelBranch": "parallel branch",
    "WaitForCallback": "wait_for_callback",
}


def run_child(
    ctx: DurableContext,
    operation_id: str,
    func: Callable[[DurableContext], Any],
    name: str | None,
    sub_type: str,
    *,
    serdes: SerDes | None = None,
    summary_generator: Callable[[Any], str] | None = None,
    is_virtual: bool = False,
    error_cls: type[DurableOperationError] = ChildContextError,
) -> Any:
    """Run ``func(child_context)`` as the child context ``operation_id`` of ``ctx``."""
    state = ctx.state
    arn = state.durable_execution_arn
    record = None if is_virtual else state.get(operation_id)
    replay_children = False
    if record is not None:
        check_identity(record, operation_id, CONTEXT, sub_type, name, ctx._parent_id)
        status = record["Status"]
        details = record.get("ContextDetails") or {}
        replay_children = bool(details.get("ReplayChildren"))
        if status == "SUCCEEDED" and not replay_children:
            payload = details.get("Result")
            return None if payload is None else deserialize(serdes, payload, operation_id, arn)
        if status == "FAILED":
            raise operation_error(error_cls, details.get("Error"), "Child context failed")
    elif is_virtual:
        if state.get(operation_id) is not None:
            from ..exceptions import NonDeterministicExecutionError

            raise NonDeterministicExecutionError(
                f"Non-deterministic execution at operation {operation_id}: the checkpoint holds a "
                "context operation but the code now runs a virtual (FLAT) context there",
                step_id=operation_id,
            )
    else:
        state.enqueue(update(ctx, operation_id, CONTEXT, "START", sub_type, name))

    # a virtual context has no record of its own: it replays while its caller does
    child = ctx._child_context(
        operation_id, is_virtual=is_virtual, has_record=is_virtual or record is not None
    )
    plugins = state.plugins
    try:
        if plugins is None:
            result = func(child)
        else:
            result = plugins._call_user(
                func, (child,), operation_id, CONTEXT, sub_type, name, ctx._parent_id,
                None if record is not None else 1, replay_children,
            )
    except (ExecutionError, RetryableSerDesError):
        raise
    except InvocationError as error:
        if error.is_retryable():
            raise
        raise _fail(ctx, operation_id, name, sub_type, error, error_cls, is_virtual)
    except Exception as error:  # noqa: BLE001 - user code
        raise _fail(ctx, operation_id, name, sub_type, error, error_cls, is_virtual)

    try:
        payload = serialize(serdes, result, operation_id, arn)
        value = None if payload is None else deserialize(serdes, payload, operation_id, arn)
        if is_virtual or replay_children:
            if plugins is not None:
                plugins._context_ended(
                    operation_id, sub_type, name, ctx._parent_id, "SUCCEEDED",
                    is_replayed=record is not None,
                )
            return value
        stored_payload = payload
        large = payload is not None and utf8_len(payload) > CHECKPOINT_SIZE_LIMIT_BYTES
        if large:
            stored_payload = summary_generator(result) if summary_generator else ""
    except RetryableSerDesError:
        raise
    except Exception as error:  # noqa: BLE001 - serdes or summary generator: the context fails
        # (as in the official SDK), so a replay finds the FAIL record instead of re-deciding;
        # a replayed (ReplayChildren) context is already closed and writes nothing
        error = labelled(error, _KINDS.get(sub_type, sub_type), name, operation_id)
        raise _fail(ctx, operation_id, name, sub_type, error, error_cls, is_virtual or replay_children)
    succeed = update(
        ctx, operation_id, CONTEXT, "SUCCEED", sub_type, name,
        ContextOptions={"ReplayChildren": large},
    )
    if stored_payload is not None:
        succeed["Payload"] = stored_payload
    state.checkpoint(succeed)
    report_end(ctx, operation_id)
    return value


def _fail(ctx, operation_id, name, sub_type, error, error_cls, is_virtual) -> BaseException:
    if not is_virtual:
        err = checkpoint_fail(ctx, operation_id, CONTEXT, sub_type, name, error)
        return operation_error(error_cls, err, "Child context failed")
    err = error_dict_from_exception(error)
    if ctx.state.plugins is not None:
        ctx.state.plugins._context_ended(
            operation_id, sub_type, name, ctx._parent_id, "FAILED", err,
            is_replayed=ctx.state.operations.get(operation_id) is not None,
        )
    return operation_error(error_cls, err, "Child context failed")
