"""The drive loop of the local service: invoking handlers and deciding what happens next.

:class:`DriverMixin` is part of :class:`~lambda_durable.testing.service.LocalDurableService`. One
driver runs one root execution and the chained durable executions it starts (its *tree*): it
invokes whichever execution is owed an invocation, runs chained invokes of plain functions,
applies scripted callback answers, and when nothing can run, skips the virtual clock to the next
timer or waits (on the service's condition variable, never polling) for the outside world.

User code (a handler invocation, a plain chained-invoke target) runs on a daemon worker thread,
in a copy of the driver's contextvars context; the driver waits for it (on an ``Event``, no
polling) until it ends, its invocation timeout (the Lambda function timeout) passes, or the
execution deadline of its execution or of one that started it passes (other executions of the
tree whose deadline passes meanwhile are timed out on time, and the wait goes on). A call still
running then is abandoned, as Lambda ends a sandbox that runs over: a thread cannot be killed,
so it is left to finish on its own (a daemon thread), but its invocation's checkpoint tokens are
revoked, so nothing it checkpoints afterwards is applied. An invocation timeout fails the
invocation (``Sandbox.Timedout``; it counts toward :data:`MAX_CONSECUTIVE_FAILED_INVOCATIONS`)
and the handler is invoked again; a passed execution deadline records the invocation
(``Execution.TimedOut``) and ends the execution ``TIMED_OUT`` at once. ``os._exit`` in any thread
of an invocation is a crash of the process (:mod:`.crash`): the invocation ends at once with
``Runtime.ExitError``, its tokens revoked, and the handler is invoked again.
"""
from __future__ import annotations

import contextvars
import datetime
import json
import math
import threading
import time
import traceback
from typing import Any, Callable, Mapping

from .._client_override import use_client
from .crash import ProcessExit, exit_error, process_exit_model
from .history import INVOCATION_COMPLETED, error_payload
from .store import ExecutionStatus, LambdaContext, LocalExecution, Timer, new_token

#: Failed invocations in a row after which the execution fails.
MAX_CONSECUTIVE_FAILED_INVOCATIONS = 5
#: PENDING outputs in a row with nothing pending after which the execution fails.
MAX_IDLE_PENDING_OUTPUTS = 4
#: ErrorType of service-side execution failures.
INVOCATIONS_EXHAUSTED_ERROR_TYPE = "Lambda.InvocationRetriesExhausted"
NO_PENDING_OPERATIONS_ERROR_TYPE = "Lambda.NoPendingOperations"
NO_PENDING_OPERATIONS_MESSAGE = "Cannot return PENDING status with no pending operations"
#: ErrorType of an invocation (or plain chained-invoke target) that ran past its timeout.
TASK_TIMED_OUT_ERROR_TYPE = "Sandbox.Timedout"
#: ErrorType of the invocation that was running when its execution timed out.
EXECUTION_TIMED_OUT_ERROR_TYPE = "Execution.TimedOut"


class DriveOutcome:
    """What :meth:`LocalDurableService.drive` ended with."""

    #: the execution reached a terminal status
    DONE = "DONE"
    #: synchronous drive: nothing can happen without an answer to an open callback
    BLOCKED = "BLOCKED"
    #: the service was closed
    CLOSED = "CLOSED"
    #: synchronous drive: nothing can happen until a paused execution of the tree is resumed
    PAUSED = "PAUSED"


def _error_from_exception(exc: BaseException) -> dict[str, Any]:
    """The ErrorObject Lambda reports for an unhandled function error: bare class name, message,
    formatted stack trace."""
    return {
        "ErrorMessage": str(exc),
        "ErrorType": type(exc).__name__,
        "StackTrace": [
            line.rstrip("\n") for line in traceback.format_exception(type(exc), exc, exc.__traceback__)
        ],
    }


def _timer_order(timer: Timer) -> tuple[float, int]:
    return (timer.due, timer.seq)


def _nearest_deadline(executions: list[LocalExecution]) -> float:
    """The earliest wall-clock deadline (monotonic seconds) of the running ``executions``;
    ``math.inf`` when none has one."""
    return min(
        (ex.wall_deadline for ex in executions if ex.running and ex.wall_deadline is not None),
        default=math.inf,
    )


