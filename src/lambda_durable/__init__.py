"""lambda_durable: AWS Lambda durable functions for Python, with a compiled core.

The public API mirrors ``aws-durable-execution-sdk-python`` 3.x (same names, signatures and
submodules), so a handler migrates by rewriting its imports::

    from lambda_durable import DurableContext, durable_execution, durable_step

``EXTENSIONS`` is True when the compiled (Cython) core is in use, False on the pure-Python twins
(``LAMBDA_DURABLE_NO_EXTENSIONS=1`` forces them).
"""
from . import _completion, _ids

#: True when the compiled (Cython) core is in use: every accelerated module loaded its ``_c`` twin.
EXTENSIONS: bool = _ids.COMPILED and _completion.COMPILED
from .concurrency.models import BatchCompletionError, BatchResult
from .config import (
    BatchItemStatus,
    CompletionDecision,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
    ParallelBranch,
    complete_batch,
    continue_batch,
)
from .context import (
    DurableContext,
    durable_parallel_branch,
    durable_step,
    durable_wait_for_callback,
    durable_with_child_context,
)
from .exceptions import (
    CallbackError,
    CallbackExternalError,
    CallbackSubmitterError,
    CallbackTimeoutError,
    ChildContextError,
    CombinatorError,
    DurableExecutionsError,
    DurableOperationError,
    ExecutionError,
    InvocationError,
    InvokeError,
    PluginLoadError,
    RetryableSerDesError,
    SerDesError,
    StepError,
    ValidationError,
    WaitForConditionError,
)
from .execution import durable_execution
from .retries import WithRetryConfig, with_retry
from .types import StepContext

__version__ = "0.1.0"

__all__ = [
    "EXTENSIONS",
    "BatchCompletionError",
    "BatchItemStatus",
    "BatchResult",
    "CallbackError",
    "CallbackExternalError",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "ChildContextError",
    "CombinatorError",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionStatus",
    "DurableContext",
    "DurableExecutionsError",
    "DurableOperationError",
    "ExecutionError",
    "InvocationError",
    "InvokeError",
    "ParallelBranch",
    "PluginLoadError",
    "RetryableSerDesError",
    "SerDesError",
    "StepContext",
    "StepError",
    "ValidationError",
    "WaitForConditionError",
    "WithRetryConfig",
    "__version__",
    "complete_batch",
    "continue_batch",
    "durable_execution",
    "durable_parallel_branch",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
    "with_retry",
]
