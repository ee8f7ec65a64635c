"""Records of the local service: executions, their operations, timers, and state paging.

Operations are stored as the service's ``Operation`` wire dicts with aware UTC ``datetime``
timestamps (the boto3 shape), in ascending start order. :func:`copy_operation` hands out copies,
:func:`to_event_form` converts one to the invocation event's form (epoch milliseconds), and
:func:`take_page` cuts a list of operations into pages of at most N serialized bytes.
"""
from __future__ import annotations

import base64
import datetime
import json
import secrets
import sys
import time
import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Mapping

from .clock import to_epoch_millis
from .history import History

#: Default largest size of one page of operations (bytes): the invocation event's initial state,
#: GetDurableExecutionState pages and checkpoint responses.
DEFAULT_MAX_INVOCATION_PAGE_BYTES = 5 * 1024 * 1024

_TIMESTAMP_KEYS = ("StartTimestamp", "EndTimestamp")
_DETAIL_TIMESTAMP_KEYS = {
    "StepDetails": "NextAttemptTimestamp",
    "WaitDetails": "ScheduledEndTimestamp",
}
_DETAIL_KEYS = (
    "ExecutionDetails",
    "ContextDetails",
    "StepDetails",
    "WaitDetails",
    "CallbackDetails",
    "ChainedInvokeDetails",
)