def _lineage(ex: LocalExecution) -> list[LocalExecution]:
    """``ex`` and the executions that (transitively) started it by a chained invoke."""
    out = [ex]
    while out[-1].parent is not None:
        out.append(out[-1].parent)
    return out


def _task_timed_out_error(request_id: str, seconds: float) -> dict[str, Any]:
    """The ErrorObject Lambda reports for a function that ran past its timeout."""
    return {
        "ErrorType": TASK_TIMED_OUT_ERROR_TYPE,
        "ErrorMessage": (
            f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds"
        ),
    }


class _CallOutcome:
    """How a :class:`_WorkerCall` wait ended."""

    ENDED = "ENDED"
    #: the Lambda context's deadline (invocation timeout) passed first
    INVOCATION_TIMED_OUT = "INVOCATION_TIMED_OUT"
    #: an execution deadline of the tree passed first
    EXECUTION_TIMED_OUT = "EXECUTION_TIMED_OUT"


class _WorkerCall:
    """``fn(*args)`` running on a daemon worker thread, in a copy of the caller's contextvars
    context (so ``use_client`` and any other context variable still apply). ``value`` and
    ``error`` hold its outcome once it has ended."""

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        name: str,
        on_exit: Callable[[int], None] | None = None,
    ) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        #: the status of the first ``os._exit`` called by the call (see :mod:`.crash`), if any
        self.exit_code: int | None = None
        self._on_exit = on_exit
        self._exit_lock = threading.Lock()
        self._done = threading.Event()
        #: set when the call ended or exited the (modelled) process, whichever comes first
        self._settled = threading.Event()
        context = contextvars.copy_context()
        threading.Thread(
            target=self._run, args=(context, fn, args), name=name, daemon=True
        ).start()

    def _run(
        self, context: contextvars.Context, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> None:
        try:
            if self._on_exit is not None:
                self.value = context.run(self._run_modelling_exit, fn, args)
            else:
                self.value = context.run(fn, *args)
        except BaseException as exc:  # noqa: BLE001 - handed to the driver
            self.error = exc
        finally:
            self._done.set()
            self._settled.set()

    def _run_modelling_exit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        with process_exit_model(self._exit):
            return fn(*args)

    def _exit(self, code: int) -> None:
        """``os._exit(code)`` in any thread of the call: the first one ends the call at once
        (``on_exit`` first); the calling thread then unwinds with :class:`ProcessExit`."""
        with self._exit_lock:
            first = self.exit_code is None
            if first:
                self.exit_code = code
        if first:
            assert self._on_exit is not None
            self._on_exit(code)
        self._settled.set()

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def wait(self, invocation_deadline: float, execution_deadline: float) -> str:
        """Wait (on an ``Event``) until the call ends or the earlier of two monotonic deadlines
        passes; returns a :class:`_CallOutcome` value, a timeout only once its deadline has
        passed."""
        deadline = min(invocation_deadline, execution_deadline)
        while not self._settled.wait(
            min(max(0.0, deadline - time.monotonic()), threading.TIMEOUT_MAX)
        ):
            if time.monotonic() >= deadline:
                if invocation_deadline <= execution_deadline:
                    return _CallOutcome.INVOCATION_TIMED_OUT
                return _CallOutcome.EXECUTION_TIMED_OUT
        return _CallOutcome.ENDED


def _output_problem(output: Any) -> dict[str, Any] | None:
    """The failure an invalid handler output stands for (``None`` when the output is valid)."""
    if not isinstance(output, Mapping):
        return {
            "ErrorType": "Runtime.InvalidResponse",
            "ErrorMessage": f"The durable handler returned {type(output).__name__}, not an "
            "invocation output {Status, Result?, Error?}",
        }
    status = output.get("Status")
    if status == "RETRY":
        error = output.get("Error")
        return dict(error) if isinstance(error, Mapping) and error else {
            "ErrorType": "Runtime.Retry",
            "ErrorMessage": "The handler asked for a retry",
        }
    if status not in ("SUCCEEDED", "FAILED", "PENDING"):
        return {
            "ErrorType": "Runtime.InvalidResponse",
            "ErrorMessage": f"Invalid invocation output Status {status!r}",
        }
    if status == "SUCCEEDED":
        if output.get("Error") is not None:
            return {"ErrorType": "Runtime.InvalidResponse",
                    "ErrorMessage": "A SUCCEEDED output must not carry an Error"}
        if output.get("Result") is not None and not isinstance(output["Result"], str):
            return {"ErrorType": "Runtime.InvalidResponse",
                    "ErrorMessage": "The Result of a SUCCEEDED output must be a JSON string"}
    if status == "FAILED" and output.get("Result") is not None:
        return {"ErrorType": "Runtime.InvalidResponse",
                "ErrorMessage": "A FAILED output must not carry a Result"}
    return None


class DriverMixin:
    """Driving executions (mixed into :class:`LocalDurableService`, whose state it uses)."""

    def drive(
        self,
        execution: LocalExecution,
        *,
        wall_clock: bool = False,
        stop_on_unanswered_callback: bool = False,
    ) -> str:
        """Run ``execution`` (and the chained executions it starts) until it ends.

        ``wall_clock=False`` (synchronous run): callback timeouts elapse on the virtual clock;
        when nothing can happen without an answer to an open callback that has no timeout (or any
        open callback, with ``stop_on_unanswered_callback``) returns
        :attr:`DriveOutcome.BLOCKED` at once, and when nothing can happen until a paused
        execution of the tree is resumed, :attr:`DriveOutcome.PAUSED` (the timers of paused
        executions are left for later). ``wall_clock=True`` (background run): callback
        timeouts follow the wall clock and the driver waits (on a condition, no polling) for
        callbacks, resumes, :meth:`advance_time` or :meth:`close`. Returns a
        :class:`DriveOutcome` value.
        """
        with self.lock:
            if execution.driven:
                raise RuntimeError(f"execution {execution.arn} is already being driven")
            execution.driven = True
            execution.blocked = False
        try:
            while True:
                with self.cond:
                    step = self._next_step(execution, wall_clock, stop_on_unanswered_callback)
                    self._commit()
                if isinstance(step, str):
                    return step
                step()
        finally:
            with self.lock:
                execution.driven = False

    def _next_step(
        self, root: LocalExecution, wall_clock: bool, stop_on_unanswered: bool
    ) -> str | Callable[[], None]:
        """Under the lock: the next thing to do for ``root``'s tree, waiting or skipping time as
        needed; a :class:`DriveOutcome` value when the drive is over."""
        # In a synchronous drive that stops at open callbacks, and in a background drive, callback
        # deadlines are not consumed by skipping the clock.
        protect_callbacks = wall_clock or stop_on_unanswered
        while True:
            if self.closed:
                return DriveOutcome.CLOSED
            if not root.running:
                return DriveOutcome.DONE
            tree = root.tree()
            nearest_deadline = self._check_execution_deadlines(tree)
            if not root.running:
                continue
            tree = root.tree()
            self._fire_due_timers()
            self._apply_scripted_answers(tree)
            for ex in tree:
                if ex.running and ex.pending_dispatch:
                    op_id = ex.pending_dispatch.pop(0)
                    return lambda ex=ex, op_id=op_id: self._dispatch_invoke(ex, op_id, root)
            for ex in tree:
                if ex.running and ex.needs_invoke and ex.pause is None:
                    return lambda ex=ex: self._invoke(ex, root)
            paused = any(ex.running and ex.pause is not None for ex in tree)
            timers = [
                t
                for ex in tree
                if ex.running and (wall_clock or ex.pause is None)  # sync: paused ones wait
                for t in ex.timers.values()
            ]
            if self.skip_time:
                # Skip the clock to the next timer that may elapse without the outside world:
                # any timer, or only non-callback ones when callback deadlines are protected
                # (moved along with the skip).
                skippable = [t for t in timers if not t.is_callback] if protect_callbacks else timers
                if skippable:
                    self._skip_to(min(skippable, key=_timer_order).due, protect_callbacks)
                    continue
                wall_timers = timers  # only protected callback timers are left
            else:
                wall_timers = timers
            if not wall_clock and stop_on_unanswered:
                wall_timers = [t for t in wall_timers if not t.is_callback]
            wait_for = None
            if wall_timers:
                wait_for = self.clock.wall_seconds_until(min(wall_timers, key=_timer_order).due)
            if nearest_deadline is not None:
                until_deadline = max(0.0, nearest_deadline - time.monotonic())
                wait_for = until_deadline if wait_for is None else min(wait_for, until_deadline)
            if not wall_clock and not wall_timers:
                # synchronous drive: only a resume or a callback answer could move on, and
                # nothing scripted will give one
                if paused:
                    return DriveOutcome.PAUSED
                if any(ex.open_callbacks for ex in tree):
                    root.blocked = True
                    return DriveOutcome.BLOCKED
                self._fail_stuck(root)
                continue
            if wait_for is not None and wait_for <= 0:
                continue
            self._commit()
            self.cond.wait(wait_for)

    def _fail_stuck(self, root: LocalExecution) -> None:
        """Nothing can run and nothing is pending (should not happen): fail rather than hang."""
        self._finish(
            root,
            ExecutionStatus.FAILED,
            error={
                "ErrorType": NO_PENDING_OPERATIONS_ERROR_TYPE,
                "ErrorMessage": "The execution waits on nothing that can complete",
            },
        )

    def _skip_to(self, due: float, protect_callbacks: bool) -> None:
        gap = self.clock.advance_to(due)
        if gap > 0 and protect_callbacks:
            for ex in self.executions.values():
                for timer in ex.timers.values():
                    if timer.is_callback:
                        timer.due += gap
                        self._touch(ex, timer.op_id)

    # -- invoking handlers ------------------------------------------------------------------------

    def _invoke(self, ex: LocalExecution, root: LocalExecution) -> None:
        """One invocation of ``ex``'s handler, an execution of ``root``'s tree (called without the
        lock). The handler runs on a worker thread; see the module docstring for timeouts."""
        with self.lock:
            if not ex.running or ex.pause is not None:  # paused since the driver chose it
                return
            token = new_token()
            ex.token = token
            ex.invocation_tokens = {token}
            ex.snapshots.clear()
            ex.changed.clear()
            ex.needs_invoke = False
            ex.dirty = False
            ex.invoking = True
            ex.invocations += 1
            updated = list(ex.updated_ids)
            ex.updated_ids.clear()
            ids = ex.visible_operation_ids(self.omit_completed_children)
            first = self._page(ex, ids, 0, None, None, datetimes=False)
            event: dict[str, Any] = {
                "DurableExecutionArn": ex.arn,
                "CheckpointToken": token,
                "InitialExecutionState": {
                    "Operations": first["Operations"],
                    "NextMarker": first.get("NextMarker", ""),
                },
            }
            if updated:
                event["UpdatedOperationIds"] = updated
            context = LambdaContext(
                ex.function_name,
                region=self.region,
                account_id=ex.account_id,
                timeout_seconds=self.invocation_timeout,
                tenant_id=ex.tenant_id,
            )
            start = self.clock.now()
        request_id = context.aws_request_id
        call = _WorkerCall(
            self._call_handler,
            (ex.handler, event, context),
            name=f"lambda-durable-invocation-{request_id[:8]}",
            on_exit=lambda code: self._revoke_invocation(ex, token),
        )
        try:
            outcome = self._await_call(call, context, ex, root)
        except BaseException as exc:  # KeyboardInterrupt & co. while waiting: record, re-raise
            with self.cond:
                self._complete_invocation(ex, None, _error_from_exception(exc), start, request_id)
            raise
        if outcome == _CallOutcome.EXECUTION_TIMED_OUT:
            with self.cond:
                self._end_invocation(
                    ex,
                    {
                        "ErrorType": EXECUTION_TIMED_OUT_ERROR_TYPE,
                        "ErrorMessage": f"RequestId: {request_id} Error: the execution timed out "
                        "while this invocation was running",
                    },
                    start,
                    request_id,
                )
                self._check_execution_deadlines(root.tree())
                self._settle_pause(ex)
            return
        if outcome == _CallOutcome.INVOCATION_TIMED_OUT:
            failure = _task_timed_out_error(request_id, self.invocation_timeout)
        elif call.exit_code is not None:
            # os._exit: the process is gone (threads of the call still unwinding are abandoned;
            # the invocation's tokens were revoked at the exit)
            failure = exit_error(request_id, call.exit_code)
            if call.running:
                with self.lock:
                    self.abandoned_calls = [c for c in self.abandoned_calls if c.running] + [call]
        elif isinstance(call.error, SystemExit):
            failure = exit_error(request_id, call.error.code)
        elif call.error is not None:
            failure = _error_from_exception(call.error)
        else:
            failure = None
        with self.cond:
            self._complete_invocation(ex, call.value, failure, start, request_id)
            self._settle_pause(ex)
        if (
            call.exit_code is None
            and call.error is not None
            and not isinstance(call.error, (Exception, SystemExit, ProcessExit))
        ):
            raise call.error  # a BaseException other than an exit: recorded, re-raised

    def _await_call(
        self, call: _WorkerCall, context: LambdaContext, ex: LocalExecution, root: LocalExecution
    ) -> str:
        """Wait for ``call``, made for ``ex`` (of ``root``'s tree) with Lambda ``context``, until it
        ends or its invocation times out; meanwhile time out, on time, other executions of the
        tree whose deadline passes. Returns a :class:`_CallOutcome` value; ``EXECUTION_TIMED_OUT``
        when ``ex`` or an execution that started it is past its deadline (not yet timed out: the
        caller records what it must, then calls :meth:`_check_execution_deadlines`)."""
        while True:
            with self.lock:
                tree = root.tree()
            outcome = call.wait(context.deadline, _nearest_deadline(tree))
            with self.cond:
                own_deadline = _nearest_deadline(_lineage(ex))
                if outcome == _CallOutcome.EXECUTION_TIMED_OUT and time.monotonic() < own_deadline:
                    self._check_execution_deadlines(root.tree())  # another execution's deadline
                    continue
                if outcome != _CallOutcome.ENDED:
                    self.abandoned_calls = [c for c in self.abandoned_calls if c.running] + [call]
                return outcome

    def running_abandoned_calls(self) -> int:
        """How many calls of user code abandoned at a timeout still run on their worker threads."""
        with self.lock:
            return sum(1 for call in self.abandoned_calls if call.running)

    def _revoke_invocation(self, ex: LocalExecution, first_token: str) -> None:
        """The invocation that started with ``first_token`` exited the process (``os._exit``):
        revoke its checkpoint tokens at once, so nothing any of its threads sends afterwards is
        applied (the driver records its end when it sees the exit)."""
        with self.cond:
            if first_token in ex.invocation_tokens:
                ex.token = None
                ex.invocation_tokens.clear()
            self.cond.notify_all()

    def _call_handler(
        self, handler: Callable[..., Any], event: dict[str, Any], context: LambdaContext
    ) -> Any:
        """On the worker thread: ``handler(event, context)`` talking to this service."""
        with use_client(self.client):
            return handler(event, context)

    def _end_invocation(
        self,
        ex: LocalExecution,
        failure: dict[str, Any] | None,
        start: datetime.datetime,
        request_id: str,
    ) -> None:
        """Revoke the invocation's checkpoint tokens and record its ``InvocationCompleted``
        (with ``failure`` as its Error, if any)."""
        ex.invoking = False
        ex.token = None
        ex.invocation_tokens.clear()
        ex.snapshots.clear()
        details: dict[str, Any] = {
            "StartTimestamp": start,
            "EndTimestamp": self.clock.now(),
            "RequestId": request_id,
        }
        if failure is not None:
            details["Error"] = error_payload(failure)
        ex.history.append(INVOCATION_COMPLETED, details["EndTimestamp"], details)
        self._touch(ex)
        self.cond.notify_all()

    def _complete_invocation(
        self,
        ex: LocalExecution,
        output: Any,
        failure: dict[str, Any] | None,
        start: datetime.datetime,
        request_id: str,
    ) -> None:
        """End the invocation (:meth:`_end_invocation`) and decide what follows from its output
        or ``failure``: finish the execution, re-invoke, or wait."""
        if failure is None:
            failure = _output_problem(output)
        self._end_invocation(ex, failure, start, request_id)
        if not ex.running:
            return
        outcome = ex.checkpointed_outcome
        status = output.get("Status") if failure is None else None
        if outcome is not None:
            if outcome[0] == "SUCCEED":
                result = output.get("Result") if status == "SUCCEEDED" else None
                self._finish(ex, ExecutionStatus.SUCCEEDED, result=result or outcome[1])
            else:
                error = output.get("Error") if status == "FAILED" else None
                self._finish(ex, ExecutionStatus.FAILED, error=error or outcome[1])
            return
        if failure is not None:
            ex.consecutive_failures += 1
            if ex.consecutive_failures >= MAX_CONSECUTIVE_FAILED_INVOCATIONS:
                last = failure.get("ErrorType", "Error")
                message = failure.get("ErrorMessage", "")
                self._finish(
                    ex,
                    ExecutionStatus.FAILED,
                    error={
                        "ErrorType": INVOCATIONS_EXHAUSTED_ERROR_TYPE,
                        "ErrorMessage": (
                            f"{ex.consecutive_failures} invocations in a row failed; "
                            f"last error: {last}: {message}"
                        ),
                    },
                )
            else:
                ex.needs_invoke = True
            ex.dirty = False
            return
        ex.consecutive_failures = 0
        if status == "SUCCEEDED":
            self._finish(ex, ExecutionStatus.SUCCEEDED, result=output.get("Result"))
        elif status == "FAILED":
            self._finish(ex, ExecutionStatus.FAILED, error=output.get("Error") or {})
        elif ex.dirty or ex.needs_invoke:
            ex.needs_invoke = True
            ex.idle_pending_outputs = 0
        elif ex.has_pending_operations():
            ex.idle_pending_outputs = 0
        else:
            ex.idle_pending_outputs += 1
            if ex.idle_pending_outputs >= MAX_IDLE_PENDING_OUTPUTS:
                self._finish(
                    ex,
                    ExecutionStatus.FAILED,
                    error={
                        "ErrorType": NO_PENDING_OPERATIONS_ERROR_TYPE,
                        "ErrorMessage": NO_PENDING_OPERATIONS_MESSAGE,
                    },
                )
            else:
                ex.needs_invoke = True
        ex.dirty = False

    def _dispatch_invoke(self, ex: LocalExecution, op_id: str, root: LocalExecution) -> None:
        """Run a chained invoke whose target is a plain function (or unknown) and complete it.
        The function runs on a worker thread, bounded like an invocation: past the invocation
        timeout the chained invoke fails (``Sandbox.Timedout``)."""
        with self.lock:
            op = ex.operations.get(op_id)
            if op is None or op.get("Status") != "STARTED" or not ex.running:
                return
            request = ex.invoke_targets[op_id]
            registration = request.registration
            function_name, input_payload = request.function_name, request.payload
            if registration is None:
                self._complete_invoke(
                    ex,
                    op,
                    "FAILED",
                    error={
                        "ErrorType": "ResourceNotFoundException",
                        "ErrorMessage": f"Function not found: {function_name}",
                    },
                )
                return
            context = LambdaContext(
                function_name if not function_name.startswith("arn:") else registration.name,
                region=self.region,
                account_id=ex.account_id,
                timeout_seconds=self.invocation_timeout,
                tenant_id=request.tenant_id,
            )
        result: str | None = None
        error: dict[str, Any] | None = None
        try:
            event_value = json.loads(input_payload) if input_payload else None
        except ValueError:
            event_value = input_payload
        call = _WorkerCall(
            registration.handler,
            (event_value, context),
            name=f"lambda-durable-function-{context.aws_request_id[:8]}",
            on_exit=lambda code: None,
        )
        outcome = self._await_call(call, context, ex, root)
        if outcome == _CallOutcome.EXECUTION_TIMED_OUT:
            with self.cond:
                self._check_execution_deadlines(root.tree())
            return
        if outcome == _CallOutcome.INVOCATION_TIMED_OUT:
            error = _task_timed_out_error(context.aws_request_id, self.invocation_timeout)
        elif call.exit_code is not None or isinstance(call.error, SystemExit):
            code = call.exit_code if call.exit_code is not None else call.error.code  # type: ignore[union-attr]
            error = exit_error(context.aws_request_id, code)  # the function's process exited
        elif call.error is not None:
            if not isinstance(call.error, Exception):
                raise call.error
            error = _error_from_exception(call.error)  # the function's error fails the invoke
        else:
            try:
                result = json.dumps(call.value)
            except Exception as exc:  # noqa: BLE001 - a result that is not JSON fails the invoke
                error = _error_from_exception(exc)
        with self.cond:
            op = ex.operations.get(op_id)
            if op is None or op.get("Status") != "STARTED" or not ex.running:
                return
            if error is None:
                self._complete_invoke(ex, op, "SUCCEEDED", result=result)
            else:
                self._complete_invoke(ex, op, "FAILED", error=error)


