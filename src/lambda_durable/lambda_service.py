"""The durable execution service's wire model (botocore ``lambda`` shapes, API 2025-12-01).

The SDK's hot path works on the wire dictionaries themselves (``{"Id": ..., "Type": "STEP", ...}``)
exactly as boto3 sends and returns them; the dataclasses here are the official SDK 3.x's typed view
of the same shapes, for user code and tests that import them (``ErrorObject``, ``OperationStatus``,
``OperationType``, ``OperationSubType``, ...). Timestamps: the Lambda invocation event carries epoch
milliseconds, boto3 returns ``datetime`` objects; :class:`TimestampConverter` accepts both.
"""
from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, MutableMapping, Protocol

from ._wire import error_dict_from_exception, to_datetime, to_epoch_seconds  # noqa: F401 - re-exported
from ._wire import qualified_error_type as _qualified_error_type
from .exceptions import (
    OFFICIAL_EXCEPTIONS_MODULE,
    BotoClientError,
    CheckpointError,
    DurableOperationError,
    GetExecutionStateError,
    SerDesError,
)

if TYPE_CHECKING:  # pragma: no cover
    from .identifier import OperationIdentifier


class OperationType(Enum):
    EXECUTION = "EXECUTION"
    CONTEXT = "CONTEXT"
    STEP = "STEP"
    WAIT = "WAIT"
    CALLBACK = "CALLBACK"
    CHAINED_INVOKE = "CHAINED_INVOKE"


class OperationAction(Enum):
    START = "START"
    SUCCEED = "SUCCEED"
    FAIL = "FAIL"
    RETRY = "RETRY"
    CANCEL = "CANCEL"


class OperationStatus(Enum):
    """Status of an operation record. PENDING = retry timer running; READY = timer elapsed."""

    STARTED = "STARTED"
    PENDING = "PENDING"
    READY = "READY"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"


#: Statuses after which an operation never changes again.
TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED"})


class OperationSubType(StrEnum):
    """The SubType values the SDK writes (protocol.md 1.3)."""

    STEP = "Step"
    WAIT = "Wait"
    CALLBACK = "Callback"
    RUN_IN_CHILD_CONTEXT = "RunInChildContext"
    MAP = "Map"
    MAP_ITERATION = "MapIteration"
    PARALLEL = "Parallel"
    PARALLEL_BRANCH = "ParallelBranch"
    WAIT_FOR_CALLBACK = "WaitForCallback"
    WAIT_FOR_CONDITION = "WaitForCondition"
    CHAINED_INVOKE = "ChainedInvoke"


class CallbackTimeoutType(Enum):
    """The ``ErrorType`` of a timed-out callback's error."""

    TIMEOUT = "Callback.Timeout"
    HEARTBEAT = "Callback.Heartbeat"


class InvocationStatus(Enum):
    """``Status`` of the handler's output to the service."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    RETRY = "RETRY"


@dataclass(frozen=True)
class ErrorObject:
    """The wire ``ErrorObject`` (``ErrorMessage``, ``ErrorType``, ``ErrorData``, ``StackTrace``)."""

    message: str | None
    type: str | None
    data: str | None
    stack_trace: list[str] | None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> ErrorObject:
        return cls(
            message=data.get("ErrorMessage"),
            type=data.get("ErrorType"),
            data=data.get("ErrorData"),
            stack_trace=data.get("StackTrace"),
        )

    @classmethod
    def from_exception(cls, exception: BaseException) -> ErrorObject:
        """``ErrorType`` is the fully qualified class name (builtins bare); SDK errors keep their
        stored fields; every :class:`SerDesError` is written as the base SerDesError."""
        if isinstance(exception, SerDesError):
            return cls(
                exception.message,
                f"{OFFICIAL_EXCEPTIONS_MODULE}.SerDesError",
                exception.data,
                exception.stack_trace,
            )
        if isinstance(exception, DurableOperationError):
            return cls(
                exception.message,
                _qualified_error_type(exception),
                exception.data,
                exception.stack_trace,
            )
        return cls(str(exception), _qualified_error_type(exception), None, None)

    @classmethod
    def from_message(cls, message: str) -> ErrorObject:
        return cls(message, None, None, None)

    def to_dict(self) -> MutableMapping[str, Any]:
        out: dict[str, Any] = {}
        if self.message is not None:
            out["ErrorMessage"] = self.message
        if self.type is not None:
            out["ErrorType"] = self.type
        if self.data is not None:
            out["ErrorData"] = self.data
        if self.stack_trace is not None:
            out["StackTrace"] = self.stack_trace
        return out

    def to_durable_operation_error(self) -> DurableOperationError:
        return DurableOperationError.from_error_fields(
            self.type, self.message, self.data, self.stack_trace
        )

    def raise_as_operation_error(self, operation_error_cls: type[DurableOperationError]):
        """Raise ``operation_error_cls`` with these fields; ``__cause__`` is rebuilt when the
        ErrorType names one of the SDK's operation errors (same as on replay)."""
        from .operation.base import operation_error

        raise operation_error(operation_error_cls, dict(self.to_dict()))


