"""``DurableContext``: the handler's handle on durable operations, and the operation decorators.

Every operation takes the next ID from its context's counter (protocol.md 4.2), checks the stored
record at that ID is the same operation (type, sub-type, name, parent; else
:class:`NonDeterministicExecutionError`) and acts on its status; see ``lambda_durable.operation``
for each operation's rules. Argument validation happens before an ID is taken.
"""
from __future__ import annotations

import copy
import datetime
import functools
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Concatenate, ParamSpec, Sequence, TypeVar

from dataclasses import dataclass

from ._ids import IdSequence
from ._wire import to_datetime
from .concurrency._scope import ScopedState
from .config import (
    CallbackConfig,
    ChildConfig,
    Duration,
    InvokeConfig,
    MapConfig,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
    WaitForCallbackConfig,
)
from .exceptions import (
    CallbackError,
    CallbackSubmitterError,
    ChildContextError,
    StepError,
    ValidationError,
)
from .limits import (
    MAX_DURATION_SECONDS,
    MAX_NAME_LENGTH,
    MIN_DURATION_SECONDS,
    NAME_PATTERN,
)
from .logger import DurableLogger
from .operation.batch import MAP_KINDS, PARALLEL_KINDS, run_batch
from .operation.callback import Callback, create_callback
from .operation.child import run_child
from .operation.combinators import run_all, run_all_settled, run_any, run_race
from .operation.invoke import run_invoke
from .operation.step import run_step
from .operation.wait import run_wait
from .operation.wait_for_condition import run_wait_for_condition
from .types import StepContext, WaitForCallbackContext, WaitForConditionCheckContext

if TYPE_CHECKING:  # pragma: no cover
    from .concurrency.models import BatchResult
    from .state import ExecutionState
    from .waits import WaitForConditionConfig

T = TypeVar("T")
U = TypeVar("U")
R = TypeVar("R")
P = TypeVar("P")
Params = ParamSpec("Params")

__all__ = [
    "Callback",
    "DurableContext",
    "ExecutionContext",
    "ReplayStatus",
    "durable_parallel_branch",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
]

_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED"})


class ReplayStatus(Enum):
    """Whether a context is replaying completed operations (NEW = executing new work)."""

    NEW = "new"
    REPLAY = "replay"


@dataclass(frozen=True)
class ExecutionContext:
    """Identity of the running execution."""

    durable_execution_arn: str


