"""Test runner for durable functions on the local durable execution service.

Mirrors the official testing SDK's runner (``aws_durable_execution_sdk_python_testing.runner``)
so its tests port by rewriting imports::

    from lambda_durable.testing import DurableFunctionTestRunner
    from lambda_durable.lambda_service import InvocationStatus

    with DurableFunctionTestRunner(handler=my_handler) as runner:
        result = runner.run(input='{"order_id": 1}')
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.get_step("validate").result == '{"t":"m",...}'

``run()`` drives the execution in the calling thread on a virtual clock (waits, retry delays and
callback timeouts elapse at once); when it cannot go on without an answer to an open callback it
returns immediately with status ``PENDING`` and the open callbacks in ``result`` /
``open_callbacks``. ``run_async()`` drives it in a background thread where callback timeouts follow
the wall clock (or :meth:`~DurableFunctionTestRunner.advance_time`); answer callbacks with
``wait_for_callback`` + ``send_callback_success``/``failure``/``heartbeat``.

Extras over the official runner (keyword-only): ``on_event`` (history listener),
``stop_on_unanswered_callback`` (never let an unanswered callback time out in ``run()``),
``omit_completed_children``, :meth:`~DurableFunctionTestRunner.answer_callback` (scripted
answers), :meth:`~DurableFunctionTestRunner.advance_time`, ``DurableFunctionTestResult.history``.
"""
from __future__ import annotations

import json
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, cast

from ..lambda_service import ErrorObject, InvocationStatus
from .errors import DurableFunctionsTestError
from .history import CALLBACK_STARTED, INVOCATION_COMPLETED
from .operations import (
    OPERATION_FACTORIES,
    CallbackOperation,
    ContextOperation,
    ExecutionOperation,
    InvokeOperation,
    Operation,
    StepOperation,
    WaitOperation,
    build_operation_tree,
    create_operation,
)
from .service import (
    LocalDurableService,
    OpenCallback,
    is_durable_handler,
)
from .store import DEFAULT_MAX_INVOCATION_PAGE_BYTES, ExecutionStatus, LocalExecution

__all__ = [
    "DEFAULT_CHILD_EXECUTION_TIMEOUT_SECONDS",
    "DEFAULT_CHILD_RETENTION_PERIOD_DAYS",
    "DEFAULT_MAX_INVOCATION_PAGE_BYTES",
    "CallbackOperation",
    "ContextOperation",
    "DurableChildContextTestRunner",
    "DurableFunctionTestResult",
    "DurableFunctionTestRunner",
    "ExecutionHistory",
    "ExecutionOperation",
    "InvokeOperation",
    "OPERATION_FACTORIES",
    "Operation",
    "StepOperation",
    "WaitOperation",
    "create_operation",
]

DEFAULT_CHILD_EXECUTION_TIMEOUT_SECONDS = 120
DEFAULT_CHILD_RETENTION_PERIOD_DAYS = 1


class ExecutionHistory(dict):
    """A ``GetDurableExecutionHistory`` response ``{"Events": [event dict, ...]}``; ``.events``
    is the same list."""

    @property
    def events(self) -> list[dict[str, Any]]:
        return self["Events"]


