"""Errors raised by lambda_durable (names and hierarchy of the official SDK 3.x).

Three families:

* :class:`UnrecoverableError` ends the invocation: :class:`ExecutionError` fails the execution
  (no retry), :class:`InvocationError` is re-raised so Lambda retries the invocation.
* :class:`DurableOperationError` and its subclasses (:class:`StepError`, :class:`InvokeError`, ...)
  are what an operation raises to user code when its checkpoint is FAILED. They carry the stored
  ErrorObject fields (``error_type``, ``message``, ``data``, ``stack_trace``) and are identical on
  the first run and on replay.
* :class:`SuspendExecution` (a ``BaseException``) is control flow: the invocation ends PENDING and
  the service re-invokes the function later.

Checkpoint compatibility: the ``ErrorType`` written for the SDK's own classes is the official
SDK's fully qualified name (``aws_durable_execution_sdk_python.exceptions.StepError``), so either
SDK can continue an execution; reading accepts that form, the bare 1.x names and
``lambda_durable.exceptions.<Name>``.
"""
from __future__ import annotations

import datetime
import time
from enum import Enum
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from typing import Self

#: Module name the official SDK writes into ``ErrorType`` for its own exception classes.
OFFICIAL_EXCEPTIONS_MODULE = "aws_durable_execution_sdk_python.exceptions"

BAD_REQUEST_ERROR = 400
TOO_MANY_REQUESTS_ERROR = 429
SERVICE_ERROR = 500
INVALID_CHECKPOINT_TOKEN_PREFIX = "Invalid checkpoint token"
INVALID_PARAMETER_VALUE_EXCEPTION = "InvalidParameterValueException"
_KMS_ERROR_CODES = frozenset(
    {
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
    }
)


class AwsErrorObj(TypedDict, total=False):
    """The ``Error`` member of a botocore ``ClientError`` response (``Code``, ``Message``)."""

    Code: str | None
    Message: str | None


class AwsErrorMetadata(TypedDict, total=False):
    """The ``ResponseMetadata`` member of a botocore response."""

    RequestId: str | None
    HostId: str | None
    HTTPStatusCode: int | None
    HTTPHeaders: str | None
    RetryAttempts: str | None


class TerminationReason(Enum):
    """Why an invocation ended early."""

    UNHANDLED_ERROR = "UNHANDLED_ERROR"
    INVOCATION_ERROR = "INVOCATION_ERROR"
    EXECUTION_ERROR = "EXECUTION_ERROR"
    CHECKPOINT_FAILED = "CHECKPOINT_FAILED"
    NON_DETERMINISTIC_EXECUTION = "NON_DETERMINISTIC_EXECUTION"
    STEP_INTERRUPTED = "STEP_INTERRUPTED"
    SERIALIZATION_ERROR = "SERIALIZATION_ERROR"


class DurableApiErrorCategory(Enum):
    """How a failed durable API call ends the invocation: INVOCATION = retry, EXECUTION = fail."""

    INVOCATION = "INVOCATION"
    EXECUTION = "EXECUTION"


#: Alias kept for the official name.
CheckpointErrorCategory = DurableApiErrorCategory


class DurableExecutionsError(Exception):
    """Root of every error lambda_durable raises."""


class PluginLoadError(DurableExecutionsError):
    """A plugin (or plugin factory) could not be loaded or created."""


class ValidationError(DurableExecutionsError):
    """An operation was called with arguments that break a rule (raised before any checkpoint)."""


class InvalidStateError(DurableExecutionsError):
    """The SDK found its own state inconsistent (a bug or a corrupted checkpoint)."""


class OrderedLockError(DurableExecutionsError):
    """A lock in an ordered chain could not be acquired because an earlier holder failed."""

    def __init__(self, message: str, source_exception: Exception | None = None) -> None:
        super().__init__(message)
        self.source_exception = source_exception


class UnrecoverableError(DurableExecutionsError):
    """Base of errors that end the invocation; ``termination_reason`` says why."""

    def __init__(self, message: str, termination_reason: TerminationReason):
        super().__init__(message)
        self.message = message
        self.termination_reason = termination_reason


