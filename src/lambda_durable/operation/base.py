"""What every operation does before acting on its stored record: look it up, check it is the same
operation the code issues now (protocol.md 4.5), and the shared helpers for errors and
suspension."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, NoReturn

from .._wire import bounded_error, error_dict_from_exception, to_epoch_seconds
from ..concurrency._scope import orphaned
from ..exceptions import (
    OFFICIAL_EXCEPTIONS_MODULE,
    DurableOperationError,
    NonDeterministicExecutionError,
    SerDesError,
    SuspendExecution,
    TimedSuspendExecution,
    operation_error_class,
)
from ..limits import CHECKPOINT_SIZE_LIMIT_BYTES, utf8_len

if TYPE_CHECKING:  # pragma: no cover
    from ..context import DurableContext

_SERDES_ERROR_TYPES = frozenset(
    {
        f"{OFFICIAL_EXCEPTIONS_MODULE}.SerDesError",
        "lambda_durable.exceptions.SerDesError",
        "SerDesError",
    }
)


def check_identity(
    record: dict,
    operation_id: str,
    op_type: str,
    sub_type: str | None,
    name: str | None,
    parent_id: str | None,
) -> None:
    """Raise :class:`NonDeterministicExecutionError` when the stored record at ``operation_id``
    differs in Type, SubType, Name or ParentId from the operation the code issues now (``None``
    and ``""`` are equal). Rule: replay must issue the same operations in the same order."""
    stored = (
        record.get("Type"),
        record.get("SubType") or "",
        record.get("Name") or "",
        record.get("ParentId") or "",
    )
    current = (op_type, sub_type or "", name or "", parent_id or "")
    if stored != current:
        fields = ("type", "sub-type", "name", "parent id")
        diffs = ", ".join(
            f"{field} {s!r} (checkpoint) vs {c!r} (code)"
            for field, s, c in zip(fields, stored, current)
            if s != c
        )
        raise NonDeterministicExecutionError(
            f"Non-deterministic execution at operation {operation_id}: the checkpoint holds "
            f"{stored[0]}/{stored[1] or '-'} {stored[2]!r} but the code now issues "
            f"{current[0]}/{current[1] or '-'} {current[2]!r} ({diffs}). Replays must issue the "
            "same operations in the same order.",
            step_id=operation_id,
        )


def operation_error(
    error_cls: type[DurableOperationError], error: dict | None, default_message: str | None = None
) -> BaseException:
    """Rebuild the error an operation raises from its stored ErrorObject (same on the first run
    and on replay): ``error_cls`` with the stored fields, ``__cause__`` rebuilt when the stored
    ErrorType names one of the SDK's operation errors; a stored SerDesError stays a SerDesError."""
    error = error or {}
    error_type = error.get("ErrorType")
    message = error.get("ErrorMessage") or default_message
    data = error.get("ErrorData")
    stack = error.get("StackTrace")
    if error_type in _SERDES_ERROR_TYPES:
        return SerDesError(message, error_type, data, stack)
    exc = error_cls(message, error_type, data, stack)
    cause_cls = operation_error_class(error_type)
    if cause_cls is not None:
        exc.__cause__ = DurableOperationError.from_error_fields(error_type, message, data, stack)
    return exc


#: A payload of at most this many characters cannot exceed the STEP payload limit (a character
#: is at most 4 UTF-8 bytes): callers skip :func:`check_step_payload` for it.
SMALL_PAYLOAD_CHARS = CHECKPOINT_SIZE_LIMIT_BYTES // 4


def check_step_payload(payload: str | None) -> None:
    """Raise :class:`SerDesError` when ``payload``, the serialized value a STEP operation (a
    step, a wait_for_condition) is about to checkpoint, is over
    :data:`~lambda_durable.limits.CHECKPOINT_SIZE_LIMIT_BYTES` (262,144) UTF-8 bytes: the service
    rejects it (B04), so the operation fails at once instead (callers name the operation with
    :func:`labelled`). Costs nothing for payloads of at most 65,536 characters (a character is
    at most 4 UTF-8 bytes)."""
    if payload is None or len(payload) <= SMALL_PAYLOAD_CHARS:
        return
    size = utf8_len(payload)
    if size > CHECKPOINT_SIZE_LIMIT_BYTES:
        raise SerDesError(
            f"the serialized value is {size} bytes (UTF-8); a STEP payload may be at most "
            f"{CHECKPOINT_SIZE_LIMIT_BYTES} bytes. Return a smaller value, or store the data "
            "elsewhere and return a reference to it."
        )