@dataclass(frozen=True)
class DurableFunctionTestResult:
    """The outcome of one execution.

    ``status``: ``InvocationStatus.SUCCEEDED`` / ``FAILED`` (also for timed-out and stopped
    executions), or ``PENDING`` when a synchronous run stopped at unanswered callbacks.
    ``result``: the result JSON string (as the handler returned it); for PENDING a JSON list of
    ``{"name", "callback_id"}`` of the open callbacks. ``error``: the execution's ErrorObject.
    ``operations``: typed top-level operations (children nested). ``history``: the execution's
    events (``GetDurableExecutionHistory`` shape, with data). ``open_callbacks``: the callbacks a
    PENDING execution waits on.
    """

    status: InvocationStatus
    operations: list[Operation]
    result: str | None = None
    error: ErrorObject | None = None
    execution_status: ExecutionStatus | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    execution_arn: str | None = None
    open_callbacks: list[OpenCallback] = field(default_factory=list)

    def get_operation_by_name(self, name: str) -> Operation:
        """The first top-level operation named ``name``; raises
        :class:`DurableFunctionsTestError` if there is none."""
        for operation in self.operations:
            if operation.name == name:
                return operation
        raise DurableFunctionsTestError(f"Operation with name '{name}' not found")

    def get_step(self, name: str) -> StepOperation:
        return cast(StepOperation, self.get_operation_by_name(name))

    def get_wait(self, name: str) -> WaitOperation:
        return cast(WaitOperation, self.get_operation_by_name(name))

    def get_context(self, name: str) -> ContextOperation:
        return cast(ContextOperation, self.get_operation_by_name(name))

    def get_callback(self, name: str) -> CallbackOperation:
        return cast(CallbackOperation, self.get_operation_by_name(name))

    def get_invoke(self, name: str) -> InvokeOperation:
        return cast(InvokeOperation, self.get_operation_by_name(name))

    def get_execution(self, name: str) -> ExecutionOperation:
        return cast(ExecutionOperation, self.get_operation_by_name(name))

    def get_all_operations(self) -> list[Operation]:
        """Every operation, nested ones included (depth first, parents before children)."""
        out: list[Operation] = []
        stack = list(reversed(self.operations))
        while stack:
            operation = stack.pop()
            out.append(operation)
            stack.extend(reversed(getattr(operation, "child_operations", None) or []))
        return out


