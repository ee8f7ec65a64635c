"""An in-process durable execution service (the LOCAL service).

:class:`LocalDurableService` stores executions and their operations, applies checkpoint updates
by the service rules (protocol.md 3.5 validation, 3.6 transitions), records the history
(protocol.md 8), and drives each execution: it invokes the handler, then whatever can happen
next (chained invokes, scripted callback answers, timers) and re-invokes whenever something the
execution waits on completes (protocol.md 8.3).

Handlers are called in-process, on a worker thread in a copy of the driver's contextvars
context, as ``handler(event, lambda_context)`` with the Lambda invocation event of protocol.md
2.1 (timestamps as epoch milliseconds) inside
``lambda_durable._client_override.use_client(client)``, where ``client`` is the boto3-shaped
:class:`LocalServiceClient` of this service. They answer
``{"Status": "SUCCEEDED", "Result"}``, ``{"Status": "FAILED", "Error"}`` or ``{"Status":
"PENDING"}``; a raised exception, or running past the invocation timeout, is a failed invocation
(recorded, then retried; :data:`MAX_CONSECUTIVE_FAILED_INVOCATIONS` in a row fail the
execution). An execution past its execution timeout ends ``TIMED_OUT`` at once, even while its
handler runs (the handler is abandoned, its checkpoint tokens revoked).

Time is virtual (:class:`~lambda_durable.testing.clock.VirtualClock`): when nothing can run, the
driver skips the clock to the next timer instead of sleeping. Callback timeouts are timers that
wait on the outside world: when an execution is driven *synchronously* (:meth:`drive` with
``wall_clock=False``) they elapse on the virtual clock like any other timer (or, with
``stop_on_unanswered_callback``, the drive stops instead); when it is driven in the background
(``wall_clock=True``) they follow the wall clock, i.e. skipping the clock for a wait moves their
deadlines along, and only :meth:`advance_time` (or real time passing) brings them closer. The
driver waits on a condition variable, never sleeps or polls. The drive loop itself (invocations,
chained invokes of plain functions, time) is in :mod:`lambda_durable.testing.driver`; the
boto3-shaped client in :mod:`lambda_durable.testing.client`.

Thread safety: one re-entrant lock guards all state; handlers run without it, so a handler (or a
background checkpoint thread, or a test thread sending callbacks) may call the service at any time.
"""
from __future__ import annotations