def labelled(error: BaseException, kind: str, name: str | None, operation_id: str) -> BaseException:
    """``error``, when it is a :class:`SerDesError`, as a SerDesError whose message starts with
    the operation it belongs to (``step 'charge' (operation <id>): ...``), so a value the serdes
    cannot encode or decode is reported with the operation's name; other errors unchanged. The
    original error is the new one's ``__cause__``."""
    if not isinstance(error, SerDesError):
        return error
    label = f"{kind} {name!r}" if name else kind
    label = f"{label} (operation {operation_id})"
    if (error.message or "").startswith(label):
        return error
    out = SerDesError(f"{label}: {error.message}", error.error_type, error.data, error.stack_trace)
    out.__cause__ = error
    return out


def stop_if_out_of_time(ctx: DurableContext, kind: str, name: str | None, operation_id: str) -> None:
    """Before new work (a step attempt, a wait_for_condition check): raise
    :class:`SuspendExecution` when the invocation is about to time out and already started new
    work (see :class:`~lambda_durable.state.InvocationDeadline`); nothing when there is no
    guard."""
    state = ctx.state
    deadline = state.deadline
    if deadline is not None:
        if deadline.progressed and deadline.expired():
            deadline.stop(getattr(state, "_state", state), f"{kind} {name or operation_id}")
        deadline.progressed = True


def suspend_until(timestamp: Any, what: str) -> NoReturn:
    """End the invocation (PENDING) until the wire ``timestamp``; untimed when it is missing."""
    seconds = to_epoch_seconds(timestamp)
    if seconds is None:
        raise SuspendExecution(f"{what}: waiting")
    raise TimedSuspendExecution(f"{what}: waiting until {seconds:.3f}", seconds)


def suspend_for_retry(ctx: DurableContext, operation_id: str, delay: int, what: str) -> NoReturn:
    """After a STEP's RETRY checkpoint was acknowledged: suspend until the stored
    ``NextAttemptTimestamp``, or ``delay`` seconds from now when the record does not carry one."""
    record = ctx.state.get(operation_id) or {}
    resume = (record.get("StepDetails") or {}).get("NextAttemptTimestamp")
    suspend_until(resume if resume is not None else time.time() + delay, what)


def suspend(what: str) -> NoReturn:
    """End the invocation (PENDING) until the service re-invokes it (untimed)."""
    raise SuspendExecution(f"{what}: waiting for an external completion")


def update(
    ctx: DurableContext,
    operation_id: str,
    op_type: str,
    action: str,
    sub_type: str | None,
    name: str | None,
    **fields: Any,
) -> dict:
    """Build an OperationUpdate wire dict (``ParentId``, ``Name``, ``SubType`` only when set).

    Raises :class:`OrphanedChildException` when the operation belongs to a map/parallel branch
    its batch has abandoned (no checkpoint may follow its ancestor's terminal one)."""
    scope = ctx._scope
    if scope is not None and scope.is_closed():
        raise orphaned(operation_id)
    out: dict[str, Any] = {"Id": operation_id, "Type": op_type, "Action": action}
    parent = ctx._parent_id
    if parent:
        out["ParentId"] = parent
    if name:
        out["Name"] = name
    if sub_type:
        out["SubType"] = sub_type
    if fields:
        out.update(fields)
    if action == "START":
        plugins = ctx.state.plugins
        if plugins is not None:
            plugins._start(out, ctx.state.operations.get(operation_id))
    return out


def checkpoint_fail(
    ctx: DurableContext,
    operation_id: str,
    op_type: str,
    sub_type: str | None,
    name: str | None,
    error: BaseException,
) -> dict:
    """Checkpoint (blocking) the operation's FAIL with ``error`` as its ErrorObject (cut to fit
    the service's Error limit, :func:`~lambda_durable._wire.bounded_error`), then
    :func:`report_end`; returns the ErrorObject wire dict as checkpointed."""
    err = bounded_error(error_dict_from_exception(error))
    ctx.state.checkpoint(update(ctx, operation_id, op_type, "FAIL", sub_type, name, Error=err))
    report_end(ctx, operation_id)
    return err


def report_end(ctx: DurableContext, operation_id: str) -> None:
    """This thread's terminal checkpoint of ``operation_id`` was acknowledged: with plugins, its
    ``on_operation_end`` runs now, before the operation returns to user code."""
    plugins = ctx.state.plugins
    if plugins is not None:
        plugins._ended_here(operation_id)
