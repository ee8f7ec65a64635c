"""Test runner for durable functions on the local durable execution service.

Mirrors the official testing SDK's runner (``aws_durable_execution_sdk_python_testing.runner``)
so its tests port by rewriting imports::

    from lambda_durable.testing import DurableFunctionTestRunner
    from lambda_durable.lambda_service import InvocationStatus

    with DurableFunctionTestRunner(handler=my_handler) as runner:
        result = runner.run(input='{"order_id": 1}')
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.get_step("validate").result == '{"t":"m",...}'

``run()`` drives the execution from the calling thread on a virtual clock (waits, retry delays and
callback timeouts elapse at once; each invocation runs on a worker thread, cut off by the
invocation timeout and the execution timeout); when it cannot go on without an answer to an open
callback it returns immediately with status ``PENDING`` and the open callbacks in ``result`` /
``open_callbacks``. ``run_async()`` drives it in a background thread where callback timeouts follow
the wall clock (or :meth:`~DurableFunctionTestRunner.advance_time`); answer callbacks with
``wait_for_callback`` + ``send_callback_success``/``failure``/``heartbeat``.

Extras over the official runner (keyword-only): ``on_event`` (history listener),
``stop_on_unanswered_callback`` (never let an unanswered callback time out in ``run()``),
``omit_completed_children``, :meth:`~DurableFunctionTestRunner.answer_callback` (scripted
answers), :meth:`~DurableFunctionTestRunner.unmatched_callback_answers`,
:meth:`~DurableFunctionTestRunner.callback_names`, :meth:`~DurableFunctionTestRunner.advance_time`,
``DurableFunctionTestResult.history``. Differences: ``run(timeout=...)`` is accepted without a
DeprecationWarning; a handler that is not ``@durable_execution``-decorated, an ``input`` string
that is not JSON and a run after :meth:`~DurableFunctionTestRunner.close` raise at once.
"""
from __future__ import annotations

import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, cast

from ..lambda_service import ErrorObject, InvocationStatus
from .errors import DurableFunctionsTestError
from .history import (
    CALLBACK_STARTED,
    copy_events,
    operations_from_events,
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
    build_operation_tree,
    create_operation,
)
from .service import (
    DriveOutcome,
    LocalDurableService,
    OpenCallback,
    callback_answer_name,
    collect_open_callbacks,
    is_durable_handler,
    require_durable_handler,
)
from .store import (
    DEFAULT_MAX_INVOCATION_PAGE_BYTES,
    ExecutionStatus,
    LocalExecution,
    copy_operation,
)