class DurableFunctionTestRunner:
    """Runs a durable handler on an in-process :class:`LocalDurableService`.

    Args (as the official runner):
        handler: the durable handler (``@durable_execution``-wrapped), called as
            ``handler(event, lambda_context)``.
        poll_interval: accepted for compatibility; nothing polls.
        max_invocation_page_bytes: page size (bytes) of the state handed to the handler.
        execution_timeout: default wall-clock seconds an execution may run (``ExecutionTimedOut``).
        invocation_timeout: seconds the Lambda context reports as the invocation's time limit.
        store: only ``None`` (in-memory) is supported.
        skip_time: skip virtual time to the next timer (default); False waits for real.
        region: used in ARNs and Lambda contexts.

    Keyword-only extras:
        on_event: ``callable(event_dict)`` called as each history event of the executions this
            runner starts is appended (chained child executions excluded).
        stop_on_unanswered_callback: in ``run()``, stop with PENDING at an unanswered callback
            even when it has a timeout (instead of letting the timeout elapse virtually).
        omit_completed_children: leave children of completed contexts out of the handler's
            state (service behaviour; default True).
    """

    def __init__(
        self,
        handler: Callable,
        poll_interval: float = 1.0,
        max_invocation_page_bytes: int | None = None,
        execution_timeout: int = 300,
        invocation_timeout: int = 900,
        store: Any = None,
        skip_time: bool = True,
        region: str = "us-west-2",
        *,
        on_event: Callable[[dict], None] | None = None,
        stop_on_unanswered_callback: bool = False,
        omit_completed_children: bool = True,
    ) -> None:
        if store is not None:
            raise ValueError("lambda_durable's local service keeps executions in memory; store must be None")
        self.handler = handler
        self.poll_interval = poll_interval
        self._execution_timeout = execution_timeout
        self._on_event = on_event
        self._stop_on_unanswered = stop_on_unanswered_callback
        self.service = LocalDurableService(
            max_invocation_page_bytes=max_invocation_page_bytes,
            invocation_timeout=invocation_timeout,
            region=region,
            omit_completed_children=omit_completed_children,
            skip_time=skip_time,
        )
        self._threads: list[threading.Thread] = []

    # -- registration ---------------------------------------------------------------------------

    def register_durable_function(
        self,
        function_name: str,
        handler: Callable,
        execution_timeout: int = DEFAULT_CHILD_EXECUTION_TIMEOUT_SECONDS,
        retention_period_days: int = DEFAULT_CHILD_RETENTION_PERIOD_DAYS,
    ) -> DurableFunctionTestRunner:
        """Register a durable chained-invoke target: ``context.invoke(function_name, ...)`` runs
        ``handler`` as its own durable execution on this service. Returns the runner."""
        self.service.register_function(
            function_name,
            handler,
            durable=True,
            execution_timeout=execution_timeout,
            retention_period_days=retention_period_days,
        )
        return self

    def register_function(self, function_name: str, handler: Callable) -> DurableFunctionTestRunner:
        """Register a chained-invoke target. A plain function is called once with the decoded
        payload and a Lambda context (its return value, JSON-encoded, is the result); a
        ``@durable_execution`` handler is registered as a durable target. Returns the runner."""
        if is_durable_handler(handler):
            return self.register_durable_function(function_name, handler)
        self.service.register_function(function_name, handler, durable=False)
        return self

    def answer_callback(self, name: str, result: str | bytes | None = None) -> DurableFunctionTestRunner:
        """Script a callback answer: a callback whose Name is ``name``, or whose enclosing
        wait_for_callback is named ``name`` (``"*"``: any callback), is completed with success and
        ``result`` (raw text/bytes, usually JSON) once the invocation that created it has ended.
        The answer applies to every such callback. Returns the runner."""
        self.service.answer_callback(name, result)
        return self

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> DurableFunctionTestRunner:
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        self.close()

    def close(self) -> None:
        """Stop background drivers (each stops at its next step; a running handler finishes)."""
        self.service.close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=10)
        self._threads.clear()

    # -- running ---------------------------------------------------------------------------------

    def _start(
        self,
        input: Any,
        execution_timeout: int | None,
        timeout: int | None,
        function_name: str,
        execution_name: str,
        account_id: str,
        tenant_id: str | None,
    ) -> LocalExecution:
        if timeout is not None and execution_timeout is None:
            execution_timeout = timeout
        effective = execution_timeout if execution_timeout is not None else self._execution_timeout
        if input is not None and not isinstance(input, str):
            input = json.dumps(input)
        return self.service.start_execution(
            self.handler,
            input,
            function_name=function_name,
            execution_name=execution_name,
            account_id=account_id,
            execution_timeout=effective,
            tenant_id=tenant_id,
            on_event=self._on_event,
        )

    def run(
        self,
        input: str | None = None,  # noqa: A002 - the official name
        execution_timeout: int | None = None,
        timeout: int | None = None,
        function_name: str = "test-function",
        execution_name: str = "execution-name",
        account_id: str = "123456789012",
        tenant_id: str | None = None,
    ) -> DurableFunctionTestResult:
        """Run one execution to its end in this thread and return its result.

        ``input``: the input JSON text (any other value is JSON-encoded first).
        ``execution_timeout`` (``timeout`` is its deprecated alias): wall-clock seconds.
        Returns with status PENDING, at once, when only an answer to an open callback could make
        progress (see ``result``/``open_callbacks``); answer it (``send_callback_*``) and call
        :meth:`wait_for_result` to go on.
        """
        if timeout is not None and execution_timeout is None:
            warnings.warn(
                "timeout on run() is deprecated. Use execution_timeout instead.",
                DeprecationWarning,
                stacklevel=2,
            )
        execution = self._start(
            input, execution_timeout, timeout, function_name, execution_name, account_id, tenant_id
        )
        self.service.drive(execution, stop_on_unanswered_callback=self._stop_on_unanswered)
        return self._result(execution)

    def run_async(
        self,
        input: str | None = None,  # noqa: A002
        execution_timeout: int | None = None,
        timeout: int | None = None,
        function_name: str = "test-function",
        execution_name: str = "execution-name",
        account_id: str = "123456789012",
        tenant_id: str | None = None,
    ) -> str:
        """Start an execution driven in a background thread; returns its ARN. Callback timeouts
        follow the wall clock (see :meth:`advance_time`)."""
        execution = self._start(
            input, execution_timeout, timeout, function_name, execution_name, account_id, tenant_id
        )
        with self.service.lock:
            execution.background = True
        thread = threading.Thread(
            target=self._drive_in_background,
            args=(execution,),
            name=f"lambda-durable-{execution.execution_id[:8]}",
            daemon=True,
        )
        self._threads.append(thread)
        thread.start()
        return execution.arn

    def _drive_in_background(self, execution: LocalExecution) -> None:
        try:
            self.service.drive(execution, wall_clock=True)
        except BaseException as exc:  # noqa: BLE001 - never leave waiters hanging
            service = self.service
            with service.cond:
                service._finish(  # noqa: SLF001 - the runner owns its service
                    execution,
                    ExecutionStatus.FAILED,
                    error={
                        "ErrorType": "LocalServiceError",
                        "ErrorMessage": f"the local service failed: {type(exc).__name__}: {exc}",
                    },
                )
            if not isinstance(exc, Exception):
                raise

    def wait_for_result(self, execution_arn: str, timeout: int = 60) -> DurableFunctionTestResult:
        """The result once the execution has ended (``timeout``: wall-clock seconds; raises
        :class:`TimeoutError`). An execution left PENDING by :meth:`run` is driven on in this
        thread (it may return PENDING again)."""
        service = self.service
        execution = service.get_execution(execution_arn)
        deadline = time.monotonic() + timeout
        with service.cond:
            drive_here = (
                execution.running
                and not execution.background
                and not execution.driven
                and execution.parent is None
            )
            while not drive_here and execution.running:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or service.closed:
                    raise TimeoutError("Execution did not complete within timeout")
                service.cond.wait(remaining)
        if drive_here:
            service.drive(execution, stop_on_unanswered_callback=self._stop_on_unanswered)
        return self._result(execution)

    def _result(self, execution: LocalExecution) -> DurableFunctionTestResult:
        service = self.service
        with service.lock:
            operations = build_operation_tree(service.operations(execution.arn))
            history = service.get_history(execution.arn, include_execution_data=True)
            status = execution.status
            if status is ExecutionStatus.RUNNING:
                open_callbacks = service.open_callbacks(execution)
                listing = [{"name": c.name, "callback_id": c.callback_id} for c in open_callbacks]
                return DurableFunctionTestResult(
                    status=InvocationStatus.PENDING,
                    operations=operations,
                    result=json.dumps(listing),
                    execution_status=status,
                    history=history,
                    execution_arn=execution.arn,
                    open_callbacks=open_callbacks,
                )
            if status is ExecutionStatus.SUCCEEDED:
                return DurableFunctionTestResult(
                    status=InvocationStatus.SUCCEEDED,
                    operations=operations,
                    result=execution.result,
                    execution_status=status,
                    history=history,
                    execution_arn=execution.arn,
                )
            return DurableFunctionTestResult(
                status=InvocationStatus.FAILED,
                operations=operations,
                error=ErrorObject.from_dict(execution.error or {}),
                execution_status=status,
                history=history,
                execution_arn=execution.arn,
            )

    # -- callbacks -------------------------------------------------------------------------------

    def wait_for_callback(
        self, execution_arn: str, name: str | None = None, timeout: int = 60
    ) -> str:
        """The id of an open callback of the execution once the invocation that created it has
        ended: the one named ``name`` (its own Name, or its wait_for_callback's name), else the
        latest. Waits (on a condition, ``timeout`` wall-clock seconds, then
        :class:`TimeoutError`). Raises :class:`DurableFunctionsTestError` when every matching
        callback has already completed or the execution ended."""
        service = self.service
        execution = service.get_execution(execution_arn)
        deadline = time.monotonic() + timeout
        with service.cond:
            while True:
                callback_id = self._ready_callback(execution, name)
                if callback_id is not None:
                    return callback_id
                if not execution.running:
                    raise DurableFunctionsTestError(
                        f"Execution ended ({execution.status.value}) without an open callback"
                        + (f" named {name!r}" if name else "")
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0 or service.closed:
                    raise TimeoutError(
                        f"Callback did not become available within {timeout}s"
                    )
                service.cond.wait(remaining)

    def _ready_callback(self, execution: LocalExecution, name: str | None) -> str | None:
        events = execution.history.events
        last_invocation = -1
        for index in range(len(events) - 1, -1, -1):
            if events[index]["EventType"] == INVOCATION_COMPLETED:
                last_invocation = index
                break
        matched_completed = False
        found = None
        for index, event in enumerate(events):
            if event["EventType"] != CALLBACK_STARTED:
                continue
            op = execution.operations.get(event.get("Id", ""))
            if op is None:
                continue
            if name is not None and name not in (
                op.get("Name"),
                self.service._answer_name(execution, op),  # noqa: SLF001
            ):
                continue
            if op.get("Status") != "STARTED":
                matched_completed = True
                continue
            if index < last_invocation:
                found = op["CallbackDetails"]["CallbackId"]
                if name is not None:
                    return found
        if found is None and name is not None and matched_completed:
            if not any(
                self.service._answer_name(execution, execution.operations[op_id]) == name  # noqa: SLF001
                or execution.operations[op_id].get("Name") == name
                for op_id in execution.open_callbacks
            ):
                raise DurableFunctionsTestError(
                    f"Callback {name} has already completed (succeeded/failed/timed out)"
                )
        return found

    def send_callback_success(self, callback_id: str, result: bytes | str | None = None) -> None:
        """Complete the callback with success; ``result`` is its raw result (usually JSON)."""
        self.service.send_callback_success(callback_id, result)

    def send_callback_failure(self, callback_id: str, error: ErrorObject | Mapping | None = None) -> None:
        """Complete the callback with failure ``error`` (ErrorObject or its wire dict)."""
        self.service.send_callback_failure(callback_id, error)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        """Record a heartbeat: the callback's heartbeat timeout starts again."""
        self.service.send_callback_heartbeat(callback_id)

    # -- inspection and time ---------------------------------------------------------------------

    def get_execution_history(
        self, execution_arn: str, include_execution_data: bool = False
    ) -> ExecutionHistory:
        """``{"Events": [...]}`` of any execution of this runner (chained children included: their
        ARN is in the parent's ``ChainedInvokeStarted`` event)."""
        return ExecutionHistory(
            Events=self.service.get_history(execution_arn, include_execution_data)
        )

    def get_result(self, execution_arn: str) -> DurableFunctionTestResult:
        """The execution's result as it stands now (PENDING while it runs)."""
        return self._result(self.service.get_execution(execution_arn))

    def advance_time(self, seconds: float) -> None:
        """Move the virtual clock ``seconds`` forward (callback timeouts of background runs
        included); timers that become due fire at once."""
        self.service.advance_time(seconds)


class DurableChildContextTestRunner(DurableFunctionTestRunner):
    """Test a ``@durable_with_child_context`` function on its own: it runs as the body of a
    durable handler (``context_function(*args, **kwargs)(context)``)."""

    def __init__(
        self,
        context_function: Callable[..., Any],
        *args: Any,
        skip_time: bool = True,
        **kwargs: Any,
    ) -> None:
        from ..execution import durable_execution

        @durable_execution
        def handler(event: Any, context: Any) -> Any:  # noqa: ARG001
            return context_function(*args, **kwargs)(context)

        super().__init__(handler, skip_time=skip_time)
