"""Protocols and small value types shared across the SDK (official SDK 3.x ``types`` module).

Imports nothing from the rest of the package at run time, so any module may import it.
"""
from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable, Mapping, Sequence

    from .config import (
        CallbackConfig,
        ChildConfig,
        Duration,
        MapConfig,
        ParallelBranch,
        ParallelConfig,
        StepConfig,
    )

T = TypeVar("T")
U = TypeVar("U")
C_co = TypeVar("C_co", covariant=True)
C_contra = TypeVar("C_contra", contravariant=True)

__all__ = [
    "BatchResult",
    "Callback",
    "DurableContext",
    "DurableExecutionArn",
    "LambdaContext",
    "LoggerInterface",
    "OperationContext",
    "StepContext",
    "SummaryGenerator",
    "WaitForCallbackContext",
    "WaitForConditionCheckContext",
]


class LoggerInterface(Protocol):
    """What the SDK needs of a logger (``logging.Logger`` and most structured loggers fit);
    ``extra`` is merged into the log record."""

    def debug(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None: ...

    def info(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None: ...

    def warning(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None: ...

    def error(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None: ...

    def exception(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None: ...


@dataclass(frozen=True)
class OperationContext:
    """Base of the contexts handed to user code inside an operation."""

    logger: LoggerInterface


@dataclass(frozen=True)
class StepContext(OperationContext):
    """Passed to a step body: ``attempt`` is the current attempt, 1 for the first."""

    attempt: int


@dataclass(frozen=True)
class WaitForCallbackContext(OperationContext):
    """Passed to a ``wait_for_callback`` submitter."""


@dataclass(frozen=True)
class WaitForConditionCheckContext(OperationContext):
    """Passed to a ``wait_for_condition`` check: ``attempt`` is the current check, 1 for the
    first."""

    attempt: int


class Callback(Protocol, Generic[C_co]):
    """A callback created by ``create_callback``: give ``callback_id`` to the external system,
    then ``result()`` returns its result (suspending until it arrives)."""

    callback_id: str

    @abstractmethod
    def result(self) -> C_co | None:
        """The callback's result; raises a ``CallbackError`` subclass if it failed or timed
        out."""
        ...


class BatchResult(Protocol, Generic[T]):
    """What ``map``/``parallel`` return (implemented by
    :class:`lambda_durable.concurrency.models.BatchResult`)."""

    @abstractmethod
    def get_results(self) -> list[T]:
        """Results of the succeeded items, in index order."""
        ...


class DurableContext(Protocol):
    """The durable operations user code calls (implemented by
    :class:`lambda_durable.context.DurableContext`)."""

    @abstractmethod
    def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T: ...

    @abstractmethod
    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig | None = None,
    ) -> T: ...

    @abstractmethod
    def map(
        self,
        inputs: Sequence[U],
        func: Callable[[DurableContext, U, int, Sequence[U]], T],
        name: str | None = None,
        config: MapConfig | None = None,
    ) -> BatchResult[T]: ...

    @abstractmethod
    def parallel(
        self,
        functions: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> BatchResult[T]: ...

    @abstractmethod
    def wait(self, duration: Duration, name: str | None = None) -> None: ...

    @abstractmethod
    def create_callback(
        self, name: str | None = None, config: CallbackConfig | None = None
    ) -> Callback: ...


class LambdaContext(Protocol):
    """The Lambda runtime's context object (the attributes the SDK and users read)."""

    aws_request_id: str
    log_group_name: str | None = None
    log_stream_name: str | None = None
    function_name: str | None = None
    memory_limit_in_mb: str | None = None
    function_version: str | None = None
    invoked_function_arn: str | None = None
    tenant_id: str | None = None
    client_context: Any | None = None
    identity: Any | None = None

    def get_remaining_time_in_millis(self) -> int: ...

    def log(self, msg) -> None: ...


class SummaryGenerator(Protocol[C_contra]):
    """``(result) -> str``: a compact stand-in checkpointed instead of a result larger than the
    per-operation limit (262,144 bytes); the operation then replays its children."""

    def __call__(self, result: C_contra) -> str: ...


# arn:<partition>:lambda:<region>:<12-digit account>:function:<function name>:<qualifier>
#   /durable-execution/<execution name>/<invocation id>   (protocol.md 1.4)
# (compiled by the first parse, through ``re``'s cache, not at import)
_ARN_PATTERN = (
    r"arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:function:([a-zA-Z0-9_-]+)"
    r":(?:\$LATEST(?:\.PUBLISHED)?|\d+)"
    r"/durable-execution/([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)"
)
_MAX_ARN_LENGTH = 1024


@dataclass(frozen=True)
class DurableExecutionArn:
    """The parts of a durable execution ARN ``arn:<partition>:lambda:<region>:<account>:function:
    <function_name>:<qualifier>/durable-execution/<execution_name>/<invocation_id>``."""

    function_name: str
    execution_name: str
    invocation_id: str

    @classmethod
    def from_arn(cls, arn: str) -> DurableExecutionArn | None:
        """Parse ``arn`` (the ``DurableExecutionArn`` form of protocol.md 1.4: 12-digit account,
        qualifier ``$LATEST``, ``$LATEST.PUBLISHED`` or a version number, at most 1024 chars);
        None when it is not such an ARN. Never raises."""
        if not isinstance(arn, str) or len(arn) > _MAX_ARN_LENGTH:
            return None
        match = re.fullmatch(_ARN_PATTERN, arn)
        if match is None:
            return None
        return cls(match.group(1), match.group(2), match.group(3))