__all__ = [
    "DEFAULT_CHILD_EXECUTION_TIMEOUT_SECONDS",
    "DEFAULT_CHILD_RETENTION_PERIOD_DAYS",
    "DEFAULT_MAX_INVOCATION_PAGE_BYTES",
    "CallbackOperation",
    "ContextOperation",
    "DurableChildContextTestRunner",
    "DurableFunctionCloudTestRunner",
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

    @classmethod
    def create(cls, execution: LocalExecution) -> DurableFunctionTestResult:
        """The result of a local-service execution as it is now (call it under the service lock
        while the execution may still change): SUCCEEDED with its result, FAILED with its error
        (timed-out and stopped executions included), PENDING while it runs (paused or not), with
        its open callbacks (those of running chained children included) in ``open_callbacks``
        and, as a JSON list of ``{"name", "callback_id"}``, in ``result``.
        ``execution_status`` is the status the API shows (``PAUSED``, ...)."""
        operations = build_operation_tree(
            [copy_operation(op) for op in execution.operations.values()]
        )
        common: dict[str, Any] = {
            "operations": operations,
            "execution_status": ExecutionStatus(execution.api_status),
            "history": copy_events(execution.history.events),
            "execution_arn": execution.arn,
        }
        if execution.running:
            open_callbacks = collect_open_callbacks(execution)
            return cls(
                status=InvocationStatus.PENDING,
                result=_callback_listing(open_callbacks),
                open_callbacks=open_callbacks,
                **common,
            )
        if execution.status is ExecutionStatus.SUCCEEDED:
            return cls(status=InvocationStatus.SUCCEEDED, result=execution.result, **common)
        return cls(
            status=InvocationStatus.FAILED,
            error=ErrorObject.from_dict(execution.error or {}),
            **common,
        )

    @classmethod
    def from_execution_history(
        cls, execution_response: Mapping[str, Any], history_response: Any
    ) -> DurableFunctionTestResult:
        """The result of an execution described by the durable APIs (the cloud runner's way).

        ``execution_response``: a ``GetDurableExecution`` response (boto3 dict: ``Status``,
        ``Result``, ``Error``, ``DurableExecutionArn``, ...); ``history_response``: a
        ``GetDurableExecutionHistory`` response (``{"Events": [...]}``, every page joined) or the
        list of events. Operations are rebuilt from the events (results only when the history
        was fetched with ``IncludeExecutionData``). Status: SUCCEEDED; FAILED for FAILED,
        TIMED_OUT, STOPPED and unknown statuses; PENDING while the execution runs (RUNNING,
        PAUSING, PAUSED), with the open callbacks as for :meth:`create` (the official runner
        reports FAILED there)."""
        if isinstance(history_response, Mapping):
            events = list(history_response.get("Events") or [])
        else:
            events = list(getattr(history_response, "events", history_response) or [])
        svc_operations = operations_from_events(events)
        status_text = execution_response.get("Status")
        try:
            execution_status: ExecutionStatus | None = ExecutionStatus(status_text)
        except ValueError:
            execution_status = ExecutionStatus.FAILED
        arn = execution_response.get("DurableExecutionArn")
        common: dict[str, Any] = {
            "operations": build_operation_tree(svc_operations),
            "execution_status": execution_status,
            "history": events,
            "execution_arn": arn,
        }
        if status_text in ("RUNNING", "PAUSING", "PAUSED"):
            open_callbacks = _open_callbacks_from_history(svc_operations, events, arn)
            return cls(
                status=InvocationStatus.PENDING,
                result=_callback_listing(open_callbacks),
                open_callbacks=open_callbacks,
                **common,
            )
        if status_text == "SUCCEEDED":
            return cls(
                status=InvocationStatus.SUCCEEDED, result=execution_response.get("Result"), **common
            )
        return cls(
            status=InvocationStatus.FAILED,
            error=ErrorObject.from_dict(execution_response.get("Error") or {}),
            **common,
        )

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


def _callback_listing(open_callbacks: list[OpenCallback]) -> str:
    """The ``result`` of a PENDING test result: JSON ``[{"name", "callback_id"}, ...]``."""
    return json.dumps([{"name": c.name, "callback_id": c.callback_id} for c in open_callbacks])


def _open_callbacks_from_history(
    svc_operations: list[dict[str, Any]], events: list[Mapping[str, Any]], arn: str | None
) -> list[OpenCallback]:
    """The callbacks still open in operations rebuilt from a history (timeouts from their
    ``CallbackStarted`` events)."""
    by_id = {op["Id"]: op for op in svc_operations}
    timeouts = {
        event.get("Id"): event.get("CallbackStartedDetails") or {}
        for event in events
        if event.get("EventType") == CALLBACK_STARTED
    }
    out = []
    for op in svc_operations:
        if op["Type"] != "CALLBACK" or op["Status"] != "STARTED":
            continue
        started = timeouts.get(op["Id"], {})
        out.append(
            OpenCallback(
                name=callback_answer_name(by_id, op),
                callback_id=(op.get("CallbackDetails") or {}).get("CallbackId", ""),
                operation_id=op["Id"],
                operation_name=op.get("Name"),
                execution_arn=arn or "",
                timeout_seconds=started.get("Timeout") or 0,
                heartbeat_timeout_seconds=started.get("HeartbeatTimeout") or 0,
            )
        )
    return out


class DurableFunctionTestRunner:
    """Runs a durable handler on an in-process :class:`LocalDurableService`.

    Args (as the official runner):
        handler: the durable handler (``@durable_execution``-wrapped), called as
            ``handler(event, lambda_context)`` on a worker thread; anything else raises
            :class:`TypeError` here.
        poll_interval: accepted for compatibility; nothing polls.
        max_invocation_page_bytes: page size (bytes) of the state handed to the handler.
        execution_timeout: default wall-clock seconds an execution may run; then it ends
            ``TIMED_OUT`` (``ExecutionTimedOut``) even while a handler is still running (that
            handler is abandoned: left running on its daemon thread, its checkpoints rejected).
        invocation_timeout: seconds one invocation may run (the Lambda function timeout, default
            900): the Lambda context's ``get_remaining_time_in_millis()`` counts down from it; a
            handler still running then is abandoned, the invocation is recorded as failed
            (``Sandbox.Timedout``) and the handler invoked again (5 failed invocations in a row
            fail the execution).
        store: ``None`` (default): executions live in memory. A
            :class:`~lambda_durable.testing.sqlite_store.SqliteExecutionStore` or a database path:
            executions are kept there (saved before each call is acknowledged) and those it
            already holds are taken back (running ones continue through :meth:`wait_for_result`;
            root executions without a recorded handler get this runner's ``handler``). A store
            opened from a path is closed by :meth:`close`.
        skip_time: skip virtual time to the next timer (default); False waits for real.
        region: used in ARNs and Lambda contexts.

    Keyword-only extras:
        on_event: ``callable(event_dict)`` called as each history event of the executions this
            runner starts is appended (chained child executions excluded), under the service
            lock, on the thread that appends it (the driver's or a handler's worker thread).
        stop_on_unanswered_callback: in ``run()``, stop with PENDING at an unanswered callback
            even when it has a timeout (instead of letting the timeout elapse virtually).
        omit_completed_children: leave children of completed contexts out of the handler's
            state (service behaviour; default True).
        handler_spec: ``FILE.py:HANDLER`` the handler was loaded from, kept with the executions
            in a ``store`` so another process can load the handler and continue them (the CLI's
            ``run --store``).
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
        handler_spec: str | None = None,
    ) -> None:
        require_durable_handler(handler)
        self._handler_spec = handler_spec
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
        self._own_store = None
        if store is not None:
            from .sqlite_store import SqliteExecutionStore

            if not isinstance(store, SqliteExecutionStore):
                if not isinstance(store, (str, os.PathLike)):
                    raise TypeError(
                        "store must be a lambda_durable.testing.sqlite_store.SqliteExecutionStore "
                        f"or a database path, got {type(store).__name__}"
                    )
                store = self._own_store = SqliteExecutionStore(store)
            self.service.attach_store(store, default_handler=handler)

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

    def unmatched_callback_answers(self) -> list[str]:
        """The names given to :meth:`answer_callback` that no callback has matched so far (a
        typo, or a callback the run never reached)."""
        return self.service.unmatched_answers()

    def callback_names(self) -> list[str]:
        """The names of the callbacks started so far (the wait_for_callback's name, else the
        callback's own Name; unnamed ones left out), in start order."""
        return self.service.callback_names()

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> DurableFunctionTestRunner:
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        self.close()

    def close(self) -> None:
        """Stop background drivers (each stops at its next step, after the invocation it waits
        for has ended or timed out; at most 10 s are spent waiting). The runner cannot run
        executions any more."""
        self.service.close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=10)
        self._threads.clear()
        if self._own_store is not None:
            with self.service.lock:
                self._own_store.close()
                self.service.store = None

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
        if self.service.closed:
            raise RuntimeError("this DurableFunctionTestRunner is closed; create a new runner")
        if timeout is not None and execution_timeout is None:
            execution_timeout = timeout
        effective = execution_timeout if execution_timeout is not None else self._execution_timeout
        return self.service.start_execution(
            self.handler,
            input_payload(input),
            function_name=function_name,
            execution_name=execution_name,
            account_id=account_id,
            execution_timeout=effective,
            tenant_id=tenant_id,
            on_event=self._on_event,
            handler_spec=self._handler_spec,
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
        """Run one execution to its end, driven from this thread, and return its result.

        ``input``: the input JSON text (:class:`ValueError` if it is not JSON; any other value is
        JSON-encoded first). ``execution_timeout``, or ``timeout`` (the same, as the official
        runner's; ``execution_timeout`` wins when both are given): wall-clock seconds this run
        may take; then the execution ends ``TIMED_OUT`` and ``run()`` returns at once, even if
        a handler is still running (it is abandoned). Default: the runner's ``execution_timeout``.
        Returns with status PENDING, at once, when only an answer to an open callback could make
        progress (see ``result``/``open_callbacks``); answer it (``send_callback_*``) and call
        :meth:`wait_for_result` to go on. :class:`RuntimeError` after :meth:`close`.
        """
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
        follow the wall clock (see :meth:`advance_time`). Arguments as for :meth:`run`."""
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
        thread (it may return PENDING again, at unanswered callbacks); while it is paused this
        waits (on a condition) for :meth:`resume_execution` from another thread."""
        service = self.service
        execution = service.get_execution(execution_arn)
        deadline = time.monotonic() + timeout
        while True:
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
            if not drive_here:
                return self._result(execution)
            outcome = service.drive(execution, stop_on_unanswered_callback=self._stop_on_unanswered)
            if outcome != DriveOutcome.PAUSED:
                return self._result(execution)
            self._wait_for_resume(execution, deadline)

    def _wait_for_resume(self, root: LocalExecution, deadline: float) -> None:
        """Wait (on the service condition) until no execution of ``root``'s tree is paused, the
        root has ended, or an execution deadline of the tree passes (the next drive times it
        out); :class:`TimeoutError` at ``deadline`` (monotonic seconds)."""
        service = self.service
        with service.cond:
            while root.running:
                tree = root.tree()
                if not any(ex.pause is not None for ex in tree):
                    return
                now = time.monotonic()
                nearest = min(
                    (ex.wall_deadline for ex in tree if ex.wall_deadline is not None),
                    default=math.inf,
                )
                if nearest <= now:
                    return
                remaining = deadline - now
                if remaining <= 0 or service.closed:
                    raise TimeoutError(
                        f"Execution did not complete within timeout: {root.arn} is paused"
                    )
                service.cond.wait(min(remaining, nearest - now))

    # -- pause and resume ------------------------------------------------------------------------

    def pause_execution(self, execution_arn: str, timeout: float = 60) -> None:
        """Pause an execution (``PauseDurableExecution``, execution timeout paused too) and wait
        until the pause has taken effect and no invocation of it runs.

        A running invocation is not interrupted: its next checkpoint is applied and answered
        without a token, so the SDK ends it with PENDING (or it ends first). While paused no
        invocation starts; waits, retry timers and callbacks still complete. A repeated call
        leaves the pause as it is and waits again; an execution that has ended is left as it is.
        If the wait times out the pause stays requested. Do not call it from the handler's own
        code (the invocation could not end while it waits); call
        ``runner.service.pause_execution(arn)`` there, which does not wait.

        Args:
            execution_arn: the execution to pause (any execution of this runner).
            timeout: most wall-clock seconds to wait (finite, > 0).

        Raises:
            ResourceNotFoundException: unknown ARN.
            ValueError: ``timeout`` is not a finite positive number.
            TimeoutError: the pause did not take effect within ``timeout``.
        """
        service = self.service
        deadline = time.monotonic() + check_timeout(timeout)
        with service.cond:
            execution = service.get_execution(execution_arn)
            if execution.running and execution.pause is None:
                service.pause_execution(execution_arn)
            while (
                execution.running
                and execution.pause is not None
                and (not execution.pause["effective"] or execution.invoking)
            ):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"Execution {execution_arn} did not pause within {timeout:g} seconds "
                        "(the pause request stays)"
                    )
                service.cond.wait(remaining)

    def resume_execution(self, execution_arn: str) -> None:
        """Resume a paused execution (``ResumeDurableExecution``): it is invoked again if the
        pause interrupted an invocation or an operation completed meanwhile (a background run
        goes on by itself; after :meth:`run` returned PENDING, call :meth:`wait_for_result`).
        An execution that is not paused, or has ended, is left as it is.

        Raises:
            ResourceNotFoundException: unknown ARN.
        """
        service = self.service
        with service.cond:
            execution = service.get_execution(execution_arn)
            if execution.running and execution.pause is not None:
                service.resume_execution(execution_arn)

    def _result(self, execution: LocalExecution) -> DurableFunctionTestResult:
        return execution_result(self.service, execution)

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
        from .cloud import ready_callback_id  # the same rule as for a remote execution's history

        return ready_callback_id(execution.history.events, name)

    def send_callback_success(self, callback_id: str, result: bytes | str | None = None) -> None:
        """Complete the callback with success; ``result`` is its raw result (usually JSON)."""
        self.service.send_callback_success(callback_id, result)

    def send_callback_failure(self, callback_id: str, error: ErrorObject | Mapping | None = None) -> None:
        """Complete the callback with failure ``error`` (ErrorObject or its wire dict)."""
        self.service.send_callback_failure(callback_id, error)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        """Record a heartbeat: the callback's heartbeat timeout starts again."""
        self.service.send_callback_heartbeat(callback_id)

    def abandoned_handlers(self) -> int:
        """How many handler calls (invocations, plain invoke targets) abandoned at an invocation
        or execution timeout are still running on their daemon worker threads. Threads they
        started themselves (e.g. a map's worker pool) may keep a process from exiting."""
        return self.service.running_abandoned_calls()

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


def check_timeout(timeout: Any) -> float:
    """``timeout`` as float seconds; :class:`ValueError` unless a finite positive number."""
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ValueError(f"timeout must be a finite positive number of seconds, got {timeout!r}")
    return float(timeout)


def input_payload(value: Any) -> str | None:
    """The execution input for a runner's ``input``: a string is the JSON document itself
    (:class:`ValueError` if it is not JSON), ``None`` no input, anything else is JSON-encoded."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip():
            try:
                json.loads(value)
            except ValueError as error:
                raise ValueError(
                    f"input is not valid JSON ({error}): pass the input as a JSON document "
                    "string, or as a JSON-serializable value"
                ) from None
        return value
    return json.dumps(value)


def execution_result(service: LocalDurableService, execution: LocalExecution) -> DurableFunctionTestResult:
    """The :class:`DurableFunctionTestResult` of ``execution`` as it is now: PENDING (with the
    open callbacks as its ``result`` listing) while it runs, else its outcome
    (:meth:`DurableFunctionTestResult.create` under the service lock)."""
    with service.lock:
        return DurableFunctionTestResult.create(execution)


# The cloud runner lives in its own module (it needs boto3, imported when one is created); it
# is importable from here as in the official package.
from .cloud import DurableFunctionCloudTestRunner  # noqa: E402