class TimestampConverter:
    """Converts between aware UTC datetimes and the invocation event's epoch milliseconds."""

    @staticmethod
    def to_unix_millis(dt: datetime.datetime | None) -> int | None:
        return None if dt is None else int(dt.timestamp() * 1000)

    @staticmethod
    def from_unix_millis(ms: int | None) -> datetime.datetime | None:
        if ms is None:
            return None
        return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


class DurableServiceClient(Protocol):
    """The typed client interface of the official SDK (``checkpoint``, ``get_execution_state``)."""

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: list[OperationUpdate],
        client_token: str | None,
    ) -> CheckpointOutput: ...

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str,
        max_items: int = 1000,
    ) -> StateOutput: ...


def _error_or_none(raw: Any) -> ErrorObject | None:
    return ErrorObject.from_dict(raw) if raw else None


def _epoch_millis(value: Any) -> int | None:
    """A wire timestamp as integer epoch milliseconds (exact for aware datetimes)."""
    dt = to_datetime(value)
    if dt is None:
        return None
    return (dt - _EPOCH) // _ONE_MS


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_ONE_MS = datetime.timedelta(milliseconds=1)


# region operation details (read side: Operation records)


@dataclass(frozen=True)
class ExecutionDetails:
    """``ExecutionDetails`` of the EXECUTION operation: the handler's ``InputPayload``."""

    input_payload: str | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> ExecutionDetails:
        return cls(input_payload=data.get("InputPayload"))


@dataclass(frozen=True)
class ContextDetails:
    """``ContextDetails`` of a CONTEXT operation."""

    replay_children: bool = False
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> ContextDetails:
        return cls(
            replay_children=bool(data.get("ReplayChildren") or False),
            result=data.get("Result"),
            error=_error_or_none(data.get("Error")),
        )


@dataclass(frozen=True)
class StepDetails:
    """``StepDetails`` of a STEP operation; ``attempt`` counts finished attempts."""

    attempt: int = 0
    next_attempt_timestamp: datetime.datetime | None = None
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> StepDetails:
        return cls(
            attempt=data.get("Attempt") or 0,
            next_attempt_timestamp=to_datetime(data.get("NextAttemptTimestamp")),
            result=data.get("Result"),
            error=_error_or_none(data.get("Error")),
        )


@dataclass(frozen=True)
class WaitDetails:
    """``WaitDetails`` of a WAIT operation."""

    scheduled_end_timestamp: datetime.datetime | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> WaitDetails:
        return cls(scheduled_end_timestamp=to_datetime(data.get("ScheduledEndTimestamp")))


@dataclass(frozen=True)
class CallbackDetails:
    """``CallbackDetails`` of a CALLBACK operation (``CallbackId`` is required)."""

    callback_id: str
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> CallbackDetails:
        return cls(
            callback_id=data["CallbackId"],
            result=data.get("Result"),
            error=_error_or_none(data.get("Error")),
        )


@dataclass(frozen=True)
class ChainedInvokeDetails:
    """``ChainedInvokeDetails`` of a CHAINED_INVOKE operation."""

    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> ChainedInvokeDetails:
        return cls(result=data.get("Result"), error=_error_or_none(data.get("Error")))


# endregion
# region update options (write side: OperationUpdate)