class ExecutionError(UnrecoverableError):
    """Fails the whole execution (status FAILED); the invocation is not retried."""

    def __init__(
        self,
        message: str,
        termination_reason: TerminationReason = TerminationReason.EXECUTION_ERROR,
    ):
        super().__init__(message, termination_reason)


class InvocationError(UnrecoverableError):
    """Ends the invocation by raising, so Lambda retries it (when :meth:`is_retryable`)."""

    def __init__(
        self,
        message: str,
        termination_reason: TerminationReason = TerminationReason.INVOCATION_ERROR,
    ):
        super().__init__(message, termination_reason)

    def is_retryable(self) -> bool:
        return True


class NonDeterministicExecutionError(ExecutionError):
    """Replay found a stored operation whose type, sub-type, name or parent differs from the
    operation the code issues now at the same ID (protocol.md 4.5); the execution fails."""

    def __init__(self, message: str, step_id: str | None = None):
        super().__init__(message, TerminationReason.NON_DETERMINISTIC_EXECUTION)
        self.step_id = step_id


class BotoClientError(InvocationError):
    """A durable API call failed; retryable iff ``error_category`` is INVOCATION (protocol.md 2.6)."""

    def __init__(
        self,
        message: str,
        error_category: DurableApiErrorCategory = DurableApiErrorCategory.INVOCATION,
        error: AwsErrorObj | None = None,
        response_metadata: AwsErrorMetadata | None = None,
        termination_reason: TerminationReason = TerminationReason.INVOCATION_ERROR,
    ):
        super().__init__(message, termination_reason)
        self.error_category = error_category
        self.error = error
        self.response_metadata = response_metadata

    @classmethod
    def from_exception(cls, exception: Exception) -> Self:
        """Classify a botocore ``ClientError`` (or any other exception) by the service contract:
        KMS errors and 4xx other than 429 and a stale checkpoint token fail the execution;
        429, 5xx, network errors and a stale token (matched case-insensitively) are retried."""
        response = getattr(exception, "response", None) or {}
        error = response.get("Error") or {}
        metadata = response.get("ResponseMetadata") or {}
        code = error.get("Code")
        message = error.get("Message") or str(exception)
        status = metadata.get("HTTPStatusCode")
        category = cls._classify_error_category(code, status, message)
        return cls(
            message,
            error_category=category,
            error=AwsErrorObj(Code=code, Message=error.get("Message")) if error else None,
            response_metadata=AwsErrorMetadata(**metadata) if metadata else None,
        )

    @staticmethod
    def _classify_error_category(
        code: str | None, status: int | None, message: str | None
    ) -> DurableApiErrorCategory:
        if code in _KMS_ERROR_CODES:
            return DurableApiErrorCategory.EXECUTION
        if status is not None and 400 <= status < 500 and status != TOO_MANY_REQUESTS_ERROR:
            if code == INVALID_PARAMETER_VALUE_EXCEPTION and (message or "").lower().startswith(
                INVALID_CHECKPOINT_TOKEN_PREFIX.lower()
            ):
                return DurableApiErrorCategory.INVOCATION
            return DurableApiErrorCategory.EXECUTION
        return DurableApiErrorCategory.INVOCATION

    def is_retryable(self) -> bool:
        return self.error_category is DurableApiErrorCategory.INVOCATION

    # the official SDK spells it both ways
    is_retriable = is_retryable

    def build_logger_extras(self) -> dict:
        extras: dict[str, Any] = {}
        if self.error:
            extras["Error"] = self.error
        if self.response_metadata:
            extras["ResponseMetadata"] = self.response_metadata
        return extras


class CheckpointError(BotoClientError):
    """``CheckpointDurableExecution`` failed (or answered without a token)."""

    def __init__(
        self,
        message: str,
        error_category: DurableApiErrorCategory = DurableApiErrorCategory.INVOCATION,
        error: AwsErrorObj | None = None,
        response_metadata: AwsErrorMetadata | None = None,
    ):
        super().__init__(
            message, error_category, error, response_metadata, TerminationReason.CHECKPOINT_FAILED
        )