class DurableContext:
    """Durable operations for one context (the root, a child context, or a map/parallel item).

    User code receives it as the handler's second argument; operations issued on it are
    numbered in call order, so they must be issued in a deterministic order.
    """

    def __init__(
        self,
        state: ExecutionState,
        execution_context: ExecutionContext,
        lambda_context: Any = None,
        parent_id: str | None = None,
        logger: Any = None,
        step_id_prefix: str | None = None,
        replay_status: ReplayStatus = ReplayStatus.NEW,
    ) -> None:
        self.state = state
        self.execution_context = execution_context
        self.lambda_context = lambda_context
        self._parent_id = parent_id
        self._ids = IdSequence(step_id_prefix)
        self._replaying = replay_status is ReplayStatus.REPLAY
        self._virtual = False
        self._mode_aware = True
        #: map/parallel branch scope (None at the root): closed when the batch no longer waits
        self._scope = None
        self._base_logger = logger
        self._logger = self._make_logger()

    # -- construction -------------------------------------------------------------------------

    @staticmethod
    def from_lambda_context(
        state: ExecutionState,
        lambda_context: Any,
        replay_status: ReplayStatus = ReplayStatus.NEW,
    ) -> DurableContext:
        """The root context of an invocation."""
        return DurableContext(
            state,
            ExecutionContext(state.durable_execution_arn),
            lambda_context,
            replay_status=replay_status,
        )

    def create_child_context(self, operation_id: str, *, is_virtual: bool = False) -> DurableContext:
        """A context whose operations are numbered under ``operation_id``."""
        return self._child_context(operation_id, is_virtual=is_virtual, has_record=True)

    def _child_context(self, operation_id: str, *, is_virtual: bool, has_record: bool) -> DurableContext:
        child = DurableContext.__new__(DurableContext)
        child.state = self.state
        child.execution_context = self.execution_context
        child.lambda_context = self.lambda_context
        child._parent_id = self._parent_id if is_virtual else operation_id
        child._ids = IdSequence(operation_id)
        child._replaying = self._replaying and has_record
        child._virtual = is_virtual
        child._mode_aware = self._mode_aware
        child._scope = self._scope
        child._base_logger = self._base_logger
        child._logger = child._make_logger()
        return child

    def _with_scope(self, scope: Any) -> DurableContext:
        """This context, for the operations of one map/parallel branch running in ``scope``."""
        clone = copy.copy(self)
        clone._scope = scope
        # checkpoints of the branch are re-checked against its scope under the state lock
        clone.state = ScopedState(getattr(self.state, "_state", self.state), scope)
        return clone

    @property
    def is_virtual(self) -> bool:
        """True for a FLAT map/parallel item or a ``ChildConfig(is_virtual=True)`` context."""
        return self._virtual

    # -- replay status and logging ------------------------------------------------------------

    def is_replaying(self) -> bool:
        """True while this context re-issues operations that already completed."""
        return self._replaying

    def _make_logger(self) -> DurableLogger:
        return DurableLogger._deferred(
            self._base_logger,
            ("executionArn", "parentId"),
            (self.execution_context.durable_execution_arn, self._parent_id),
            self.is_replaying if self._mode_aware else None,
        )

    @property
    def logger(self) -> DurableLogger:
        """Logger adding ``executionArn`` (and ``parentId``) to each record; silent while
        replaying unless configured otherwise."""
        return self._logger

    def set_logger(self, new_logger: Any) -> None:
        """Log through ``new_logger`` (any stdlib-style logger, Powertools' ``Logger`` included)."""
        self._base_logger = new_logger
        self._logger = self._make_logger()

    def configure_logger(self, custom_logger: Any = None, mode_aware: bool = True) -> None:
        """Set the target logger (``None`` keeps the current one) and whether records emitted
        while replaying are suppressed."""
        if custom_logger is not None:
            self._base_logger = custom_logger
        self._mode_aware = mode_aware
        self._logger = self._make_logger()

    def _operation_logger(self, operation_id: str, name: str | None, attempt: int | None) -> DurableLogger:
        """Logger for user code running inside an operation (never suppressed: it only runs
        when the operation executes). Cheap, as it is built for every attempt and few log: the
        fields dict is made (without its ``None`` values) when it first logs."""
        return DurableLogger._deferred(
            self._base_logger,
            ("executionArn", "parentId", "operationId", "operationName", "attempt"),
            (
                self.execution_context.durable_execution_arn,
                self._parent_id,
                operation_id,
                name,
                attempt,
            ),
        )

    # -- time ---------------------------------------------------------------------------------

    def current_time(self) -> datetime.datetime:
        """The execution's start time (aware UTC datetime) from checkpointed state: the same on
        every replay, unlike ``datetime.now()``."""
        start = self.state.execution_start_timestamp()
        if start is None:
            raise ValidationError("current_time: the execution operation has no StartTimestamp")
        return to_datetime(start)

    # -- ID allocation ------------------------------------------------------------------------

    def _next_id(self) -> str:
        operation_id = self._ids.next_id()
        if self._replaying:
            record = self.state.operations.get(operation_id)
            if record is None or (record["Type"] == "STEP" and record["Status"] not in _TERMINAL):
                self._replaying = False
        return operation_id

    def _after_operation(self) -> None:
        if self._replaying and self._ids.peek_id() not in self.state.operations:
            self._replaying = False

    # -- operations ---------------------------------------------------------------------------

    def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T:
        """Run ``func(step_context)`` as a checkpointed step and return its (round-tripped)
        result. Raises :class:`StepError` when it fails for good (after its retry strategy)."""
        if not callable(func):
            raise ValidationError(f"step: func must be callable, got {type(func).__name__}")
        name = _resolve_name("step", name, func)
        operation_id = self._next_id()
        result = run_step(self, operation_id, func, name, config)
        self._after_operation()
        return result

    def wait(self, duration: Duration, name: str | None = None) -> None:
        """Suspend durably for ``duration`` (whole seconds, 1 s .. 31,622,400 s)."""
        seconds = _duration_seconds("wait", duration)
        if seconds < MIN_DURATION_SECONDS or seconds > MAX_DURATION_SECONDS:
            raise ValidationError(
                f"wait {name or ''}: duration must be between {MIN_DURATION_SECONDS} and "
                f"{MAX_DURATION_SECONDS} seconds, got {seconds}".replace("wait :", "wait:")
            )
        name = _check_name("wait", name)
        operation_id = self._next_id()
        run_wait(self, operation_id, seconds, name)
        self._after_operation()

    def create_callback(self, name: str | None = None, config: CallbackConfig | None = None) -> Callback:
        """Create a callback an external system completes by its ``callback_id``."""
        name = _check_name("create_callback", name)
        operation_id = self._next_id()
        callback = create_callback(self, operation_id, name, config)
        self._after_operation()
        return callback

    def wait_for_callback(
        self,
        submitter: Callable[[str, WaitForCallbackContext], None],
        name: str | None = None,
        config: WaitForCallbackConfig | None = None,
    ) -> Any:
        """Create a callback, run ``submitter(callback_id, ctx)`` as a step (with the config's
        retry strategy), and return the callback's result. Raises :class:`CallbackTimeoutError`,
        :class:`CallbackExternalError`, or :class:`CallbackSubmitterError` (submitter failed)."""
        if not callable(submitter):
            raise ValidationError("wait_for_callback: submitter must be callable")
        name = _resolve_name("wait_for_callback", name, submitter)
        prefix = f"{name} " if name else ""
        _check_name("wait_for_callback", f"{prefix}create callback id")  # the longest child name
        operation_id = self._next_id()

        def body(child: DurableContext) -> Any:
            callback = child.create_callback(name=f"{prefix}create callback id", config=config)

            def submit(step_context: StepContext) -> None:
                return submitter(callback.callback_id, WaitForCallbackContext(logger=step_context.logger))

            step_config = (
                StepConfig(retry_strategy=config.retry_strategy, serdes=config.serdes)
                if config is not None
                else None
            )
            child.step(submit, name=f"{prefix}submitter", config=step_config)
            return callback.result()

        try:
            result = run_child(self, operation_id, body, name, "WaitForCallback")
        except ChildContextError as error:
            cause = error.__cause__
            if isinstance(cause, CallbackError):
                raise cause from None
            if isinstance(cause, StepError):
                raise CallbackSubmitterError(
                    cause.message or "Callback submitter failed",
                    data=cause.data,
                    stack_trace=cause.stack_trace,
                ) from cause
            raise
        self._after_operation()
        return result

    def wait_for_condition(
        self,
        check: Callable[[T, WaitForConditionCheckContext], T],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T:
        """Poll ``check(state, ctx)`` (each poll a durable attempt) until the config's wait
        strategy stops; returns the final state. Raises :class:`WaitForConditionError`."""
        if check is None or not callable(check):
            raise ValidationError("wait_for_condition: `check` is required and must be callable")
        if not config:
            raise ValidationError("wait_for_condition: `config` is required")
        name = _check_name("wait_for_condition", name)
        operation_id = self._next_id()
        result = run_wait_for_condition(self, operation_id, check, config, name)
        self._after_operation()
        return result

    def invoke(
        self,
        function_name: str,
        payload: P,
        name: str | None = None,
        config: InvokeConfig | None = None,
    ) -> Any:
        """Invoke another Lambda function (a chained invoke) and return its result.
        Raises :class:`InvokeError` when it fails, times out or is stopped."""
        if not function_name or not isinstance(function_name, str):
            raise ValidationError("invoke: function_name must be a non-empty string")
        name = _check_name("invoke", name)
        operation_id = self._next_id()
        result = run_invoke(self, operation_id, function_name, payload, name, config)
        self._after_operation()
        return result

    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig | None = None,
    ) -> T:
        """Run ``func(child_context)`` as a child context; returns its (round-tripped) result.
        Raises :class:`ChildContextError` when the body fails."""
        if not callable(func):
            raise ValidationError("run_in_child_context: func must be callable")
        name = _resolve_name("run_in_child_context", name, func)
        operation_id = self._next_id()
        config = config or ChildConfig()
        result = run_child(
            self,
            operation_id,
            func,
            name,
            config.sub_type or "RunInChildContext",
            serdes=config.serdes,
            summary_generator=config.summary_generator,
            is_virtual=config.is_virtual,
        )
        self._after_operation()
        return result

    def map(
        self,
        inputs: Sequence[U],
        func: Callable[[DurableContext, U, int, Sequence[U]], T],
        name: str | None = None,
        config: MapConfig | None = None,
    ) -> BatchResult[T]:
        """Run ``func(ctx, item, index, inputs)`` for each input as a child context; returns a
        :class:`BatchResult` (item failures are recorded, never raised)."""
        if not callable(func):
            raise ValidationError("map: func must be callable")
        config = config or MapConfig()
        items = list(inputs)
        _validate_batch("map", len(items), config)
        name = _resolve_name("map", name, func)
        namer = config.item_namer
        branches = [
            (
                _check_name("map", namer(item, index)) if namer else f"map-item-{index}",
                _bind_map_item(func, item, index, items),
            )
            for index, item in enumerate(items)
        ]
        operation_id = self._next_id()
        result = run_batch(self, operation_id, MAP_KINDS, branches, name, config)
        self._after_operation()
        return result

    def parallel(
        self,
        functions: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> BatchResult[T]:
        """Run each function (or :class:`ParallelBranch`) as a branch child context; returns a
        :class:`BatchResult` (branch failures are recorded, never raised)."""
        config = config or ParallelConfig()
        functions = list(functions)
        _validate_batch("parallel", len(functions), config)
        branches = []
        for index, fn in enumerate(functions):
            if isinstance(fn, ParallelBranch):
                branches.append((_check_name("parallel", fn.name) or f"parallel-branch-{index}", fn.func))
            elif callable(fn):
                branches.append((f"parallel-branch-{index}", fn))
            else:
                raise ValidationError(f"parallel: branch {index} is not callable")
        name = _check_name("parallel", name)
        operation_id = self._next_id()
        result = run_batch(self, operation_id, PARALLEL_KINDS, branches, name, config)
        self._after_operation()
        return result

    # -- combinators (built on parallel; see lambda_durable.operation.combinators) -------------

    def all(
        self,
        branches: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> list[T]:
        """Run the branches as one ``parallel``; return their results in order, or raise
        :class:`CombinatorError` carrying every failure (fails fast on the first one)."""
        return run_all(self, branches, name, config)

    def all_settled(
        self,
        branches: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> BatchResult[T]:
        """Run every branch to its end as one ``parallel``; return the :class:`BatchResult`
        whatever fails."""
        return run_all_settled(self, branches, name, config)

    def any(
        self,
        branches: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> T:
        """Return the first branch result to succeed; raise :class:`CombinatorError` with every
        failure when all branches fail."""
        return run_any(self, branches, name, config)

    def race(
        self,
        branches: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> T:
        """Return (or raise, as :class:`ChildContextError`) the outcome of the first branch to
        settle; the others are abandoned."""
        return run_race(self, branches, name, config)


def _bind_map_item(func, item, index, items):
    return lambda ctx: func(ctx, item, index, items)


def _validate_batch(op: str, count: int, config: Any) -> None:
    completion = config.completion_config
    if completion is not None:
        try:
            completion.validate_for_total(count)
        except ValidationError as error:
            raise ValidationError(f"{op}: {error}") from None


def _duration_seconds(op: str, duration: Any) -> int:
    if isinstance(duration, Duration):
        return duration.to_seconds()
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        return int(duration)
    raise ValidationError(f"{op}: duration must be a Duration, got {type(duration).__name__}")


def _check_name(op: str, name: Any) -> str | None:
    """Validate an operation name against the API (1..256 printable ASCII); ``""`` -> None."""
    if name is None or name == "":
        return None
    if not isinstance(name, str):
        raise ValidationError(f"{op}: name must be a string, got {type(name).__name__}")
    if len(name) > MAX_NAME_LENGTH or not NAME_PATTERN.fullmatch(name):
        problem = (
            f"is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
            if len(name) > MAX_NAME_LENGTH
            else "contains characters outside printable ASCII"
        )
        raise ValidationError(
            f"{op} {name[:40]!r}: operation name {problem}; the service accepts 1..256 printable "
            "ASCII characters"
        )
    return name


def _resolve_name(op: str, name: str | None, func: Any) -> str | None:
    if not name:
        name = getattr(func, "_original_name", None)
    return _check_name(op, name)


# -- decorators --------------------------------------------------------------------------------


def durable_step(
    func: Callable[Concatenate[StepContext, Params], T],
) -> Callable[Params, Callable[[StepContext], T]]:
    """``@durable_step`` turns ``f(step_context, *args)`` into ``f(*args)`` returning a step
    function; the step is named after ``f`` unless ``context.step(..., name=...)`` says otherwise."""

    @functools.wraps(func)
    def bind(*args: Any, **kwargs: Any) -> Callable[[StepContext], T]:
        def step_function(step_context: StepContext) -> T:
            return func(step_context, *args, **kwargs)

        step_function._original_name = func.__name__  # type: ignore[attr-defined]
        return step_function

    return bind


def durable_with_child_context(
    func: Callable[Concatenate[DurableContext, Params], T],
) -> Callable[Params, Callable[[DurableContext], T]]:
    """``@durable_with_child_context`` turns ``f(ctx, *args)`` into ``f(*args)`` returning a
    function for ``run_in_child_context``, named after ``f``."""

    @functools.wraps(func)
    def bind(*args: Any, **kwargs: Any) -> Callable[[DurableContext], T]:
        def child_function(ctx: DurableContext) -> T:
            return func(ctx, *args, **kwargs)

        child_function._original_name = func.__name__  # type: ignore[attr-defined]
        return child_function

    return bind


def durable_wait_for_callback(
    func: Callable[Concatenate[str, WaitForCallbackContext, Params], T],
) -> Callable[Params, Callable[[str, WaitForCallbackContext], T]]:
    """``@durable_wait_for_callback`` turns ``f(callback_id, ctx, *args)`` into ``f(*args)``
    returning a submitter for ``wait_for_callback``, named after ``f``."""

    @functools.wraps(func)
    def bind(*args: Any, **kwargs: Any) -> Callable[[str, WaitForCallbackContext], T]:
        def submitter(callback_id: str, ctx: WaitForCallbackContext) -> T:
            return func(callback_id, ctx, *args, **kwargs)

        submitter._original_name = func.__name__  # type: ignore[attr-defined]
        return submitter

    return bind


def durable_parallel_branch(
    name: str | None = None,
) -> Callable[[Callable[Concatenate[DurableContext, Params], T]], Callable[Params, ParallelBranch[T]]]:
    """``@durable_parallel_branch(name=...)`` turns ``f(ctx, *args)`` into ``f(*args)`` returning
    a :class:`ParallelBranch` (unnamed branches are ``parallel-branch-<i>``, as the official SDK)."""

    def decorate(func: Callable[..., T]) -> Callable[..., ParallelBranch[T]]:
        @functools.wraps(func)
        def bind(*args: Any, **kwargs: Any) -> ParallelBranch[T]:
            return ParallelBranch(func=lambda ctx: func(ctx, *args, **kwargs), name=name)

        return bind

    return decorate
