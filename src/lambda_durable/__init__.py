"""lambda_durable: AWS Lambda durable functions for Python, with a compiled core.

The public API mirrors ``aws-durable-execution-sdk-python`` 3.x (same names, signatures and
submodules), so a handler migrates by rewriting its imports::

    from lambda_durable import DurableContext, durable_execution, durable_step

``EXTENSIONS`` is True when the compiled (Cython) core is in use, False on the pure-Python twins
(``LAMBDA_DURABLE_NO_EXTENSIONS=1`` forces them).
"""
from typing import TYPE_CHECKING, Any

# The decorator path (``durable_execution``, ``DurableContext`` and the operation decorators) and
# the exceptions are imported eagerly; everything else is loaded on first access (PEP 562,
# ``__getattr__`` below), so ``import lambda_durable`` builds no more than a handler needs.
from .context import (
    DurableContext,
    durable_parallel_branch,
    durable_step,
    durable_wait_for_callback,
    durable_with_child_context,
)
from .exceptions import (
    BatchCompletionError,
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

if TYPE_CHECKING:  # pragma: no cover
    from .concurrency.models import BatchResult
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
    from .retries import WithRetryConfig, with_retry
    from .types import StepContext

    #: True when the compiled (Cython) core is in use: every accelerated module loaded its
    #: ``_c`` twin.
    EXTENSIONS: bool

#: public name -> submodule defining it, imported on first access
_LAZY = {
    "BatchResult": "concurrency.models",
    "BatchItemStatus": "config",
    "CompletionDecision": "config",
    "CompletionItemStatus": "config",
    "CompletionOutcome": "config",
    "CompletionStatus": "config",
    "ParallelBranch": "config",
    "complete_batch": "config",
    "continue_batch": "config",
    "WithRetryConfig": "retries",
    "with_retry": "retries",
    "StepContext": "types",
}


def _compute_extensions() -> bool:
    """``EXTENSIONS``: every accelerated module (its selector) loaded the compiled ``_c`` twin."""
    from . import _batching, _completion, _envelope, _ids, _table

    return (_ids.COMPILED and _completion.COMPILED and _envelope.COMPILED
            and _table.COMPILED and _batching.COMPILED)


def __getattr__(name: str) -> Any:
    if name == "EXTENSIONS":
        value: Any = _compute_extensions()
    else:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