import datetime
import math
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from ..limits import CALLBACK_RESULT_LIMIT_BYTES, utf8_len
from .clock import VirtualClock, from_epoch
from .errors import (
    CallbackTimeoutException,
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from .history import (
    CALLBACK_FAILED,
    CALLBACK_SUCCEEDED,
    CALLBACK_TIMED_OUT,
    CHAINED_INVOKE_FAILED,
    CHAINED_INVOKE_STARTED,
    CHAINED_INVOKE_STOPPED,
    CHAINED_INVOKE_SUCCEEDED,
    CHAINED_INVOKE_TIMED_OUT,
    EXECUTION_FAILED,
    EXECUTION_PAUSED,
    EXECUTION_RESUMED,
    EXECUTION_STARTED,
    EXECUTION_STOPPED,
    EXECUTION_SUCCEEDED,
    EXECUTION_TIMED_OUT,
    WAIT_SUCCEEDED,
    History,
    copy_events,
    error_payload,
    events_for_update,
    payload,
    without_execution_data,
)
from .store import (
    DEFAULT_MAX_INVOCATION_PAGE_BYTES,
    ExecutionStatus,
    FunctionRegistration,
    LocalExecution,
    Timer,
    copy_operation,
    new_callback_id,
    new_token,
    take_page,
    to_event_form,
)
from ..limits import CLIENT_TOKEN_PATTERN, TOKEN_PATTERN
from .validation import validate_updates
from .client import LocalServiceClient
from .driver import (
    MAX_CONSECUTIVE_FAILED_INVOCATIONS,
    MAX_IDLE_PENDING_OUTPUTS,
    DriveOutcome,
    DriverMixin,
)

if TYPE_CHECKING:  # pragma: no cover
    from .sqlite_store import SqliteExecutionStore

__all__ = [
    "DriveOutcome",
    "LocalDurableService",
    "LocalServiceClient",
    "OpenCallback",
    "is_durable_handler",
    "require_durable_handler",
    "MAX_CONSECUTIVE_FAILED_INVOCATIONS",
    "MAX_IDLE_PENDING_OUTPUTS",
]

_ARN_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
_CALLBACK_TIMEOUT_ERRORS = {
    "callback-timeout": {"ErrorType": "Callback.Timeout", "ErrorMessage": "Callback timed out"},
    "callback-heartbeat": {
        "ErrorType": "Callback.Heartbeat",
        "ErrorMessage": "Callback timed out on heartbeat",
    },
}


@dataclass(frozen=True)
class InvokeRequest:
    """A CHAINED_INVOKE START as received: target name, input payload, tenant, resolved target."""

    function_name: str
    payload: str | None
    tenant_id: str | None
    registration: FunctionRegistration | None


@dataclass(frozen=True)
class OpenCallback:
    """A callback an execution waits on.

    ``name`` is the name a scripted answer must use (the enclosing wait_for_callback's name when
    there is one, else the callback's own ``Name``; ``None`` for an unnamed callback);
    ``operation_name`` the CALLBACK operation's own Name.
    """

    name: str | None
    callback_id: str
    operation_id: str
    operation_name: str | None
    execution_arn: str
    timeout_seconds: int = 0
    heartbeat_timeout_seconds: int = 0


def is_durable_handler(handler: Any) -> bool:
    """True when ``handler`` is a durable handler (wrapped by ``@durable_execution``): it takes
    the durable invocation event rather than a plain payload."""
    if getattr(handler, "__durable_function__", None) is not None:
        return True
    return bool(getattr(handler, "_durable_execution", False))


def require_durable_handler(handler: Any, what: str | None = None) -> None:
    """Raise :class:`TypeError` unless :func:`is_durable_handler`; ``what`` names the handler in
    the message (default: its qualified name). A handler that speaks the invocation protocol
    itself may declare so with ``handler._durable_execution = True``."""
    if is_durable_handler(handler):
        return
    if what is None:
        name = getattr(handler, "__qualname__", None)
        what = f"handler {name!r}" if name else repr(handler)
    raise TypeError(
        f"{what} is not a durable handler (decorate it with @durable_execution): it is invoked "
        "with the durable invocation event, not with your payload"
    )


def _seconds(value: float) -> int | float:
    """A number of seconds as configured: an int when whole (``300``), else the float (``0.5``)."""
    return int(value) if float(value).is_integer() else value


def _error_dict(error: Any) -> dict[str, Any]:
    """An ErrorObject given as dict, ``lambda_service.ErrorObject`` or ``None`` as a wire dict."""
    if error is None:
        return {}
    if isinstance(error, Mapping):
        return {k: v for k, v in error.items() if v is not None}
    to_dict = getattr(error, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {"ErrorMessage": str(error)}


def _resolve_function_name(function_name: str) -> tuple[str, str]:
    """``(bare name, name with qualifier)`` of a FunctionName given as name, partial or full ARN,
    with an optional ``:qualifier``."""
    parts = function_name.split(":")
    if function_name.startswith("arn:") and len(parts) >= 7:
        name, qualifier = parts[6], parts[7] if len(parts) > 7 else ""
    elif len(parts) >= 3 and parts[1] == "function":  # account:function:name[:qualifier]
        name, qualifier = parts[2], parts[3] if len(parts) > 3 else ""
    else:
        name, qualifier = parts[0], parts[1] if len(parts) > 1 else ""
    return name, f"{name}:{qualifier}" if qualifier else name


class LocalDurableService(DriverMixin):
    """The in-process durable execution service.

    Args:
        clock: the virtual clock (a new :class:`VirtualClock` by default).
        max_invocation_page_bytes: largest page of operations (bytes) in the invocation event,
            GetDurableExecutionState and checkpoint responses (default 5 MiB); set it small to
            exercise the SDK's paging.
        invocation_timeout: seconds each invocation may run (the Lambda function timeout, > 0):
            ``get_remaining_time_in_millis()`` counts down from it, and a handler still running
            then is abandoned, the invocation fails with ``Sandbox.Timedout`` and is retried.
        region, account_id: used in ARNs and Lambda contexts.
        omit_completed_children: leave descendants of completed contexts without
            ``ReplayChildren`` out of the state the handler receives (service behaviour).
        skip_time: skip the clock to the next timer when nothing can run (default). False makes
            every timer wait for the wall clock.
    """

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        max_invocation_page_bytes: int | None = None,
        invocation_timeout: float = 900,
        region: str = "us-west-2",
        account_id: str = "123456789012",
        omit_completed_children: bool = True,
        skip_time: bool = True,
    ) -> None:
        if not (math.isfinite(invocation_timeout) and invocation_timeout > 0):
            raise ValueError(
                "invocation_timeout must be a positive number of seconds, "
                f"got {invocation_timeout!r}"
            )
        self.clock = clock or VirtualClock()
        self.max_page_bytes = max_invocation_page_bytes or DEFAULT_MAX_INVOCATION_PAGE_BYTES
        self.invocation_timeout = invocation_timeout
        self.region = region
        self.account_id = account_id
        self.omit_completed_children = omit_completed_children
        self.skip_time = skip_time
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.executions: dict[str, LocalExecution] = {}
        self.functions: dict[str, FunctionRegistration] = {}
        self.callbacks: dict[str, tuple[LocalExecution, str]] = {}
        self.answers: dict[str, str | None] = {}
        self._answers_used: set[str] = set()
        self._callback_names: dict[str, None] = {}  # see callback_names()
        self.closed = False
        self.abandoned_calls: list[Any] = []  # calls of user code abandoned at a timeout (driver)
        self.client = LocalServiceClient(self)
        self._timer_seq = 0
        self._snapshot_seq = 0
        # persistence (attach_store): executions changed since the last save, ARNs deleted
        self.store: SqliteExecutionStore | None = None
        self._unsaved: dict[str, LocalExecution] = {}
        self._deleted: dict[str, None] = {}

    # -- registry -------------------------------------------------------------------------------

    def register_function(
        self,
        name: str,
        handler: Callable[..., Any],
        *,
        durable: bool,
        execution_timeout: float = 120,
        retention_period_days: int = 1,
        spec: str | None = None,
    ) -> None:
        """Make ``handler`` invokable as ``name`` (chained-invoke target). ``durable`` targets run
        as their own durable execution on this service; others are called once with the decoded
        payload and a Lambda context, their return value (JSON-encoded) being the result.
        ``spec`` (``FILE.py:HANDLER``) is where the handler was loaded from: kept in the store, so
        a later process can load it again to continue the executions."""
        with self.lock:
            self.functions[name] = FunctionRegistration(
                name, handler, durable, execution_timeout, retention_period_days, spec
            )
            if self.store is not None and spec is not None:
                self.store.save_functions(self._function_specs())

    def answer_callback(self, name: str, result: str | bytes | None) -> None:
        """Script an answer: every callback that starts with Name ``name`` (or inside a
        wait_for_callback context named ``name``; ``"*"`` matches any callback) is completed with
        success and ``result`` as soon as the invocation that created it has ended."""
        if isinstance(result, (bytes, bytearray)):
            result = bytes(result).decode("utf-8")
        with self.lock:
            self.answers[name] = result

    def unmatched_answers(self) -> list[str]:
        """The names of scripted answers (:meth:`answer_callback`) no callback has matched."""
        with self.lock:
            return [name for name in self.answers if name not in self._answers_used]

    def callback_names(self) -> list[str]:
        """The names of the callbacks started so far, as :class:`OpenCallback` ``name`` (the
        wait_for_callback's name, else the callback's own Name; unnamed ones left out), in
        start order."""
        with self.lock:
            return list(self._callback_names)

    def _lookup_function(self, function_name: str) -> FunctionRegistration | None:
        bare, qualified = _resolve_function_name(function_name)
        return (
            self.functions.get(function_name)
            or self.functions.get(qualified)
            or self.functions.get(bare)
        )

    # -- executions ----------------------------------------------------------------------------

    def start_execution(
        self,
        handler: Callable[..., Any],
        input_payload: str | None = None,
        *,
        function_name: str = "test-function",
        execution_name: str = "execution-name",
        account_id: str | None = None,
        execution_timeout: float = 300,
        tenant_id: str | None = None,
        on_event: Callable[[dict], None] | None = None,
        handler_spec: str | None = None,
    ) -> LocalExecution:
        """Create an execution (``ExecutionStarted`` recorded, first invocation owed) and return it.

        ``input_payload`` is the input JSON text (``InputPayload``); ``execution_timeout`` the
        wall-clock seconds it may run before it times out (``ExecutionTimedOut``); ``on_event``
        is called with each history event as it is appended; ``handler_spec``
        (``FILE.py:HANDLER``) is kept in the store to load the handler again after a restart.
        With a store, the execution is saved before this returns.
        """
        with self.lock:
            execution = self._create_execution(
                handler,
                input_payload,
                function_name=function_name,
                execution_name=execution_name,
                account_id=account_id or self.account_id,
                execution_timeout=execution_timeout,
                tenant_id=tenant_id,
                on_event=on_event,
                handler_spec=handler_spec,
            )
            self._commit()
            return execution

    def _create_execution(
        self,
        handler,
        input_payload,
        *,
        function_name,
        execution_name,
        account_id,
        execution_timeout,
        tenant_id=None,
        on_event=None,
        parent: LocalExecution | None = None,
        parent_op_id: str | None = None,
        handler_spec: str | None = None,
    ) -> LocalExecution:
        execution_id = str(uuid.uuid4())
        arn_function = _ARN_NAME_CHARS.sub("-", function_name.split(":")[0]) or "function"
        arn_name = _ARN_NAME_CHARS.sub("-", execution_name)[:64] or "execution"
        arn = (
            f"arn:aws:lambda:{self.region}:{account_id}:function:{arn_function}:$LATEST"
            f"/durable-execution/{arn_name}/{execution_id}"
        )
        now = self.clock.now()
        execution = LocalExecution(
            arn=arn,
            name=arn_name,
            execution_id=execution_id,
            function_name=arn_function,
            handler=handler,
            input_payload=input_payload,
            start=now,
            timeout_seconds=execution_timeout,
            history=History(on_event),
            account_id=account_id,
            region=self.region,
            tenant_id=tenant_id,
            parent=parent,
            parent_op_id=parent_op_id,
            handler_spec=handler_spec,
        )
        if execution_timeout and execution_timeout > 0:
            execution.wall_deadline = time.monotonic() + execution_timeout
        op: dict[str, Any] = {
            "Id": execution_id,
            "Type": "EXECUTION",
            "StartTimestamp": now,
            "Status": "STARTED",
            "ExecutionDetails": {} if input_payload is None else {"InputPayload": input_payload},
        }
        execution.operations[execution_id] = op
        self.executions[arn] = execution
        self._touch(execution, execution_id)
        if parent is not None:
            parent.children.append(execution)
        execution.history.append(
            EXECUTION_STARTED,
            now,
            {"Input": payload(input_payload), "ExecutionTimeout": _seconds(execution_timeout or 0)},
            {"Id": execution_id, "Name": arn_name},
        )
        return execution

    def get_execution(self, arn: str) -> LocalExecution:
        """The execution with ARN ``arn``; :class:`ResourceNotFoundException` if unknown."""
        with self.lock:
            execution = self.executions.get(arn)
            if execution is None:
                raise ResourceNotFoundException(f"Durable execution not found: {arn}")
            return execution

    def describe_execution(self, arn: str, include_execution_data: bool = True) -> dict[str, Any]:
        """The ``GetDurableExecution`` response for ``arn``."""
        with self.lock:
            ex = self.get_execution(arn)
            out: dict[str, Any] = {
                "DurableExecutionArn": ex.arn,
                "DurableExecutionName": ex.name,
                "FunctionArn": f"{ex.function_arn}:$LATEST",
                "StartTimestamp": ex.start,
                "Status": ex.api_status,
            }
            if include_execution_data:
                if ex.input_payload is not None:
                    out["InputPayload"] = ex.input_payload
                if ex.result is not None:
                    out["Result"] = ex.result
            if ex.error is not None:
                out["Error"] = dict(ex.error)
            if ex.end is not None:
                out["EndTimestamp"] = ex.end
            out["ExecutionDataIncluded"] = include_execution_data
            if ex.pause is not None and ex.running:
                out["PauseDetails"] = _pause_details(ex.pause)
            return out

    def get_history(self, arn: str, include_execution_data: bool = True) -> list[dict[str, Any]]:
        """The execution's events (copies), with or without data payloads."""
        with self.lock:
            events = self.get_execution(arn).history.events
            if include_execution_data:
                return copy_events(events)
            return without_execution_data(events)

    def operations(self, arn: str) -> list[dict[str, Any]]:
        """Copies of all the execution's operations in start order (timestamps as datetimes)."""
        with self.lock:
            return [copy_operation(op) for op in self.get_execution(arn).operations.values()]

    def open_callbacks(self, execution: LocalExecution) -> list[OpenCallback]:
        """The callbacks ``execution`` and its running chained children wait on."""
        with self.lock:
            return collect_open_callbacks(execution)

    def close(self) -> None:
        """Stop every driver at its next step; pending executions stay as they are."""
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def advance_time(self, seconds: float) -> None:
        """Move the virtual clock ``seconds`` forward; timers (callback timeouts included) that
        become due fire at the drivers' next step."""
        self.clock.advance(seconds)
        with self.cond:
            self.cond.notify_all()

    # -- persistence ---------------------------------------------------------------------------

    def attach_store(
        self,
        store: SqliteExecutionStore,
        load_handler: Callable[[str], Callable[..., Any]] | None = None,
        default_handler: Callable[..., Any] | None = None,
    ) -> list[LocalExecution]:
        """Keep this service's executions in ``store`` from now on, first taking back those it
        holds (call it once, before starting executions; register in-process functions first).

        Every API call that changes an execution saves the change before it returns (see
        :mod:`~lambda_durable.testing.sqlite_store`). Restored executions get their handler from
        the function registered under their function name, else by calling ``load_handler``
        with the ``FILE.py:HANDLER`` spec they were started with, else (root executions only)
        ``default_handler``; functions registered with a
        spec are registered again the same way. Running executions are owed an invocation (one
        in flight when the last process stopped is lost, and replaying is always safe); their
        checkpoint tokens are void. Returns the restored executions that are still running and
        have a handler (root executions first), for the caller to drive.

        Raises:
            RuntimeError: the service already has executions or a store.
            StoreError: the store cannot be read.
        """
        with self.cond:
            if self.store is not None or self.executions:
                raise RuntimeError("attach_store() must be called once, on a service with no executions")
            state = store.load()
            for name, entry in store.load_functions().items():
                if name in self.functions or load_handler is None:
                    continue
                self.functions[name] = FunctionRegistration(
                    name, load_handler(entry["spec"]), entry["durable"],
                    entry["execution_timeout"], entry.get("retention_period_days", 1), entry["spec"],
                )
            if state.clock_offset > self.clock.offset:
                self.clock.advance(state.clock_offset - self.clock.offset)
            runnable = []
            for stored in state.executions:
                ex = self._restore_execution(stored, load_handler, default_handler)
                if ex.running and ex.handler is not None:
                    runnable.append(ex)
            self.store = store
            return runnable

    def _restore_execution(
        self,
        stored: Any,
        load_handler: Callable[[str], Any] | None,
        default_handler: Callable[..., Any] | None,
    ) -> LocalExecution:
        record = stored.record
        registration = self.functions.get(record["function_name"])
        handler = registration.handler if registration is not None and registration.durable else None
        if handler is None and record.get("handler_spec") and load_handler is not None:
            handler = load_handler(record["handler_spec"])
        parent = self.executions.get(record.get("parent_arn") or "")
        if handler is None and parent is None:
            handler = default_handler
        ex = LocalExecution(
            arn=record["arn"],
            name=record["name"],
            execution_id=record["execution_id"],
            function_name=record["function_name"],
            handler=handler,  # type: ignore[arg-type]
            input_payload=record["input_payload"],
            start=record["start"],
            timeout_seconds=record["timeout_seconds"],
            history=History(None, stored.events),
            account_id=record["account_id"],
            region=record["region"],
            tenant_id=record["tenant_id"],
            status=ExecutionStatus(record["status"]),
            end=record["end"],
            result=record["result"],
            error=record["error"],
            parent=parent,
            parent_op_id=record["parent_op_id"],
            handler_spec=record.get("handler_spec"),
        )
        ex.saved_events = len(stored.events)
        if record.get("deadline") is not None:
            ex.wall_deadline = time.monotonic() + (record["deadline"] - time.time())
        if record.get("checkpointed_outcome"):
            ex.checkpointed_outcome = tuple(record["checkpointed_outcome"])  # type: ignore[assignment]
        ex.invocations = record.get("invocations", 0)
        ex.consecutive_failures = record.get("consecutive_failures", 0)
        ex.pending_dispatch = list(record.get("pending_dispatch") or [])
        for op_id, (function_name, payload_text, tenant) in (record.get("invoke_targets") or {}).items():
            ex.invoke_targets[op_id] = InvokeRequest(
                function_name, payload_text, tenant, self._lookup_function(function_name)
            )
        ex.pause = record.get("pause")
        ex.timeout_extended = record.get("timeout_extended", 0.0)
        ex.control_tokens = dict(record.get("control_tokens") or {})
        for op in stored.operations:
            ex.operations[op["Id"]] = op
            details = op.get("CallbackDetails")
            if op.get("Type") == "CALLBACK" and details and details.get("CallbackId"):
                self.callbacks[details["CallbackId"]] = (ex, op["Id"])
                if op.get("Status") == "STARTED":
                    ex.open_callbacks[op["Id"]] = None
        for op_id, kind, due, seconds, seq in stored.timers:
            ex.timers[(op_id, kind)] = Timer(ex, op_id, kind, due, seconds, seq)
            self._timer_seq = max(self._timer_seq, seq)
        ex.needs_invoke = ex.running and handler is not None
        self.executions[ex.arn] = ex
        if ex.running and ex.pause is not None and not ex.pause["effective"]:
            self._pause_now(ex)  # PAUSING: the invocation it waited for died with the process
        if parent is not None:
            parent.children.append(ex)
        return ex

    def _function_specs(self) -> dict[str, dict[str, Any]]:
        return {
            name: {
                "spec": reg.spec,
                "durable": reg.durable,
                "execution_timeout": reg.execution_timeout,
                "retention_period_days": reg.retention_period_days,
            }
            for name, reg in self.functions.items()
            if reg.spec is not None
        }

    def _touch(self, ex: LocalExecution, op_id: str | None = None) -> None:
        """Note that ``ex`` (and its operation ``op_id``) changed and must be saved."""
        if self.store is None:
            return
        self._unsaved[ex.arn] = ex
        if op_id is not None:
            ex.unsaved_ops[op_id] = None

    def _commit(self) -> None:
        """Save what changed since the last commit in one store transaction (no-op without a
        store). Called under the lock before a change is acknowledged."""
        if self.store is None or not (self._unsaved or self._deleted):
            return
        self.store.save(self._unsaved.values(), self._deleted, clock_offset=self.clock.offset)
        self._unsaved.clear()
        self._deleted.clear()

    # -- the durable APIs -----------------------------------------------------------------------

    def checkpoint(
        self,
        arn: str,
        checkpoint_token: str,
        updates: Iterable[Mapping[str, Any]] | None = None,
        client_token: str | None = None,
    ) -> dict[str, Any]:
        """``CheckpointDurableExecution``: validate and apply ``updates`` as one batch.

        Returns ``{"CheckpointToken": new token (absent after an EXECUTION update),
        "NewExecutionState": {"Operations": [operations changed since the previous response,
        async completions included], "NextMarker"?}}``. Raises
        :class:`InvalidParameterValueException` for a stale/unknown token ("Invalid checkpoint
        token ...") or an update that breaks a rule. A repeated ``(ClientToken, CheckpointToken)``
        returns the stored response of the first call.
        """
        updates = list(updates or [])
        with self.cond:
            ex = self.executions.get(arn)
            if ex is None:
                raise InvalidParameterValueException(f"Invalid durable execution ARN: {arn}")
            if client_token is not None:
                if not isinstance(client_token, str) or not CLIENT_TOKEN_PATTERN.fullmatch(
                    client_token
                ):
                    raise InvalidParameterValueException(
                        "ClientToken must be 1..64 printable ASCII characters"
                    )
                stored = ex.idempotency.get((client_token, checkpoint_token))
                if stored is not None:
                    return _copy_response(stored)
            self._check_token(ex, checkpoint_token, for_write=True)
            self._fire_due_timers()
            validate_updates(updates, ex.operations)
            now = self.clock.now()
            for update in updates:
                self._apply_update(ex, update, now)
            if ex.checkpointed_outcome is not None:
                ex.token = next_token = None  # the execution is complete: no more checkpoints
            elif self._pause_at_checkpoint(ex):
                ex.token = next_token = None  # paused: the SDK ends the invocation (PENDING)
            else:
                next_token = new_token()
                ex.token = next_token
                ex.invocation_tokens.add(next_token)
            response: dict[str, Any] = {"NewExecutionState": self._changed_state(ex)}
            if next_token is not None:
                response = {"CheckpointToken": next_token, **response}
            self._touch(ex)
            self._commit()
            if client_token is not None:
                ex.idempotency[(client_token, checkpoint_token)] = _copy_response(response)
            self.cond.notify_all()
            return response

    def get_state(
        self,
        arn: str,
        checkpoint_token: str,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        """``GetDurableExecutionState``: one page of operations, ``{"Operations", "NextMarker"?}``.

        ``marker`` continues a listing (from the invocation event, a checkpoint response or a
        previous page); ``max_items`` 1..1000 (0/None = 100); pages are also cut at
        ``max_invocation_page_bytes``. The token must be one issued to the running invocation.
        """
        with self.lock:
            ex = self.executions.get(arn)
            if ex is None:
                raise InvalidParameterValueException(f"Invalid durable execution ARN: {arn}")
            self._check_token(ex, checkpoint_token, for_write=False)
            if max_items is None or max_items == 0:
                max_items = 100
            if isinstance(max_items, bool) or not isinstance(max_items, int) or not 0 < max_items <= 1000:
                raise InvalidParameterValueException("MaxItems must be between 0 and 1000")
            if marker:
                key, _, offset_text = marker.rpartition(".")
                ids = ex.snapshots.get(key)
                if ids is None or not offset_text.isdigit():
                    raise InvalidParameterValueException(f"Invalid marker: {marker}")
                offset = int(offset_text)
            else:
                ids = ex.visible_operation_ids(self.omit_completed_children)
                key, offset = None, 0
            return self._page(ex, ids, offset, key, max_items, datetimes=True)

    def send_callback_success(self, callback_id: str, result: str | bytes | None = None) -> None:
        """``SendDurableExecutionCallbackSuccess``: the callback SUCCEEDS with ``result`` (bytes
        are decoded as UTF-8; the text is stored verbatim as ``CallbackDetails.Result``)."""
        if isinstance(result, (bytes, bytearray, memoryview)):
            raw = bytes(result)
            if len(raw) > CALLBACK_RESULT_LIMIT_BYTES:
                raise InvalidParameterValueException(
                    f"Result must be at most {CALLBACK_RESULT_LIMIT_BYTES} bytes"
                )
            try:
                result = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidParameterValueException("Result must be UTF-8 text") from None
        elif result is not None and utf8_len(result) > CALLBACK_RESULT_LIMIT_BYTES:
            raise InvalidParameterValueException(
                f"Result must be at most {CALLBACK_RESULT_LIMIT_BYTES} bytes"
            )
        with self.cond:
            ex, op = self._open_callback(callback_id)
            self._complete_callback(ex, op, "SUCCEEDED", result=result)
            self._commit()

    def send_callback_failure(self, callback_id: str, error: Any = None) -> None:
        """``SendDurableExecutionCallbackFailure``: the callback FAILS with ``error`` (an
        ErrorObject as dict or ``lambda_service.ErrorObject``; ``None`` = empty error)."""
        error_dict = _error_dict(error)
        with self.cond:
            ex, op = self._open_callback(callback_id)
            self._complete_callback(ex, op, "FAILED", error=error_dict)
            self._commit()

    def send_callback_heartbeat(self, callback_id: str) -> None:
        """``SendDurableExecutionCallbackHeartbeat``: re-arm the callback's heartbeat timer."""
        with self.cond:
            ex, op = self._open_callback(callback_id)
            timer = ex.timers.get((op["Id"], "callback-heartbeat"))
            if timer is not None:
                timer.due = self.clock.time() + timer.seconds
                self._touch(ex, op["Id"])
                self._commit()
            self.cond.notify_all()

    def stop_execution(self, arn: str, error: Any = None) -> datetime.datetime:
        """``StopDurableExecution``: the execution ends STOPPED (``ExecutionStopped``)."""
        with self.cond:
            ex = self.get_execution(arn)
            if not ex.running:
                raise InvalidParameterValueException(f"Durable execution {arn} is not running")
            self._finish(ex, ExecutionStatus.STOPPED, error=_error_dict(error))
            self._commit()
            return ex.end  # type: ignore[return-value]

    # -- pause, resume, delete ------------------------------------------------------------------

    def pause_execution(
        self,
        arn: str,
        reason: str | None = None,
        execution_timeout_paused: bool = True,
        client_token: str | None = None,
    ) -> None:
        """``PauseDurableExecution``: invoke the execution no more until :meth:`resume_execution`.

        With no invocation running the pause takes effect at once: status ``PAUSED``, an
        ``ExecutionPaused`` event. While an invocation runs the status is ``PAUSING`` until that
        invocation's next checkpoint, which is applied and answered without a checkpoint token
        (the SDK then ends the invocation with PENDING; it is owed a successor), or until it
        ends, whichever comes first. While paused no invocation starts, but waits, retry timers,
        callbacks and chained invokes still complete (each makes the execution owed an
        invocation). Stop still works on a paused execution.

        Args:
            arn: the execution's ARN.
            reason: at most 1024 characters, recorded in ``ExecutionPaused`` and ``PauseDetails``.
            execution_timeout_paused: stop the execution timeout clock while paused (the API's
                default, True): on resume the deadline moves back by the wall-clock seconds spent
                paused, but never past 366 days of running in total. False: the execution may
                time out while paused.
            client_token: idempotency token (1..64 printable ASCII); a repeated pause with the
                same token does nothing.

        Raises:
            ResourceNotFoundException: no execution has that ARN.
            ResourceConflictException: the execution has ended, or is already PAUSING/PAUSED.
            InvalidParameterValueException: ``reason``, ``client_token`` or the flag is invalid.
        """
        reason = _check_control_request(reason, client_token)
        if not isinstance(execution_timeout_paused, bool):
            raise InvalidParameterValueException("ExecutionTimeoutPaused must be true or false")
        with self.cond:
            ex = self.get_execution(arn)
            if client_token is not None and ex.control_tokens.get(client_token) == "pause":
                return
            if not ex.running:
                raise ResourceConflictException(
                    f"Durable execution {arn} has ended ({ex.status.value}): it cannot be paused"
                )
            if ex.pause is not None:
                raise ResourceConflictException(
                    f"Durable execution {arn} is already {ex.api_status}"
                )
            pause: dict[str, Any] = {
                "PauseRequestTimestamp": self.clock.now(),
                "ExecutionTimeoutPaused": execution_timeout_paused,
                "effective": False,
            }
            if reason is not None:
                pause["Reason"] = reason
            ex.pause = pause
            if client_token is not None:
                ex.control_tokens[client_token] = "pause"
            if not ex.invoking:
                self._pause_now(ex)
            self._touch(ex)
            self._commit()
            self.cond.notify_all()

    def resume_execution(
        self, arn: str, reason: str | None = None, client_token: str | None = None
    ) -> None:
        """``ResumeDurableExecution``: end a pause.

        From ``PAUSED``: status back to ``RUNNING``, an ``ExecutionResumed`` event (with
        ``reason``, at most 1024 characters), the execution timeout clock restarts, and the
        function is invoked if the pause interrupted an invocation or an operation completed
        meanwhile (otherwise the execution goes on waiting for its pending operations). From
        ``PAUSING``: the pause is cancelled (no event) and the running invocation goes on. A
        repeated resume with the same ``client_token`` does nothing.

        Raises:
            ResourceNotFoundException: no execution has that ARN.
            ResourceConflictException: the execution has ended, or is not paused.
            InvalidParameterValueException: ``reason`` or ``client_token`` is invalid.
        """
        reason = _check_control_request(reason, client_token)
        with self.cond:
            ex = self.get_execution(arn)
            if client_token is not None and ex.control_tokens.get(client_token) == "resume":
                return
            if not ex.running:
                raise ResourceConflictException(
                    f"Durable execution {arn} has ended ({ex.status.value}): it cannot be resumed"
                )
            pause = ex.pause
            if pause is None:
                raise ResourceConflictException(f"Durable execution {arn} is not paused")
            ex.pause = None
            if client_token is not None:
                ex.control_tokens[client_token] = "resume"
            if pause["effective"]:
                self._restart_timeout_clock(ex, pause)
                now = self.clock.now()
                details: dict[str, Any] = {"ResumeRequestTimestamp": now}
                if reason is not None:
                    details["Reason"] = payload(reason)
                ex.history.append(EXECUTION_RESUMED, now, details)
            self._touch(ex)
            self._commit()
            self.cond.notify_all()

    def delete_execution(self, arn: str) -> datetime.datetime:
        """``DeleteDurableExecution``: remove an execution that has ended, with its operations,
        history and callbacks; afterwards every call naming ``arn`` raises
        :class:`ResourceNotFoundException`. Chained executions it started are executions of
        their own and stay. Returns the ``DeletionRequestTimestamp`` (an aware UTC datetime on
        the service clock).

        Raises:
            ResourceNotFoundException: no execution has that ARN.
            ResourceConflictException: the execution is still running (stop it first).
        """
        with self.cond:
            ex = self.get_execution(arn)
            if ex.running:
                raise ResourceConflictException(
                    f"Durable execution {arn} is {ex.api_status}: only an execution that has "
                    "ended can be deleted"
                )
            now = self.clock.now()
            del self.executions[arn]
            for callback_id in [c for c, (owner, _) in self.callbacks.items() if owner is ex]:
                del self.callbacks[callback_id]
            parent = ex.parent
            if parent is not None:
                parent.children = [child for child in parent.children if child is not ex]
            self._unsaved.pop(arn, None)
            if self.store is not None:
                self._deleted[arn] = None
            self._commit()
            self.cond.notify_all()
            return now

    def _pause_now(self, ex: LocalExecution) -> None:
        """The pause requested for ``ex`` takes effect: ``PAUSED``, ``ExecutionPaused`` recorded,
        the execution timeout clock stopped when the pause says so (while paused only the
        366-day limit is left as the deadline)."""
        pause = ex.pause
        assert pause is not None
        pause["effective"] = True
        if pause["ExecutionTimeoutPaused"] and ex.wall_deadline is not None:
            remaining = ex.wall_deadline - time.monotonic()
            if remaining > 0:
                pause["timeout_remaining"] = remaining
                pause["stopped_at"] = time.time()
                ex.wall_deadline += _timeout_extension_left(ex)
        details: dict[str, Any] = {"PauseRequestTimestamp": pause["PauseRequestTimestamp"]}
        if pause.get("Reason") is not None:
            details["Reason"] = payload(pause["Reason"])
        details["ExecutionTimeoutPaused"] = pause["ExecutionTimeoutPaused"]
        ex.history.append(EXECUTION_PAUSED, self.clock.now(), details)
        self._touch(ex)
        self.cond.notify_all()

    def _restart_timeout_clock(self, ex: LocalExecution, pause: Mapping[str, Any]) -> None:
        """On resume: the deadline the execution had when its timeout clock stopped, moved back
        by the wall-clock time spent paused (bounded by the 366-day limit)."""
        remaining = pause.get("timeout_remaining")
        if remaining is None:
            return
        paused_for = max(0.0, time.time() - pause["stopped_at"])
        extension = min(paused_for, _timeout_extension_left(ex))
        ex.timeout_extended += extension
        ex.wall_deadline = time.monotonic() - paused_for + remaining + extension

    def _pause_at_checkpoint(self, ex: LocalExecution) -> bool:
        """At a checkpoint of the running invocation: a pause requested meanwhile takes effect
        now. True when it did: the response goes without a checkpoint token and the execution
        is owed an invocation (the interrupted one's successor) once resumed."""
        pause = ex.pause
        if pause is None or pause["effective"]:
            return False
        self._pause_now(ex)
        ex.dirty = True
        return True

    def _settle_pause(self, ex: LocalExecution) -> None:
        """After an invocation of ``ex`` has been completed: a pause still pending takes effect
        (the invocation ended before checkpointing again); one on an ended execution goes."""
        pause = ex.pause
        if pause is None:
            return
        if not ex.running:
            ex.pause = None
        elif not pause["effective"]:
            self._pause_now(ex)

    # -- token and paging helpers -----------------------------------------------------------------

    def _check_token(self, ex: LocalExecution, token: Any, *, for_write: bool) -> None:
        if not isinstance(token, str) or not token or not TOKEN_PATTERN.fullmatch(token):
            raise InvalidParameterValueException(f"Invalid checkpoint token: {token!r}")
        valid = (token == ex.token) if for_write else (token in ex.invocation_tokens)
        if not valid or not ex.running:
            raise InvalidParameterValueException(
                f"Invalid checkpoint token {token!r}: it was already used, belongs to an "
                "invocation that has ended, or was not issued for this execution"
            )

    def _changed_state(self, ex: LocalExecution) -> dict[str, Any]:
        ids = list(ex.changed)
        ex.changed.clear()
        if not ids:
            return {"Operations": []}
        return self._page(ex, ids, 0, None, None, datetimes=True)

    def _snapshot(self, ex: LocalExecution, ids: list[str]) -> str:
        self._snapshot_seq += 1
        key = f"m{self._snapshot_seq}"
        ex.snapshots[key] = ids
        return key

    def _page(
        self,
        ex: LocalExecution,
        ids: list[str],
        offset: int,
        key: str | None,
        max_items: int | None,
        *,
        datetimes: bool,
    ) -> dict[str, Any]:
        """One page of ``ids[offset:]``; a ``NextMarker`` when more remain."""
        operations = ex.operations
        remaining = (to_event_form(operations[op_id]) for op_id in ids[offset:])
        page, count = take_page(remaining, self.max_page_bytes, max_items)
        if datetimes:
            page = [copy_operation(operations[op_id]) for op_id in ids[offset : offset + count]]
        out: dict[str, Any] = {"Operations": page}
        if offset + count < len(ids):
            if key is None:
                key = self._snapshot(ex, ids)
            out["NextMarker"] = f"{key}.{offset + count}"
        return out

    # -- applying updates -------------------------------------------------------------------------

    def _apply_update(self, ex: LocalExecution, update: Mapping[str, Any], now: datetime.datetime) -> None:
        kind, action, op_id = update["Type"], update["Action"], update["Id"]
        if kind == "EXECUTION":
            if action == "SUCCEED":
                ex.checkpointed_outcome = ("SUCCEED", update.get("Payload"))
            else:
                ex.checkpointed_outcome = ("FAIL", dict(update.get("Error") or {}))
            return
        op = ex.operations.get(op_id)
        if op is None:
            op = {"Id": op_id}
            if update.get("ParentId") is not None:
                op["ParentId"] = update["ParentId"]
            if update.get("Name") is not None:
                op["Name"] = update["Name"]
            op["Type"] = kind
            if update.get("SubType") is not None:
                op["SubType"] = update["SubType"]
            op["StartTimestamp"] = now
            ex.operations[op_id] = op
        handler = getattr(self, f"_apply_{kind.lower()}")
        handler(ex, op, update, now)
        ex.changed[op_id] = None
        self._touch(ex, op_id)
        for event_type, details in events_for_update(update, op):
            if event_type == CHAINED_INVOKE_STARTED:
                details = self._invoke_started_details(ex, op, update)
            ex.history.append(event_type, now, details, update)

    def _apply_step(self, ex, op, update, now) -> None:
        action = update["Action"]
        details = op.setdefault("StepDetails", {"Attempt": 0})
        if action == "START":
            op["Status"] = "STARTED"
            return
        details["Attempt"] = details.get("Attempt", 0) + 1
        ex.timers.pop((op["Id"], "retry"), None)
        if action == "RETRY":
            delay = update["StepOptions"]["NextAttemptDelaySeconds"]
            due = now.timestamp() + delay
            op["Status"] = "PENDING"
            details["NextAttemptTimestamp"] = from_epoch(due)
            if update.get("Error") is not None:
                details["Error"] = dict(update["Error"])
                details.pop("Result", None)
            else:
                details.pop("Error", None)
                if update.get("Payload") is not None:
                    details["Result"] = update["Payload"]
                else:
                    details.pop("Result", None)
            self._add_timer(ex, op["Id"], "retry", due, delay)
            return
        op["EndTimestamp"] = now
        details.pop("NextAttemptTimestamp", None)
        if action == "SUCCEED":
            op["Status"] = "SUCCEEDED"
            details.pop("Error", None)
            if update.get("Payload") is not None:
                details["Result"] = update["Payload"]
            else:
                details.pop("Result", None)
        else:
            op["Status"] = "FAILED"
            details.pop("Result", None)
            details["Error"] = dict(update.get("Error") or {})

    def _apply_context(self, ex, op, update, now) -> None:
        action = update["Action"]
        if action == "START":
            op["Status"] = "STARTED"
            return
        op["EndTimestamp"] = now
        details: dict[str, Any] = {}
        options = update.get("ContextOptions")
        if action == "SUCCEED":
            op["Status"] = "SUCCEEDED"
            if update.get("Payload") is not None:
                details["Result"] = update["Payload"]
        else:
            op["Status"] = "FAILED"
            details["Error"] = dict(update.get("Error") or {})
        details["ReplayChildren"] = bool((options or {}).get("ReplayChildren", False))
        op["ContextDetails"] = details

    def _apply_wait(self, ex, op, update, now) -> None:
        if update["Action"] == "START":
            seconds = update["WaitOptions"]["WaitSeconds"]
            due = now.timestamp() + seconds
            op["Status"] = "STARTED"
            op["WaitDetails"] = {"ScheduledEndTimestamp": from_epoch(due)}
            self._add_timer(ex, op["Id"], "wait", due, seconds)
        else:  # CANCEL
            op["Status"] = "CANCELLED"
            op["EndTimestamp"] = now
            ex.timers.pop((op["Id"], "wait"), None)

    def _apply_callback(self, ex, op, update, now) -> None:
        options = update.get("CallbackOptions") or {}
        callback_id = new_callback_id()
        op["Status"] = "STARTED"
        op["CallbackDetails"] = {"CallbackId": callback_id}
        self.callbacks[callback_id] = (ex, op["Id"])
        ex.open_callbacks[op["Id"]] = None
        answer_name = self._answer_name(ex, op)
        if answer_name is not None:
            self._callback_names[answer_name] = None
        clock_now = now.timestamp()
        timeout = options.get("TimeoutSeconds") or 0
        heartbeat = options.get("HeartbeatTimeoutSeconds") or 0
        if timeout:
            self._add_timer(ex, op["Id"], "callback-timeout", clock_now + timeout, timeout)
        if heartbeat:
            self._add_timer(ex, op["Id"], "callback-heartbeat", clock_now + heartbeat, heartbeat)

    def _apply_chained_invoke(self, ex, op, update, now) -> None:
        op_id = op["Id"]
        if update["Action"] == "CANCEL":
            op["Status"] = "CANCELLED"
            op["EndTimestamp"] = now
            if update.get("Error") is not None:
                op["ChainedInvokeDetails"] = {"Error": dict(update["Error"])}
            if op_id in ex.pending_dispatch:
                ex.pending_dispatch.remove(op_id)
            for child in ex.children:
                if child.parent_op_id == op_id and child.running:
                    self._finish(child, ExecutionStatus.STOPPED, error={
                        "ErrorType": "Execution.Stopped",
                        "ErrorMessage": "The chained invoke was cancelled",
                    }, notify_parent=False)
            return
        options = update["ChainedInvokeOptions"]
        op["Status"] = "STARTED"
        registration = self._lookup_function(options["FunctionName"])
        ex.invoke_targets[op_id] = InvokeRequest(
            options["FunctionName"], update.get("Payload"), options.get("TenantId"), registration
        )
        if registration is not None and registration.durable:
            self._create_execution(
                registration.handler,
                update.get("Payload"),
                function_name=registration.name,
                execution_name=op_id,
                account_id=ex.account_id,
                execution_timeout=registration.execution_timeout,
                tenant_id=options.get("TenantId"),
                parent=ex,
                parent_op_id=op_id,
            )
        else:
            ex.pending_dispatch.append(op_id)

    def _invoke_started_details(self, ex, op, update) -> dict[str, Any]:
        options = update.get("ChainedInvokeOptions") or {}
        details: dict[str, Any] = {"FunctionName": options.get("FunctionName")}
        if options.get("TenantId") is not None:
            details["TenantId"] = options["TenantId"]
        details["Input"] = payload(update.get("Payload"))
        request = ex.invoke_targets.get(op["Id"])
        if request is not None and request.registration is not None:
            details["ExecutedVersion"] = "$LATEST"
        for child in ex.children:
            if child.parent_op_id == op["Id"]:
                details["DurableExecutionArn"] = child.arn
        return details

    def _add_timer(self, ex: LocalExecution, op_id: str, kind: str, due: float, seconds: int) -> None:
        self._timer_seq += 1
        ex.timers[(op_id, kind)] = Timer(ex, op_id, kind, due, seconds, self._timer_seq)

    # -- asynchronous completions -----------------------------------------------------------------

    def _mark_async_change(self, ex: LocalExecution, op_id: str) -> None:
        """Record that ``op_id`` changed outside an invocation's own updates: it goes into the next
        checkpoint response and ``UpdatedOperationIds``, and the handler is owed an invocation."""
        ex.changed[op_id] = None
        ex.updated_ids[op_id] = None
        self._touch(ex, op_id)
        if ex.invoking:
            ex.dirty = True
        else:
            ex.needs_invoke = True
        ex.blocked = False
        self.cond.notify_all()

    def _open_callback(self, callback_id: Any) -> tuple[LocalExecution, dict[str, Any]]:
        if not isinstance(callback_id, str) or not callback_id or not TOKEN_PATTERN.fullmatch(
            callback_id
        ):
            raise InvalidParameterValueException(f"Invalid callback id: {callback_id!r}")
        entry = self.callbacks.get(callback_id)
        if entry is None:
            raise ResourceNotFoundException(f"Callback not found: {callback_id}")
        ex, op_id = entry
        op = ex.operations[op_id]
        status = op.get("Status")
        if status == "TIMED_OUT":
            raise CallbackTimeoutException(f"Callback {callback_id} has timed out")
        if status != "STARTED":
            raise InvalidParameterValueException(
                f"Callback {callback_id} has already completed ({status})"
            )
        if not ex.running:
            raise InvalidParameterValueException(
                f"Callback {callback_id} belongs to execution {ex.arn}, which has ended "
                f"({ex.status.value})"
            )
        return ex, op

    def _complete_callback(
        self,
        ex: LocalExecution,
        op: dict[str, Any],
        status: str,
        *,
        result: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        op_id = op["Id"]
        now = self.clock.now()
        op["Status"] = status
        op["EndTimestamp"] = now
        details = op["CallbackDetails"]
        if status == "SUCCEEDED":
            if result is not None:
                details["Result"] = result
            ex.history.append(CALLBACK_SUCCEEDED, now, {"Result": payload(result)}, op)
        else:
            details["Error"] = dict(error or {})
            event_type = CALLBACK_FAILED if status == "FAILED" else CALLBACK_TIMED_OUT
            ex.history.append(event_type, now, {"Error": error_payload(error)}, op)
        ex.open_callbacks.pop(op_id, None)
        ex.scripted.pop(op_id, None)
        ex.timers.pop((op_id, "callback-timeout"), None)
        ex.timers.pop((op_id, "callback-heartbeat"), None)
        self._mark_async_change(ex, op_id)

    def _fire_due_timers(self) -> bool:
        """Fire every timer of a running execution that is due on the virtual clock; returns
        whether any fired. Waits SUCCEED (``WaitSucceeded``), retry timers make the step READY
        (no event), callback timers time the callback out (``CallbackTimedOut``)."""
        now = self.clock.time()
        due = [
            timer
            for ex in self.executions.values()
            if ex.running and ex.timers
            for timer in ex.timers.values()
            if timer.due <= now
        ]
        if not due:
            return False
        due.sort(key=lambda t: (t.due, t.seq))
        for timer in due:
            ex = timer.execution
            if ex.timers.get((timer.op_id, timer.kind)) is not timer or not ex.running:
                continue
            self._fire_timer(timer)
        return True

    def _fire_timer(self, timer: Timer) -> None:
        ex, op_id = timer.execution, timer.op_id
        ex.timers.pop((op_id, timer.kind), None)
        op = ex.operations[op_id]
        if timer.kind == "wait":
            now = self.clock.now()
            op["Status"] = "SUCCEEDED"
            op["EndTimestamp"] = now
            ex.history.append(WAIT_SUCCEEDED, now, {"Duration": timer.seconds}, op)
            self._mark_async_change(ex, op_id)
        elif timer.kind == "retry":
            op["Status"] = "READY"
            self._mark_async_change(ex, op_id)
        else:
            self._complete_callback(
                ex, op, "TIMED_OUT", error=dict(_CALLBACK_TIMEOUT_ERRORS[timer.kind])
            )

    def _answer_name(self, ex: LocalExecution, op: Mapping[str, Any]) -> str | None:
        return callback_answer_name(ex.operations, op)

    def _scripted_answer_name(self, ex: LocalExecution, op: Mapping[str, Any]) -> str | None:
        """The name of the scripted answer for callback ``op`` (its own Name, its
        wait_for_callback's name, then ``"*"``); ``None`` when none applies."""
        for name in (op.get("Name"), self._answer_name(ex, op), "*"):
            if name is not None and name in self.answers:
                return name
        return None

    def _apply_scripted_answers(self, tree: list[LocalExecution]) -> None:
        if not self.answers:
            return
        for ex in tree:
            for op_id in list(ex.open_callbacks):
                op = ex.operations[op_id]
                name = self._scripted_answer_name(ex, op)
                if name is not None:
                    self._answers_used.add(name)
                    self._complete_callback(ex, op, "SUCCEEDED", result=self.answers[name])

    def _check_execution_deadlines(self, tree: list[LocalExecution]) -> float | None:
        """Time out executions past their wall-clock deadline; return the nearest deadline
        (monotonic seconds) of those still running."""
        nearest = None
        now = time.monotonic()
        for ex in tree:
            if not ex.running or ex.wall_deadline is None:
                continue
            if now >= ex.wall_deadline:
                self._finish(
                    ex,
                    ExecutionStatus.TIMED_OUT,
                    error={
                        "ErrorType": "Execution.TimedOut",
                        "ErrorMessage": (
                            f"Execution timed out after {_seconds(ex.timeout_seconds)} seconds."
                        ),
                    },
                )
            elif nearest is None or ex.wall_deadline < nearest:
                nearest = ex.wall_deadline
        return nearest

    # -- ending executions ------------------------------------------------------------------------

    def _finish(
        self,
        ex: LocalExecution,
        status: ExecutionStatus,
        *,
        result: str | None = None,
        error: dict[str, Any] | None = None,
        notify_parent: bool = True,
    ) -> None:
        if not ex.running:
            return
        now = self.clock.now()
        ex.status = status
        ex.end = now
        ex.token = None
        ex.invocation_tokens.clear()
        ex.needs_invoke = False
        ex.pause = None
        execution_op = ex.operations[ex.execution_id]
        execution_op["Status"] = status.value
        execution_op["EndTimestamp"] = now
        self._touch(ex, ex.execution_id)
        if status is ExecutionStatus.SUCCEEDED:
            ex.result = result
            ex.history.append(EXECUTION_SUCCEEDED, now, {"Result": payload(result)})
        else:
            ex.error = dict(error or {})
            event_type = {
                ExecutionStatus.FAILED: EXECUTION_FAILED,
                ExecutionStatus.TIMED_OUT: EXECUTION_TIMED_OUT,
                ExecutionStatus.STOPPED: EXECUTION_STOPPED,
            }[status]
            ex.history.append(event_type, now, {"Error": error_payload(ex.error)})
        parent = ex.parent
        if notify_parent and parent is not None and parent.running:
            op = parent.operations.get(ex.parent_op_id or "")
            if op is not None and op.get("Status") == "STARTED":
                invoke_status = {
                    ExecutionStatus.SUCCEEDED: "SUCCEEDED",
                    ExecutionStatus.FAILED: "FAILED",
                    ExecutionStatus.TIMED_OUT: "TIMED_OUT",
                    ExecutionStatus.STOPPED: "STOPPED",
                }[status]
                self._complete_invoke(parent, op, invoke_status, result=result, error=ex.error)
        self.cond.notify_all()

    def _complete_invoke(
        self,
        ex: LocalExecution,
        op: dict[str, Any],
        status: str,
        *,
        result: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        now = self.clock.now()
        op["Status"] = status
        op["EndTimestamp"] = now
        if status == "SUCCEEDED":
            op["ChainedInvokeDetails"] = {} if result is None else {"Result": result}
            ex.history.append(CHAINED_INVOKE_SUCCEEDED, now, {"Result": payload(result)}, op)
        else:
            op["ChainedInvokeDetails"] = {"Error": dict(error or {})}
            event_type = {
                "FAILED": CHAINED_INVOKE_FAILED,
                "TIMED_OUT": CHAINED_INVOKE_TIMED_OUT,
                "STOPPED": CHAINED_INVOKE_STOPPED,
            }[status]
            ex.history.append(event_type, now, {"Error": error_payload(error)}, op)
        self._mark_async_change(ex, op["Id"])


#: An execution whose timeout is paused still times out this long (seconds) after it started.
MAX_PAUSED_EXECUTION_LIFETIME_SECONDS = 366 * 24 * 3600
#: Longest Pause/Resume ``Reason`` (characters).
MAX_CONTROL_REASON_CHARS = 1024


def _timeout_extension_left(ex: LocalExecution) -> float:
    """Seconds pauses may still push ``ex``'s deadline back (the 366-day limit)."""
    return max(
        0.0, MAX_PAUSED_EXECUTION_LIFETIME_SECONDS - (ex.timeout_seconds or 0) - ex.timeout_extended
    )


def _check_control_request(reason: Any, client_token: Any) -> str | None:
    """Validate a Pause/Resume ``Reason`` and ``ClientToken``; returns the reason."""
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_CONTROL_REASON_CHARS):
        raise InvalidParameterValueException(
            f"Reason must be a string of at most {MAX_CONTROL_REASON_CHARS} characters"
        )
    if client_token is not None and (
        not isinstance(client_token, str) or not CLIENT_TOKEN_PATTERN.fullmatch(client_token)
    ):
        raise InvalidParameterValueException("ClientToken must be 1..64 printable ASCII characters")
    return reason


def _pause_details(pause: Mapping[str, Any]) -> dict[str, Any]:
    """The API's ``PauseDetails`` of a pause record."""
    out: dict[str, Any] = {"PauseRequestTimestamp": pause["PauseRequestTimestamp"]}
    if pause.get("Reason") is not None:
        out["Reason"] = pause["Reason"]
    out["ExecutionTimeoutPaused"] = pause["ExecutionTimeoutPaused"]
    return out


def callback_answer_name(
    operations: Mapping[str, Mapping[str, Any]], op: Mapping[str, Any]
) -> str | None:
    """The name callback ``op`` is known by (:attr:`OpenCallback.name`): the enclosing
    wait_for_callback's Name when there is one, else the callback's own Name (``None`` if
    unnamed). ``operations``: the execution's operations by Id."""
    parent = operations.get(op.get("ParentId") or "")
    if (
        parent is not None
        and parent.get("Type") == "CONTEXT"
        and parent.get("SubType") == "WaitForCallback"
        and parent.get("Name")
    ):
        return parent["Name"]
    return op.get("Name")


def collect_open_callbacks(execution: LocalExecution) -> list[OpenCallback]:
    """The callbacks ``execution`` and its running chained children wait on, in start order
    (call it under the service lock)."""
    out = []
    for ex in execution.tree():
        for op_id in ex.open_callbacks:
            op = ex.operations[op_id]
            out.append(
                OpenCallback(
                    name=callback_answer_name(ex.operations, op),
                    callback_id=op["CallbackDetails"]["CallbackId"],
                    operation_id=op_id,
                    operation_name=op.get("Name"),
                    execution_arn=ex.arn,
                    timeout_seconds=_timer_seconds(ex.timers, op_id, "callback-timeout"),
                    heartbeat_timeout_seconds=_timer_seconds(
                        ex.timers, op_id, "callback-heartbeat"
                    ),
                )
            )
    return out


def _timer_seconds(timers: Mapping[tuple[str, str], Timer], op_id: str, kind: str) -> int:
    timer = timers.get((op_id, kind))
    return timer.seconds if timer is not None else 0


def _copy_response(response: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(response)
    state = dict(out.get("NewExecutionState") or {})
    state["Operations"] = [copy_operation(op) for op in state.get("Operations") or []]
    out["NewExecutionState"] = state
    return out