@dataclass(frozen=True)
class ContextOptions:
    """``ContextOptions`` of a CONTEXT SUCCEED: replay the children instead of the result."""

    replay_children: bool = False

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> ContextOptions:
        return cls(replay_children=data.get("ReplayChildren", False))

    def to_dict(self) -> MutableMapping[str, Any]:
        return {"ReplayChildren": self.replay_children}


@dataclass(frozen=True)
class StepOptions:
    """``StepOptions`` of a STEP RETRY: seconds until the next attempt (1..31,622,400)."""

    next_attempt_delay_seconds: int = 0

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> StepOptions:
        return cls(next_attempt_delay_seconds=data.get("NextAttemptDelaySeconds", 0))

    def to_dict(self) -> MutableMapping[str, Any]:
        return {"NextAttemptDelaySeconds": self.next_attempt_delay_seconds}


@dataclass(frozen=True)
class WaitOptions:
    """``WaitOptions`` of a WAIT START: whole seconds to wait (1..31,622,400; absent = 1)."""

    wait_seconds: int = 1

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> WaitOptions:
        return cls(wait_seconds=data.get("WaitSeconds", 1))

    def to_dict(self) -> MutableMapping[str, Any]:
        return {"WaitSeconds": self.wait_seconds}


@dataclass(frozen=True)
class CallbackOptions:
    """``CallbackOptions`` of a CALLBACK START; 0 (or absent) means no timeout. Both keys are
    always written."""

    timeout_seconds: int = 0
    heartbeat_timeout_seconds: int = 0

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> CallbackOptions:
        return cls(
            timeout_seconds=data.get("TimeoutSeconds", 0),
            heartbeat_timeout_seconds=data.get("HeartbeatTimeoutSeconds", 0),
        )

    def to_dict(self) -> MutableMapping[str, Any]:
        return {
            "TimeoutSeconds": self.timeout_seconds,
            "HeartbeatTimeoutSeconds": self.heartbeat_timeout_seconds,
        }


@dataclass(frozen=True)
class ChainedInvokeOptions:
    """``ChainedInvokeOptions`` of a CHAINED_INVOKE START; ``TenantId`` and ``XAmznTraceId``
    are written only when set."""

    function_name: str
    tenant_id: str | None = None
    x_amzn_trace_id: str | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> ChainedInvokeOptions:
        return cls(
            function_name=data["FunctionName"],
            tenant_id=data.get("TenantId"),
            x_amzn_trace_id=data.get("XAmznTraceId"),
        )

    def to_dict(self) -> MutableMapping[str, Any]:
        out: dict[str, Any] = {"FunctionName": self.function_name}
        if self.tenant_id is not None:
            out["TenantId"] = self.tenant_id
        if self.x_amzn_trace_id is not None:
            out["XAmznTraceId"] = self.x_amzn_trace_id
        return out


# endregion


def _execution_result_id() -> str:
    """Id of the EXECUTION update carrying a large final result: ``execution-result-<ms>``."""
    now = datetime.datetime.now(tz=datetime.timezone.utc)
    return f"execution-result-{(now - _EPOCH) // _ONE_MS}"


