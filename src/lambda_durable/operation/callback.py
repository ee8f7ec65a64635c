"""``context.create_callback`` and :class:`Callback`: wait for an external system.

``create_callback`` checkpoints CALLBACK START (blocking; the service mints the ``CallbackId``)
and never raises for a failed callback: outcomes surface in :meth:`Callback.result`, which
suspends while the callback is STARTED, returns the deserialized result (the raw string by
default, protocol.md 5.6) when SUCCEEDED, and raises :class:`CallbackTimeoutError` (TIMED_OUT) or
:class:`CallbackExternalError` (FAILED and other terminal statuses).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from ..exceptions import (
    CallbackError,
    CallbackExternalError,
    CallbackTimeoutError,
    InvalidStateError,
)
from ..serdes import PassThroughSerDes, deserialize
from .base import check_identity, operation_error, suspend, update

if TYPE_CHECKING:  # pragma: no cover
    from ..config import CallbackConfig
    from ..context import DurableContext
    from ..serdes import SerDes
    from ..state import ExecutionState

T = TypeVar("T")
CALLBACK = "CALLBACK"
_PASS_THROUGH = PassThroughSerDes()


class Callback(Generic[T]):
    """A created callback: ``callback_id`` is what the external system answers with
    (SendDurableExecutionCallbackSuccess/Failure/Heartbeat)."""

    def __init__(
        self,
        callback_id: str,
        operation_id: str,
        state: ExecutionState,
        serdes: SerDes[T] | None = None,
    ) -> None:
        self.callback_id = callback_id
        self.operation_id = operation_id
        self.state = state
        self.serdes = serdes

    def result(self) -> T | None:
        """The callback's result; suspends the invocation until it completes.

        Raises :class:`CallbackTimeoutError` (timed out or heartbeat missed),
        :class:`CallbackExternalError` (failed), both with ``callback_id`` set;
        :class:`CallbackError` (no such operation)."""
        record = self.state.get(self.operation_id)
        if record is None:
            raise CallbackError(f"Callback {self.operation_id} does not exist")
        status = record["Status"]
        details = record.get("CallbackDetails") or {}
        if status == "STARTED":
            suspend(f"callback {record.get('Name') or self.operation_id}")
        if status == "SUCCEEDED":
            payload = details.get("Result")
            if payload is None:
                return None
            return deserialize(
                self.serdes or _PASS_THROUGH,
                payload,
                self.operation_id,
                self.state.durable_execution_arn,
            )
        if status == "TIMED_OUT":
            error = operation_error(CallbackTimeoutError, details.get("Error"), "Callback timed out")
        else:
            error = operation_error(CallbackExternalError, details.get("Error"), "Callback failed")
        if isinstance(error, CallbackError):
            error.callback_id = self.callback_id
        raise error


def create_callback(
    ctx: DurableContext, operation_id: str, name: str | None, config: CallbackConfig | None
) -> Callback:
    sub_type = (config.sub_type if config else None) or "Callback"
    state = ctx.state
    record = state.get(operation_id)
    if record is None:
        options = {
            "TimeoutSeconds": config.timeout_seconds if config else 0,
            "HeartbeatTimeoutSeconds": config.heartbeat_timeout_seconds if config else 0,
        }
        state.checkpoint(
            update(ctx, operation_id, CALLBACK, "START", sub_type, name, CallbackOptions=options)
        )
        record = state.get(operation_id)
        if record is None:
            raise InvalidStateError(
                f"create_callback {name or operation_id}: the service did not return the callback"
            )
    else:
        check_identity(record, operation_id, CALLBACK, sub_type, name, ctx._parent_id)
    callback_id = (record.get("CallbackDetails") or {}).get("CallbackId")
    if not callback_id:
        raise InvalidStateError(
            f"create_callback {name or operation_id}: the checkpoint has no CallbackId"
        )
    return Callback(callback_id, operation_id, state, config.serdes if config else None)

