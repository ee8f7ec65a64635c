"""lambda_durable.testing: an in-process durable execution service and a test runner for it.

- :class:`DurableFunctionTestRunner` (``runner``): the official testing SDK's runner API;
  :class:`DurableFunctionCloudTestRunner` (``cloud``) the same for a deployed function (boto3).
- :class:`LocalDurableService` (``service``): the emulated service (checkpoint/state APIs with the
  service's validation, history, timers on a virtual clock, callbacks, chained invokes).
- ``history``: event building; ``clock``: the virtual clock; ``operations``: typed operation views.
"""
from ..lambda_service import InvocationStatus
from .clock import VirtualClock
from .errors import (
    CallbackTimeoutException,
    DurableFunctionsTestError,
    DurableServiceError,
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from .operations import (
    OPERATION_FACTORIES,
    CallbackOperation,
    ContextOperation,
    ExecutionOperation,
    InvokeOperation,
    Operation,
    StepOperation,
    WaitOperation,
    create_operation,
)
from .runner import (
    DEFAULT_CHILD_EXECUTION_TIMEOUT_SECONDS,
    DEFAULT_CHILD_RETENTION_PERIOD_DAYS,
    DEFAULT_MAX_INVOCATION_PAGE_BYTES,
    DurableChildContextTestRunner,
    DurableFunctionCloudTestRunner,
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    ExecutionHistory,
)
from .service import (
    DriveOutcome,
    LocalDurableService,
    LocalServiceClient,
    OpenCallback,
    is_durable_handler,
    require_durable_handler,
)
from .store import ExecutionStatus, LambdaContext

__all__ = [
    "DEFAULT_CHILD_EXECUTION_TIMEOUT_SECONDS",
    "DEFAULT_CHILD_RETENTION_PERIOD_DAYS",
    "DEFAULT_MAX_INVOCATION_PAGE_BYTES",
    "OPERATION_FACTORIES",
    "CallbackOperation",
    "CallbackTimeoutException",
    "ContextOperation",
    "DriveOutcome",
    "DurableChildContextTestRunner",
    "DurableFunctionCloudTestRunner",
    "DurableFunctionTestResult",
    "DurableFunctionTestRunner",
    "DurableFunctionsTestError",
    "DurableServiceError",
    "ExecutionHistory",
    "ExecutionOperation",
    "ExecutionStatus",
    "InvalidParameterValueException",
    "InvocationStatus",
    "InvokeOperation",
    "LambdaContext",
    "LocalDurableService",
    "LocalServiceClient",
    "OpenCallback",
    "Operation",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "StepOperation",
    "VirtualClock",
    "WaitOperation",
    "create_operation",
    "is_durable_handler",
    "require_durable_handler",
]