@dataclass(frozen=True)
class OperationUpdate:
    """Typed view of an ``OperationUpdate`` wire dict (see :meth:`to_dict`).

    The ``*_options`` fields take the typed option classes (:class:`StepOptions`, ...) or their
    wire dicts; :meth:`to_dict` writes the same wire dict either way. Build updates with the
    ``create_*`` factories, which set Type, SubType and Action as the SDK writes them."""

    operation_id: str
    operation_type: OperationType
    action: OperationAction
    parent_id: str | None = None
    name: str | None = None
    sub_type: str | None = None
    payload: str | None = None
    error: ErrorObject | None = None
    context_options: ContextOptions | dict | None = None
    step_options: StepOptions | dict | None = None
    wait_options: WaitOptions | dict | None = None
    callback_options: CallbackOptions | dict | None = None
    chained_invoke_options: ChainedInvokeOptions | dict | None = None

    def to_dict(self) -> MutableMapping[str, Any]:
        out: dict[str, Any] = {
            "Id": self.operation_id,
            "Type": self.operation_type.value,
            "Action": self.action.value,
        }
        if self.parent_id:
            out["ParentId"] = self.parent_id
        if self.name:
            out["Name"] = self.name
        if self.sub_type:
            out["SubType"] = str(self.sub_type)
        if self.payload is not None:
            out["Payload"] = self.payload
        if self.error is not None:
            out["Error"] = dict(self.error.to_dict())
        for key, value in (
            ("ContextOptions", self.context_options),
            ("StepOptions", self.step_options),
            ("WaitOptions", self.wait_options),
            ("CallbackOptions", self.callback_options),
            ("ChainedInvokeOptions", self.chained_invoke_options),
        ):
            if value is not None:
                out[key] = _options_dict(value)
        return out

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> OperationUpdate:
        """Parse a wire dict; present (non-empty) option objects become the typed classes."""
        error = data.get("Error")
        return cls(
            operation_id=data["Id"],
            operation_type=OperationType(data["Type"]),
            action=OperationAction(data["Action"]),
            parent_id=data.get("ParentId"),
            name=data.get("Name"),
            sub_type=data.get("SubType") or None,
            payload=data.get("Payload"),
            error=ErrorObject.from_dict(error) if error is not None else None,
            context_options=_typed_options(ContextOptions, data.get("ContextOptions")),
            step_options=_typed_options(StepOptions, data.get("StepOptions")),
            wait_options=_typed_options(WaitOptions, data.get("WaitOptions")),
            callback_options=_typed_options(CallbackOptions, data.get("CallbackOptions")),
            chained_invoke_options=_typed_options(
                ChainedInvokeOptions, data.get("ChainedInvokeOptions")
            ),
        )

    # region factories (Type / SubType / Action per protocol.md 3.2)

    @classmethod
    def _for(
        cls,
        identifier: OperationIdentifier,
        operation_type: OperationType,
        action: OperationAction,
        default_sub_type: OperationSubType,
        **fields: Any,
    ) -> OperationUpdate:
        return cls(
            operation_id=identifier.operation_id,
            operation_type=operation_type,
            action=action,
            parent_id=identifier.parent_id,
            name=identifier.name,
            sub_type=identifier.sub_type or default_sub_type.value,
            **fields,
        )

    @classmethod
    def create_callback(
        cls, identifier: OperationIdentifier, callback_options: CallbackOptions
    ) -> OperationUpdate:
        """CALLBACK START with both timeouts (SubType ``Callback`` unless the identifier's)."""
        if callback_options is None:
            callback_options = CallbackOptions()
        return cls._for(
            identifier,
            OperationType.CALLBACK,
            OperationAction.START,
            OperationSubType.CALLBACK,
            callback_options=callback_options,
        )

    @classmethod
    def create_context_start(cls, identifier: OperationIdentifier) -> OperationUpdate:
        """CONTEXT START (SubType ``RunInChildContext`` unless the identifier's: Map, Parallel,
        MapIteration, ParallelBranch, WaitForCallback or a caller's)."""
        return cls._for(
            identifier,
            OperationType.CONTEXT,
            OperationAction.START,
            OperationSubType.RUN_IN_CHILD_CONTEXT,
        )

    @classmethod
    def create_context_succeed(
        cls,
        identifier: OperationIdentifier,
        payload: str | None,
        *,
        context_options: ContextOptions | None = None,
    ) -> OperationUpdate:
        """CONTEXT SUCCEED; always carries ``ContextOptions.ReplayChildren`` (False unless
        ``context_options`` says otherwise)."""
        return cls._for(
            identifier,
            OperationType.CONTEXT,
            OperationAction.SUCCEED,
            OperationSubType.RUN_IN_CHILD_CONTEXT,
            payload=payload,
            context_options=context_options if context_options is not None else ContextOptions(),
        )

    @classmethod
    def create_context_fail(
        cls, identifier: OperationIdentifier, error: ErrorObject
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.CONTEXT,
            OperationAction.FAIL,
            OperationSubType.RUN_IN_CHILD_CONTEXT,
            error=error,
        )

    @classmethod
    def create_execution_succeed(cls, payload: str) -> OperationUpdate:
        """EXECUTION SUCCEED carrying a final result too large to return inline
        (Id ``execution-result-<epoch ms>``)."""
        return cls(
            operation_id=_execution_result_id(),
            operation_type=OperationType.EXECUTION,
            action=OperationAction.SUCCEED,
            payload=payload,
        )

    @classmethod
    def create_execution_fail(cls, error: ErrorObject) -> OperationUpdate:
        return cls(
            operation_id=_execution_result_id(),
            operation_type=OperationType.EXECUTION,
            action=OperationAction.FAIL,
            error=error,
        )

    @classmethod
    def create_step_start(cls, identifier: OperationIdentifier) -> OperationUpdate:
        return cls._for(
            identifier, OperationType.STEP, OperationAction.START, OperationSubType.STEP
        )

    @classmethod
    def create_step_succeed(
        cls, identifier: OperationIdentifier, payload: str | None
    ) -> OperationUpdate:
        """STEP SUCCEED; ``Payload`` is omitted when ``payload`` is None (``""`` is kept)."""
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.SUCCEED,
            OperationSubType.STEP,
            payload=payload,
        )

    @classmethod
    def create_step_fail(cls, identifier: OperationIdentifier, error: ErrorObject) -> OperationUpdate:
        return cls._for(
            identifier, OperationType.STEP, OperationAction.FAIL, OperationSubType.STEP, error=error
        )

    @classmethod
    def create_step_retry(
        cls, identifier: OperationIdentifier, error: ErrorObject, next_attempt_delay_seconds: int
    ) -> OperationUpdate:
        """STEP RETRY; always carries ``StepOptions.NextAttemptDelaySeconds``."""
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.RETRY,
            OperationSubType.STEP,
            error=error,
            step_options=StepOptions(next_attempt_delay_seconds=next_attempt_delay_seconds),
        )

    @classmethod
    def create_invoke_start(
        cls,
        identifier: OperationIdentifier,
        payload: str | None,
        chained_invoke_options: ChainedInvokeOptions,
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.CHAINED_INVOKE,
            OperationAction.START,
            OperationSubType.CHAINED_INVOKE,
            payload=payload,
            chained_invoke_options=chained_invoke_options,
        )

    @classmethod
    def create_wait_for_condition_start(cls, identifier: OperationIdentifier) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.START,
            OperationSubType.WAIT_FOR_CONDITION,
        )

    @classmethod
    def create_wait_for_condition_succeed(
        cls, identifier: OperationIdentifier, payload: str | None
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.SUCCEED,
            OperationSubType.WAIT_FOR_CONDITION,
            payload=payload,
        )

    @classmethod
    def create_wait_for_condition_retry(
        cls, identifier: OperationIdentifier, payload: str | None, next_attempt_delay_seconds: int
    ) -> OperationUpdate:
        """STEP/WaitForCondition RETRY: ``Payload`` = the state, ``StepOptions`` always."""
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.RETRY,
            OperationSubType.WAIT_FOR_CONDITION,
            payload=payload,
            step_options=StepOptions(next_attempt_delay_seconds=next_attempt_delay_seconds),
        )

    @classmethod
    def create_wait_for_condition_fail(
        cls, identifier: OperationIdentifier, error: ErrorObject
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.FAIL,
            OperationSubType.WAIT_FOR_CONDITION,
            error=error,
        )

    @classmethod
    def create_wait_start(
        cls, identifier: OperationIdentifier, wait_options: WaitOptions
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.WAIT,
            OperationAction.START,
            OperationSubType.WAIT,
            wait_options=wait_options,
        )

    # endregion