class GetExecutionStateError(BotoClientError):
    """``GetDurableExecutionState`` failed while loading the execution's operations."""

    def __init__(
        self,
        message: str,
        error_category: DurableApiErrorCategory = DurableApiErrorCategory.INVOCATION,
        error: AwsErrorObj | None = None,
        response_metadata: AwsErrorMetadata | None = None,
    ):
        super().__init__(message, error_category, error, response_metadata)


class StepInterruptedError(InvocationError):
    """An AT_MOST_ONCE_PER_RETRY step was found STARTED: its attempt was interrupted. Handed to
    the step's retry strategy; the interrupted body is never re-run (protocol.md 5.3)."""

    def __init__(self, message: str, step_id: str | None = None):
        super().__init__(message, TerminationReason.STEP_INTERRUPTED)
        self.step_id = step_id


class RetryableSerDesError(InvocationError):
    """A transient serialization failure: the invocation is retried, nothing is checkpointed."""

    def __init__(
        self,
        message: str,
        termination_reason: TerminationReason = TerminationReason.SERIALIZATION_ERROR,
    ):
        super().__init__(message, termination_reason)


class _ErrorFields:
    """Shared constructor of errors that carry ErrorObject fields."""

    def _set_fields(self, message, error_type, data, stack_trace) -> None:
        self.message = message
        self.error_type = error_type
        self.data = data
        self.stack_trace = stack_trace


class SerDesError(_ErrorFields, DurableExecutionsError):
    """A value could not be serialized or deserialized (permanent: the operation fails).
    Always written with ErrorType ``aws_durable_execution_sdk_python.exceptions.SerDesError``."""

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self._set_fields(message, error_type, data, stack_trace)


_OPERATION_ERRORS: dict[str, type[DurableOperationError]] = {}


def _qualified_name(cls: type) -> str:
    """The ErrorType written for ``cls``: the official SDK's name for the SDK's own classes
    (checkpoint compatibility), ``module.QualName`` otherwise."""
    if cls.__module__ == __name__:
        return f"{OFFICIAL_EXCEPTIONS_MODULE}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def register_operation_error(error_cls: type[DurableOperationError]) -> None:
    """Make ``error_cls`` reconstructible from a stored ErrorType naming it (its qualified name,
    the official SDK's qualified name for the SDK's classes, and the bare class name)."""
    name = error_cls.__name__
    _OPERATION_ERRORS[f"{error_cls.__module__}.{error_cls.__qualname__}"] = error_cls
    _OPERATION_ERRORS.setdefault(name, error_cls)
    if error_cls.__module__ == __name__:
        _OPERATION_ERRORS[f"{OFFICIAL_EXCEPTIONS_MODULE}.{name}"] = error_cls


def operation_error_class(error_type: str | None) -> type[DurableOperationError] | None:
    """The registered operation-error class a stored ErrorType names, or ``None``."""
    if not error_type:
        return None
    return _OPERATION_ERRORS.get(error_type)


class DurableOperationError(_ErrorFields, DurableExecutionsError):
    """An operation failed; raised to user code, identically on the first run and on replay.

    ``error_type`` is the ErrorType of the underlying failure (e.g. ``ValueError``; this class's
    qualified name when no underlying error is known), ``message``,
    ``data`` and ``stack_trace`` the stored ErrorObject fields.
    """

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self._set_fields(message, error_type or _qualified_name(type(self)), data, stack_trace)

    @classmethod
    def from_error_fields(
        cls,
        error_type: str | None,
        message: str | None,
        data: str | None,
        stack_trace: list[str] | None,
    ) -> DurableOperationError:
        """Rebuild an error from stored fields: the registered SDK class named by ``error_type``
        when there is one, else ``cls``."""
        target = operation_error_class(error_type) or cls
        if target is BatchCompletionError:
            return BatchCompletionError(
                message=message, error_type=error_type, data=data, stack_trace=stack_trace
            )
        return target(message, error_type, data, stack_trace)

    def __reduce__(self):
        return (type(self), (self.message, self.error_type, self.data, self.stack_trace))


