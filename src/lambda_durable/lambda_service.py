"""The durable execution service's wire model (botocore ``lambda`` shapes, API 2025-12-01).

The SDK's hot path works on the wire dictionaries themselves (``{"Id": ..., "Type": "STEP", ...}``)
exactly as boto3 sends and returns them; the dataclasses here are the official SDK 3.x's typed view
of the same shapes, for user code and tests that import them (``ErrorObject``, ``OperationStatus``,
``OperationType``, ``OperationSubType``, ...). Timestamps: the Lambda invocation event carries epoch
milliseconds, boto3 returns ``datetime`` objects; :class:`TimestampConverter` accepts both.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, MutableMapping, Protocol

from .exceptions import (
    OFFICIAL_EXCEPTIONS_MODULE,
    BotoClientError,
    CheckpointError,
    DurableOperationError,
    GetExecutionStateError,
    SerDesError,
)

if TYPE_CHECKING:  # pragma: no cover
    pass


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


def _qualified_error_type(exception: BaseException) -> str:
    cls = type(exception)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    if cls.__module__ == "lambda_durable.exceptions":
        # checkpoint compatibility: write the official SDK's name for the SDK's own classes
        return f"{OFFICIAL_EXCEPTIONS_MODULE}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


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


def error_dict_from_exception(exception: BaseException) -> dict[str, Any]:
    """The wire ErrorObject dict of ``exception`` (keys with ``None`` omitted)."""
    return dict(ErrorObject.from_exception(exception).to_dict())


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


def to_datetime(value: Any) -> datetime.datetime | None:
    """A wire timestamp as an aware UTC datetime: accepts ``datetime`` (boto3), epoch
    milliseconds as int (invocation event), epoch seconds as float, or ISO-8601 strings."""
    if value is None or isinstance(value, datetime.datetime):
        if isinstance(value, datetime.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value
    if isinstance(value, bool):
        raise TypeError(f"not a timestamp: {value!r}")
    if isinstance(value, int):
        return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.timezone.utc)
    if isinstance(value, float):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    if isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)
    raise TypeError(f"not a timestamp: {value!r}")


def to_epoch_seconds(value: Any) -> float | None:
    """A wire timestamp (see :func:`to_datetime`) as epoch seconds."""
    dt = to_datetime(value)
    return None if dt is None else dt.timestamp()


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


@dataclass(frozen=True)
class OperationUpdate:
    """Typed view of an ``OperationUpdate`` wire dict (see :meth:`to_dict`)."""

    operation_id: str
    operation_type: OperationType
    action: OperationAction
    parent_id: str | None = None
    name: str | None = None
    sub_type: str | None = None
    payload: str | None = None
    error: ErrorObject | None = None
    context_options: dict | None = None
    step_options: dict | None = None
    wait_options: dict | None = None
    callback_options: dict | None = None
    chained_invoke_options: dict | None = None

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
        error = data.get("Error")
        return cls(
            operation_id=data["Id"],
            operation_type=OperationType(data["Type"]),
            action=OperationAction(data["Action"]),
            parent_id=data.get("ParentId"),
            name=data.get("Name"),
            sub_type=data.get("SubType"),
            payload=data.get("Payload"),
            error=ErrorObject.from_dict(error) if error is not None else None,
            context_options=data.get("ContextOptions"),
            step_options=data.get("StepOptions"),
            wait_options=data.get("WaitOptions"),
            callback_options=data.get("CallbackOptions"),
            chained_invoke_options=data.get("ChainedInvokeOptions"),
        )


def _options_dict(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    return dict(value.to_dict())


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