def _options_dict(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    return dict(value.to_dict())


def _typed_options(options_cls: Any, raw: Any) -> Any:
    if not raw:
        return None
    return raw if not isinstance(raw, dict) else options_cls.from_dict(raw)


@dataclass(frozen=True)
class Operation:
    """Typed view of an ``Operation`` record (GetDurableExecutionState, CheckpointDurableExecution
    responses and the invocation event's ``InitialExecutionState``).

    Timestamps are aware UTC datetimes; :meth:`from_dict` and :meth:`from_json_dict` accept epoch
    milliseconds (int), epoch seconds (float), datetimes and ISO-8601 strings. :meth:`to_dict`
    keeps datetimes (the boto3 shape); :meth:`to_json_dict` writes epoch milliseconds (the
    invocation event's shape)."""

    operation_id: str
    operation_type: OperationType
    status: OperationStatus
    parent_id: str | None = None
    name: str | None = None
    start_timestamp: datetime.datetime | None = None
    end_timestamp: datetime.datetime | None = None
    sub_type: str | None = None
    execution_details: ExecutionDetails | None = None
    context_details: ContextDetails | None = None
    step_details: StepDetails | None = None
    wait_details: WaitDetails | None = None
    callback_details: CallbackDetails | None = None
    chained_invoke_details: ChainedInvokeDetails | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> Operation:
        def details(key: str, details_cls: Any) -> Any:
            raw = data.get(key)
            return details_cls.from_dict(raw) if raw else None

        return cls(
            operation_id=data["Id"],
            operation_type=OperationType(data["Type"]),
            status=OperationStatus(data["Status"]),
            parent_id=data.get("ParentId"),
            name=data.get("Name"),
            start_timestamp=to_datetime(data.get("StartTimestamp")),
            end_timestamp=to_datetime(data.get("EndTimestamp")),
            sub_type=data.get("SubType") or None,
            execution_details=details("ExecutionDetails", ExecutionDetails),
            context_details=details("ContextDetails", ContextDetails),
            step_details=details("StepDetails", StepDetails),
            wait_details=details("WaitDetails", WaitDetails),
            callback_details=details("CallbackDetails", CallbackDetails),
            chained_invoke_details=details("ChainedInvokeDetails", ChainedInvokeDetails),
        )

    def to_dict(self) -> MutableMapping[str, Any]:
        """The wire dict (timestamps as datetimes). Keys with no value are omitted, except
        ``StepDetails.Attempt`` (always) and ``CallbackDetails.CallbackId`` (required);
        ``ContextDetails.ReplayChildren`` is written only when true."""
        out: dict[str, Any] = {
            "Id": self.operation_id,
            "Type": self.operation_type.value,
            "Status": self.status.value,
        }
        if self.parent_id:
            out["ParentId"] = self.parent_id
        if self.name:
            out["Name"] = self.name
        if self.start_timestamp is not None:
            out["StartTimestamp"] = self.start_timestamp
        if self.end_timestamp is not None:
            out["EndTimestamp"] = self.end_timestamp
        if self.sub_type:
            out["SubType"] = str(self.sub_type)
        if (execution := self.execution_details) is not None:
            out["ExecutionDetails"] = _without_none({"InputPayload": execution.input_payload})
        if (context := self.context_details) is not None:
            ctx = _without_none({"Result": context.result, "Error": _err(context.error)})
            if context.replay_children:
                ctx["ReplayChildren"] = True
            out["ContextDetails"] = ctx
        if (step := self.step_details) is not None:
            out["StepDetails"] = {
                "Attempt": step.attempt,
                **_without_none(
                    {
                        "NextAttemptTimestamp": step.next_attempt_timestamp,
                        "Result": step.result,
                        "Error": _err(step.error),
                    }
                ),
            }
        if (wait := self.wait_details) is not None:
            out["WaitDetails"] = _without_none(
                {"ScheduledEndTimestamp": wait.scheduled_end_timestamp}
            )
        if (callback := self.callback_details) is not None:
            out["CallbackDetails"] = {
                "CallbackId": callback.callback_id,
                **_without_none({"Result": callback.result, "Error": _err(callback.error)}),
            }
        if (invoke := self.chained_invoke_details) is not None:
            out["ChainedInvokeDetails"] = _without_none(
                {"Result": invoke.result, "Error": _err(invoke.error)}
            )
        return out

    def to_json_dict(self) -> MutableMapping[str, Any]:
        """:meth:`to_dict` with every timestamp as integer epoch milliseconds (JSON-safe)."""
        out = self.to_dict()
        for key in ("StartTimestamp", "EndTimestamp"):
            if key in out:
                out[key] = _epoch_millis(out[key])
        step = out.get("StepDetails")
        if step and "NextAttemptTimestamp" in step:
            step["NextAttemptTimestamp"] = _epoch_millis(step["NextAttemptTimestamp"])
        wait = out.get("WaitDetails")
        if wait and "ScheduledEndTimestamp" in wait:
            wait["ScheduledEndTimestamp"] = _epoch_millis(wait["ScheduledEndTimestamp"])
        return out

    @classmethod
    def from_json_dict(cls, data: MutableMapping[str, Any]) -> Operation:
        """Parse the JSON form (epoch-millisecond timestamps); ``data`` is not modified and
        the result shares no mutable state with it."""
        return cls.from_dict(copy.deepcopy(data))


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _err(error: ErrorObject | None) -> dict | None:
    return None if error is None else dict(error.to_dict())


@dataclass(frozen=True)
class CheckpointUpdatedExecutionState:
    operations: list[dict] = field(default_factory=list)
    next_marker: str | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> CheckpointUpdatedExecutionState:
        return cls(list(data.get("Operations") or []), data.get("NextMarker"))


@dataclass(frozen=True)
class CheckpointOutput:
    checkpoint_token: str | None
    new_execution_state: CheckpointUpdatedExecutionState

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> CheckpointOutput:
        return cls(
            data.get("CheckpointToken"),
            CheckpointUpdatedExecutionState.from_dict(data.get("NewExecutionState") or {}),
        )


@dataclass(frozen=True)
class StateOutput:
    operations: list[dict] = field(default_factory=list)
    next_marker: str | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> StateOutput:
        return cls(list(data.get("Operations") or []), data.get("NextMarker"))


@dataclass(frozen=True)
class DurableExecutionInvocationOutput:
    """The handler's answer to the service: ``{"Status", "Result"?, "Error"?}``."""

    status: InvocationStatus
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: MutableMapping[str, Any]) -> DurableExecutionInvocationOutput:
        error = data.get("Error")
        return cls(
            InvocationStatus(data["Status"]),
            data.get("Result"),
            ErrorObject.from_dict(error) if error else None,
        )

    def to_dict(self) -> MutableMapping[str, Any]:
        out: dict[str, Any] = {"Status": self.status.value}
        if self.result is not None:
            out["Result"] = self.result
        if self.error is not None:
            out["Error"] = dict(self.error.to_dict())
        return out

    @classmethod
    def create_succeeded(cls, result: str) -> DurableExecutionInvocationOutput:
        return cls(InvocationStatus.SUCCEEDED, result=result)

    @classmethod
    def create_retry(cls, error: ErrorObject) -> DurableExecutionInvocationOutput:
        return cls(InvocationStatus.RETRY, error=error)

    @classmethod
    def create_pending(cls) -> DurableExecutionInvocationOutput:
        return cls(InvocationStatus.PENDING)