class StepError(DurableOperationError):
    """A step failed (its retry strategy gave up)."""


class InvokeError(DurableOperationError):
    """A chained invoke failed, timed out or was stopped."""


class ChildContextError(DurableOperationError):
    """A child context (or map/parallel item) failed."""


class WaitForConditionError(DurableOperationError):
    """A wait_for_condition check raised, or the wait strategy gave up."""


class CallbackError(DurableOperationError):
    """Base of callback failures. ``callback_id``: the CallbackId of the callback that failed
    when the error is raised by ``Callback.result()`` (the same on the first run and on replay);
    ``None`` otherwise (``wait_for_callback`` errors: its callback is not part of a replayed
    state once the operation has failed)."""

    callback_id: str | None = None


class CallbackExternalError(CallbackError):
    """The callback was completed with SendDurableExecutionCallbackFailure."""


class CallbackTimeoutError(CallbackError):
    """The callback timed out (``Callback.Timeout``) or missed its heartbeat (``Callback.Heartbeat``)."""


class CallbackSubmitterError(CallbackError):
    """The submitter step of wait_for_callback failed."""


class BatchCompletionError(DurableOperationError):
    """A map/parallel custom completion predicate decided the batch FAILED."""

    def __init__(
        self,
        completion_reason: Any = None,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        super().__init__(message, error_type, data, stack_trace)
        if completion_reason is None:
            from .concurrency.models import CompletionReason

            completion_reason = CompletionReason.CUSTOM_COMPLETION_FAILED
        self.completion_reason = completion_reason

    def __reduce__(self):
        return (
            type(self),
            (self.completion_reason, self.message, self.error_type, self.data, self.stack_trace),
        )


class CombinatorError(DurableOperationError):
    """``context.all`` or ``context.any`` failed: ``errors`` holds every branch failure (one
    :class:`~lambda_durable.lambda_service.ErrorObject` per failed branch, index order) and
    ``result`` the whole :class:`~lambda_durable.concurrency.models.BatchResult`. Rebuilt from the
    checkpointed batch result, so it is identical on the first run and on replay."""

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
        *,
        errors: list | None = None,
        result: Any = None,
    ) -> None:
        super().__init__(message, error_type, data, stack_trace)
        self.errors = list(errors or [])
        self.result = result


for _cls in (
    DurableOperationError,
    StepError,
    InvokeError,
    ChildContextError,
    WaitForConditionError,
    CallbackError,
    CallbackExternalError,
    CallbackTimeoutError,
    CallbackSubmitterError,
    BatchCompletionError,
    CombinatorError,
):
    register_operation_error(_cls)
del _cls


class BackgroundThreadError(BaseException):
    """A background (checkpoint) thread failed; ``source_exception`` is the original error."""

    def __init__(self, message: str, source_exception: Exception):
        super().__init__(message)
        self.message = message
        self.source_exception = source_exception


class SuspendExecution(BaseException):
    """Control flow: end the invocation with PENDING; the service re-invokes when something the
    execution waits on completes. Never catch it in user code (it is a ``BaseException``)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TimedSuspendExecution(SuspendExecution):
    """A suspension with a known resume time, ``scheduled_timestamp`` in epoch seconds."""

    def __init__(self, message: str, scheduled_timestamp: float):
        super().__init__(message)
        self.scheduled_timestamp = scheduled_timestamp

    @classmethod
    def from_delay(cls, message: str, delay_seconds: int) -> TimedSuspendExecution:
        return cls(message, time.time() + delay_seconds)

    @classmethod
    def from_datetime(
        cls, message: str, datetime_timestamp: datetime.datetime
    ) -> TimedSuspendExecution:
        return cls(message, datetime_timestamp.timestamp())


class OrphanedChildException(BaseException):
    """A child operation tried to checkpoint after its parent (or the execution) completed."""

    def __init__(self, message: str, operation_id: str):
        super().__init__(message)
        self.message = message
        self.operation_id = operation_id