class ExecutionStatus(Enum):
    """Status of a durable execution (the API's ``ExecutionStatus``)."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"
    #: shown by the API only: a deleted execution is gone at once here; a paused one keeps
    #: ``status`` RUNNING internally (see :attr:`LocalExecution.api_status`)
    DELETING = "DELETING"
    PAUSING = "PAUSING"
    PAUSED = "PAUSED"


@dataclass
class FunctionRegistration:
    """A function the service can invoke by name (chained-invoke target).

    ``durable``: run as its own durable execution (``handler(event, lambda_context)`` with the
    durable invocation event) rather than called once with the decoded payload.
    ``execution_timeout``: wall-clock seconds the child execution may run.
    """

    name: str
    handler: Callable[..., Any]
    durable: bool
    execution_timeout: float = 120
    retention_period_days: int = 1
    spec: str | None = None  # FILE.py:HANDLER it was loaded from (kept in a store)


@dataclass
class Timer:
    """A pending timer of one operation: ``kind`` is ``wait``, ``retry``, ``callback-timeout`` or
    ``callback-heartbeat``; ``due`` is virtual epoch seconds; ``seconds`` the configured length."""

    execution: "LocalExecution"
    op_id: str
    kind: str
    due: float
    seconds: int
    seq: int = 0

    @property
    def is_callback(self) -> bool:
        return self.kind.startswith("callback-")


@dataclass
class LocalExecution:
    """One durable execution held by the local service (all fields guarded by the service lock).

    The invocation fields (``token``, ``invocation_tokens``, ``changed``, ``snapshots``) belong to
    the invocation in progress; ``needs_invoke`` says the service owes the handler an invocation,
    ``dirty`` that something completed while an invocation was running.
    """

    arn: str
    name: str
    execution_id: str
    function_name: str
    handler: Callable[..., Any]
    input_payload: str | None
    start: datetime.datetime
    timeout_seconds: float
    history: History
    account_id: str = "123456789012"
    region: str = "us-west-2"
    tenant_id: str | None = None
    status: ExecutionStatus = ExecutionStatus.RUNNING
    end: datetime.datetime | None = None
    result: str | None = None
    error: dict[str, Any] | None = None
    wall_deadline: float | None = None
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    parent: "LocalExecution | None" = None
    parent_op_id: str | None = None
    children: list["LocalExecution"] = field(default_factory=list)
    # invocation bookkeeping
    token: str | None = None
    invocation_tokens: set[str] = field(default_factory=set)
    invoking: bool = False
    needs_invoke: bool = True
    dirty: bool = False
    changed: dict[str, None] = field(default_factory=dict)
    updated_ids: dict[str, None] = field(default_factory=dict)
    snapshots: dict[str, list[str]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    timers: dict[tuple[str, str], Timer] = field(default_factory=dict)
    pending_dispatch: list[str] = field(default_factory=list)
    invoke_targets: dict[str, Any] = field(default_factory=dict)  # op Id -> InvokeRequest
    open_callbacks: dict[str, None] = field(default_factory=dict)
    scripted: dict[str, Any] = field(default_factory=dict)
    checkpointed_outcome: tuple[str, Any] | None = None
    invocations: int = 0
    consecutive_failures: int = 0
    idle_pending_outputs: int = 0
    driven: bool = False  # a driver is running it now
    background: bool = False  # driven by a background thread (run_async)
    blocked: bool = False  # the last synchronous drive stopped at open callbacks
    # persistence (a service with a store; see sqlite_store.py)
    handler_spec: str | None = None  # FILE.py:HANDLER the CLI loaded the handler from
    unsaved_ops: dict[str, None] = field(default_factory=dict)  # ops changed since the last save
    saved_events: int = 0  # history events already saved
    # PauseDurableExecution: None, or {"PauseRequestTimestamp": datetime, "Reason"?: str,
    # "ExecutionTimeoutPaused": bool, "effective": bool (False = PAUSING: takes effect at the
    # running invocation's next checkpoint or end), "timeout_remaining"/"stopped_at": execution
    # timeout seconds left and wall epoch seconds when its clock stopped (timeout paused only)}
    pause: dict[str, Any] | None = None
    timeout_extended: float = 0.0  # seconds pauses have pushed the execution deadline back
    control_tokens: dict[str, str] = field(default_factory=dict)  # Pause/Resume ClientToken -> action

    @property
    def running(self) -> bool:
        """Not terminal (a paused execution is running)."""
        return self.status is ExecutionStatus.RUNNING

    @property
    def api_status(self) -> str:
        """The ``Status`` the API shows: ``PAUSING``/``PAUSED`` while a pause is pending/in
        effect, else :attr:`status`."""
        pause = self.pause
        if pause is not None and self.status is ExecutionStatus.RUNNING:
            return "PAUSED" if pause["effective"] else "PAUSING"
        return self.status.value

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    def tree(self) -> list["LocalExecution"]:
        """This execution and its running descendants (chained durable invokes), parents first."""
        out = [self]
        index = 0
        while index < len(out):
            out.extend(child for child in out[index].children if child.running)
            index += 1
        return out

    def visible_operation_ids(self, omit_completed_children: bool) -> list[str]:
        """Ids of the operations the state API returns, in start order. With
        ``omit_completed_children``, descendants of a completed CONTEXT whose ``ReplayChildren``
        is false are left out (documented service behaviour)."""
        if not omit_completed_children:
            return list(self.operations)
        hidden: set[str] = set()
        out = []
        operations = self.operations
        for op_id, op in operations.items():
            parent_id = op.get("ParentId")
            if parent_id is not None:
                if parent_id in hidden:
                    hidden.add(op_id)
                    continue
                parent = operations.get(parent_id)
                if (
                    parent is not None
                    and parent.get("Type") == "CONTEXT"
                    and parent.get("Status") in ("SUCCEEDED", "FAILED")
                    and not (parent.get("ContextDetails") or {}).get("ReplayChildren")
                ):
                    hidden.add(op_id)
                    continue
            out.append(op_id)
        return out

    def has_pending_operations(self) -> bool:
        """True when something can still complete on its own or from outside: a STEP retry
        timer (PENDING/READY), or a WAIT, CALLBACK or CHAINED_INVOKE that is STARTED."""
        for op in self.operations.values():
            kind, status = op.get("Type"), op.get("Status")
            if kind == "STEP" and status in ("PENDING", "READY"):
                return True
            if kind in ("WAIT", "CALLBACK", "CHAINED_INVOKE") and status == "STARTED":
                return True
        return False


def new_token() -> str:
    """A fresh opaque checkpoint token (standard base64, matches ``[A-Za-z0-9+/]+={0,2}``)."""
    return base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def new_callback_id() -> str:
    """A fresh callback id (standard base64, matches the API's CallbackId pattern)."""
    return base64.b64encode(secrets.token_bytes(33)).decode("ascii")


def copy_operation(op: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an operation dict whose nested detail objects may be modified by the caller."""
    out = dict(op)
    for key in _DETAIL_KEYS:
        details = out.get(key)
        if details is not None:
            details = dict(details)
            if isinstance(details.get("Error"), dict):
                details["Error"] = dict(details["Error"])
            out[key] = details
    return out


def to_event_form(op: Mapping[str, Any]) -> dict[str, Any]:
    """An operation with its timestamps as integer epoch milliseconds (invocation event form)."""
    out = copy_operation(op)
    for key in _TIMESTAMP_KEYS:
        value = out.get(key)
        if isinstance(value, datetime.datetime):
            out[key] = to_epoch_millis(value)
    for details_key, ts_key in _DETAIL_TIMESTAMP_KEYS.items():
        details = out.get(details_key)
        if details and isinstance(details.get(ts_key), datetime.datetime):
            details[ts_key] = to_epoch_millis(details[ts_key])
    return out


def serialized_size(op_event_form: Mapping[str, Any]) -> int:
    """Bytes of one operation (event form) in a JSON document."""
    return len(json.dumps(op_event_form, separators=(",", ":")).encode("utf-8", "surrogatepass"))


def take_page(
    operations: Iterable[Mapping[str, Any]], max_bytes: int, max_items: int | None = None
) -> tuple[list[Mapping[str, Any]], int]:
    """Cut the first page off ``operations`` (given in event form): as many as fit in
    ``max_bytes`` serialized bytes (at least one) and at most ``max_items``.
    Returns ``(page, count)``."""
    page: list[Mapping[str, Any]] = []
    total = 0
    for op in operations:
        if max_items is not None and len(page) >= max_items:
            break
        size = serialized_size(op)
        if page and total + size > max_bytes:
            break
        page.append(op)
        total += size
    return page, len(page)


class LambdaContext:
    """The Lambda context object handed to an invoked handler.

    Attributes as in the AWS Lambda Python runtime: ``aws_request_id``, ``function_name``,
    ``function_version``, ``invoked_function_arn``, ``memory_limit_in_mb``, ``log_group_name``,
    ``log_stream_name``, ``client_context``, ``identity``, ``tenant_id``;
    ``get_remaining_time_in_millis()`` counts down (wall clock) to :attr:`deadline`, the end of
    the invocation timeout, when the local service abandons a handler still running and records
    the invocation as timed out; ``log(msg)`` writes to stdout.
    """

    def __init__(
        self,
        function_name: str,
        *,
        region: str = "us-west-2",
        account_id: str = "123456789012",
        timeout_seconds: float = 900,
        tenant_id: str | None = None,
        memory_limit_in_mb: int = 128,
    ) -> None:
        bare, _, qualifier = function_name.partition(":")
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = bare
        self.function_version = qualifier if qualifier.isdigit() else "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.log_group_name = f"/aws/lambda/{bare}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self.client_context = None
        self.identity = None
        self.tenant_id = tenant_id
        self._deadline = time.monotonic() + timeout_seconds

    @property
    def deadline(self) -> float:
        """When the invocation times out (``time.monotonic()`` seconds)."""
        return self._deadline

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation timeout (never negative)."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def log(self, msg: str) -> None:
        """Write ``msg`` to standard output, as the Lambda runtime does."""
        sys.stdout.write(msg)
        sys.stdout.flush()

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"