class LambdaClient:
    """:class:`DurableServiceClient` over a boto3 ``lambda`` client (created lazily)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @classmethod
    def initialize_client(cls) -> LambdaClient:
        from ._boto import default_lambda_client

        return cls(default_lambda_client())

    def checkpoint(self, durable_execution_arn, checkpoint_token, updates, client_token=None):
        kwargs: dict[str, Any] = {
            "DurableExecutionArn": durable_execution_arn,
            "CheckpointToken": checkpoint_token,
            "Updates": [u if isinstance(u, dict) else dict(u.to_dict()) for u in updates],
        }
        if client_token is not None:
            kwargs["ClientToken"] = client_token
        try:
            return CheckpointOutput.from_dict(self.client.checkpoint_durable_execution(**kwargs))
        except BotoClientError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified by the service contract
            err = BotoClientError.from_exception(exc)
            raise CheckpointError(str(err), err.error_category, err.error, err.response_metadata) from exc

    def get_execution_state(self, durable_execution_arn, checkpoint_token, next_marker, max_items=1000):
        try:
            return StateOutput.from_dict(
                self.client.get_durable_execution_state(
                    DurableExecutionArn=durable_execution_arn,
                    CheckpointToken=checkpoint_token,
                    Marker=next_marker,
                    MaxItems=max_items,
                )
            )
        except BotoClientError:
            raise
        except Exception as exc:  # noqa: BLE001
            err = BotoClientError.from_exception(exc)
            raise GetExecutionStateError(
                str(err), err.error_category, err.error, err.response_metadata
            ) from exc
