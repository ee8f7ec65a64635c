"""Execution state of one invocation: the operation table and the checkpoint channel.

The table maps operation ``Id`` to the service's ``Operation`` wire dict, as received (no copies,
timestamps converted only when read). Updates are wire ``OperationUpdate`` dicts. An update that
must be durable before user code goes on (``checkpoint(update)``) is sent at once together with
every queued non-blocking update (``enqueue(update)``), in FIFO order; nothing ever sleeps or
polls waiting for more updates. Non-blocking updates that no blocking one took along within
:data:`~lambda_durable.limits.ASYNC_FLUSH_DELAY_SECONDS` are sent by a background thread (one per
process, waiting on a condition), so a long-running step's START is durable while it runs; a
failure of that send is raised by the invocation's next checkpoint. Responses are merged by
``Id`` in O(changed operations).
"""
from __future__ import annotations

import heapq
import itertools
import os
import random
import sys
import threading
import time
from typing import Any, Callable, Iterable, NoReturn

from ._batching import cut_batches as _cut_batches
from ._table import OperationTable
from .exceptions import (
    BotoClientError,
    CheckpointError,
    DurableApiErrorCategory,
    GetExecutionStateError,
    OrphanedChildException,
    SuspendExecution,
)
from .limits import (
    ASYNC_FLUSH_DELAY_SECONDS,
    INVOCATION_TIMEOUT_MARGIN_SECONDS,
    STATE_PAGE_MAX_ITEMS,
    YIELD_WAIT_SECONDS,
)

__all__ = ["ExecutionState", "InvocationDeadline", "ServiceChannel"]


class ServiceChannel:
    """Adapter over the client the SDK was given, exposing the two durable APIs it needs.

    Accepts a boto3-shaped client (``checkpoint_durable_execution`` /
    ``get_durable_execution_state`` taking the API's keyword arguments and returning its dicts:
    boto3's ``lambda`` client, the local service's client) or a typed client with
    ``checkpoint(...)`` / ``get_execution_state(...)`` (the official SDK's
    ``DurableServiceClient`` protocol). API failures are classified per the service contract
    into :class:`CheckpointError` / :class:`GetExecutionStateError` (retryable or not).
    """

    __slots__ = ("client", "_boto_shaped", "_token_nonce", "_token_seq")

    def __init__(self, client: Any) -> None:
        self.client = client
        self._boto_shaped = hasattr(client, "checkpoint_durable_execution")
        # ClientTokens: a random nonce per channel (one invocation) and a call counter, unique
        # within the service's 15-minute window and ~10x cheaper than a uuid4 per call
        self._token_nonce = os.urandom(12).hex()
        self._token_seq = itertools.count(1)

    def checkpoint(
        self, arn: str, token: str, updates: list[dict], client_token: str | None = None
    ) -> tuple[str | None, list[dict], str | None]:
        """Send one CheckpointDurableExecution call; returns (new token, changed ops, marker).

        One ``ClientToken`` (unique per call unless given) serves every attempt of this logical call, so
        a retry after a throttle/5xx/network failure is idempotent on the service side."""
        if client_token is None:
            client_token = f"{self._token_nonce}-{next(self._token_seq)}"

        def call() -> tuple[str | None, list[dict], str | None]:
            if self._boto_shaped:
                resp = self.client.checkpoint_durable_execution(
                    DurableExecutionArn=arn,
                    CheckpointToken=token,
                    Updates=updates,
                    ClientToken=client_token,
                )
                new_state = resp.get("NewExecutionState") or {}
                return (
                    resp.get("CheckpointToken"),
                    new_state.get("Operations") or [],
                    new_state.get("NextMarker"),
                )
            from .lambda_service import OperationUpdate

            out = self.client.checkpoint(
                arn, token, [OperationUpdate.from_dict(u) for u in updates], client_token
            )
            ops = [_op_dict(o) for o in out.new_execution_state.operations]
            return out.checkpoint_token, ops, out.new_execution_state.next_marker

        return _with_retries(call, CheckpointError, "CheckpointDurableExecution")

    def get_state(self, arn: str, token: str, marker: str) -> tuple[list[dict], str | None]:
        """One GetDurableExecutionState page: (operations, next marker)."""

        def call() -> tuple[list[dict], str | None]:
            if self._boto_shaped:
                resp = self.client.get_durable_execution_state(
                    DurableExecutionArn=arn,
                    CheckpointToken=token,
                    Marker=marker,
                    MaxItems=STATE_PAGE_MAX_ITEMS,
                )
                return resp.get("Operations") or [], resp.get("NextMarker")
            out = self.client.get_execution_state(arn, token, marker, STATE_PAGE_MAX_ITEMS)
            return [_op_dict(o) for o in out.operations], out.next_marker

        return _with_retries(call, GetExecutionStateError, "GetDurableExecutionState")


#: Retries of one durable API call after a transient failure (throttling: HTTP 429,
#: ``TooManyRequestsException``/``ThrottlingException``; any 5xx; a network error or timeout),
#: on top of whatever the client itself retries. Before retry ``n`` (0-based) the call sleeps
#: ``min(RETRY_MAX_DELAY, RETRY_BASE_DELAY * 2**n)`` scaled by a random factor in [0.5, 1]
#: (about 0.1, 0.2, 0.4 s): only on failure paths, never on the hot path. When the retries are
#: spent the failure surfaces as a retryable error (Lambda retries the invocation).
MAX_RETRIES = 3
RETRY_BASE_DELAY = 0.1
RETRY_MAX_DELAY = 1.0
_THROTTLING_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
#: the sleep between retries (a module attribute so tests can replace it)
_sleep = time.sleep


def _backoff(retry: int) -> float:
    return min(RETRY_MAX_DELAY, RETRY_BASE_DELAY * (2**retry)) * random.uniform(0.5, 1.0)


def _is_transient(exc: BaseException) -> bool:
    """Throttling, a 5xx or a network/timeout failure: worth retrying the same call."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and (response.get("Error") or response.get("ResponseMetadata")):
        code = (response.get("Error") or {}).get("Code")
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        if code in _THROTTLING_CODES or status == 429:
            return True
        return isinstance(status, int) and status >= 500
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    botocore_exceptions = sys.modules.get("botocore.exceptions")
    return botocore_exceptions is not None and isinstance(
        exc, (botocore_exceptions.ConnectionError, botocore_exceptions.HTTPClientError)
    )


def _with_retries(call: Callable[[], Any], error_cls: type, what: str) -> Any:
    """``call()``, retried after transient failures; any failure classified into ``error_cls``:
    transient ones (after the retries) and a stale checkpoint token (at once: it is the
    invocation that must be retried) are retryable, other 4xx fail the execution."""
    retry = 0
    while True:
        try:
            return call()
        except BotoClientError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified by the service contract
            transient = _is_transient(exc)
            if transient and retry < MAX_RETRIES:
                _sleep(_backoff(retry))
                retry += 1
                continue
            err = BotoClientError.from_exception(exc)
            category = DurableApiErrorCategory.INVOCATION if transient else err.error_category
            attempts = f" (after {retry + 1} attempts)" if retry else ""
            raise error_cls(
                f"{what} failed{attempts}: {err.message}",
                category,
                err.error,
                err.response_metadata,
            ) from exc


_STRATEGIES = ("EAGER", "BATCHED", "OPTIMISTIC")


def _deferrable(update: dict) -> bool:
    """An update BATCHED/OPTIMISTIC need not wait for: a STEP/CONTEXT end whose response the SDK
    does not read (not a RETRY: the SDK re-reads its NextAttemptTimestamp)."""
    return update["Type"] in ("STEP", "CONTEXT") and update["Action"] in ("SUCCEED", "FAIL")


def _op_dict(op: Any) -> dict:
    if isinstance(op, dict):
        return op
    return dict(op.to_dict())


class _DelayedFlusher:
    """The process's background sender of non-blocking updates left waiting: one daemon thread,
    started on first use, sleeping on a condition until the earliest due flush."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, send: Callable[[], None], due: float) -> None:
        """Call ``send()`` at ``due`` (``time.monotonic()`` seconds)."""
        with self._cond:
            entry = (due, next(self._seq), send)
            heapq.heappush(self._due, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="lambda-durable-checkpoint-flusher", daemon=True
                )
                self._thread.start()
            elif self._due[0] is entry:
                self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if not self._due:
                        self._cond.wait()
                        continue
                    wait = self._due[0][0] - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                _, _, send = heapq.heappop(self._due)
            try:
                send()
            except BaseException:  # noqa: BLE001 - the flusher serves every execution: never dies
                pass


_FLUSHER = _DelayedFlusher()


class InvocationDeadline:
    """The invocation's termination guard: stop taking new work before Lambda's timeout.

    Built from the Lambda context (``get_remaining_time_in_millis()``). Operations that are about
    to run user code for a new attempt (a step body, a wait_for_condition check) call
    :meth:`check`: once the invocation has at most ``margin_ms`` left, the guard checkpoints
    (blocking, with every queued update) one WAIT of :data:`~lambda_durable.limits.
    YIELD_WAIT_SECONDS` of its own -- Id ``yield-<hex>``, Name :attr:`YIELD_NAME`, outside the
    operation-ID sequence, so replays never look at it -- and raises :class:`SuspendExecution`:
    the invocation returns PENDING with everything that finished durable, and the service
    invokes it again a second later (a PENDING answer needs a pending operation). Later checks
    of the same invocation only raise. The first new attempt of an invocation always starts, so
    each invocation makes progress. The margin is
    :data:`~lambda_durable.limits.INVOCATION_TIMEOUT_MARGIN_SECONDS`, at most a quarter of the
    time left when the invocation started. Cost: one ``get_remaining_time_in_millis()`` call per
    new attempt after the first; nothing when the handler gets no Lambda context.
    """

    YIELD_NAME = "lambda-durable: yield before the invocation timeout"

    __slots__ = ("_remaining", "margin_ms", "yielded", "progressed")

    def __init__(self, remaining: Callable[[], Any], initial_ms: float) -> None:
        self._remaining = remaining
        self.margin_ms = min(INVOCATION_TIMEOUT_MARGIN_SECONDS * 1000.0, initial_ms / 4.0)
        self.yielded = False
        #: set once this invocation started new work: the first new attempt of an invocation
        #: always starts, so every invocation makes progress (a replay that alone eats the time
        #: cannot make the execution yield forever)
        self.progressed = False

    @classmethod
    def from_lambda_context(cls, lambda_context: Any) -> InvocationDeadline | None:
        """The guard for ``lambda_context``; ``None`` when it has no usable
        ``get_remaining_time_in_millis`` (no context, a test double without it)."""
        remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
        if not callable(remaining):
            return None
        try:
            initial = remaining()
        except Exception:  # noqa: BLE001 - a context that cannot tell: no guard
            return None
        if isinstance(initial, bool) or not isinstance(initial, (int, float)) or initial <= 0:
            return None
        return cls(remaining, float(initial))

    def expired(self) -> bool:
        """True once the invocation has at most ``margin_ms`` milliseconds left."""
        try:
            return self._remaining() <= self.margin_ms
        except Exception:  # noqa: BLE001 - never fail user work because the clock failed
            return False

    def check(self, state: ExecutionState, what: str) -> None:
        """Before a new attempt: :meth:`stop` when the invocation is out of time
        (:meth:`expired`) and already made progress, else record the progress."""
        if self.progressed and self.expired():
            self.stop(state, what)
        self.progressed = True

    def stop(self, state: ExecutionState, what: str) -> NoReturn:
        """Raise :class:`SuspendExecution`, after the yield checkpoint (once per invocation);
        ``what`` names the work that is not started."""
        with state._lock:
            if not self.yielded:
                self.yielded = True
                state.checkpoint(
                    {
                        "Id": f"yield-{os.urandom(8).hex()}",
                        "Type": "WAIT",
                        "Action": "START",
                        "SubType": "Wait",
                        "Name": self.YIELD_NAME,
                        "WaitOptions": {"WaitSeconds": YIELD_WAIT_SECONDS},
                    }
                )
        raise SuspendExecution(
            f"{what}: not started, the invocation is about to time out; resuming in a new "
            "invocation"
        )


class ExecutionState:
    """Operation table and checkpoint channel of one invocation (thread-safe).

    ``operations`` maps Id -> Operation wire dict: the dict of ``table``, the
    :class:`~lambda_durable._table.OperationTable` that also indexes children and replay history
    (given a dict, the state adopts it without copying). ``checkpoint_token`` is the latest token;
    each checkpoint call consumes it and stores the next one.
    """

    def __init__(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        operations: dict[str, dict] | OperationTable,
        channel: ServiceChannel,
    ) -> None:
        self.durable_execution_arn = durable_execution_arn
        self.checkpoint_token = checkpoint_token
        self.table = (
            operations if isinstance(operations, OperationTable) else OperationTable(operations)
        )
        #: the table's dict itself (the same object for the table's lifetime; a plain attribute
        #: because replay reads it for every operation)
        self.operations: dict[str, dict] = self.table.operations
        self.channel = channel
        self._queue: list[dict] = []
        self._lock = threading.RLock()
        #: notified when a background (OPTIMISTIC) send ends
        self._idle = threading.Condition(self._lock)
        #: a background send is in flight (its call runs outside the lock)
        self._inflight = False
        #: OPTIMISTIC: queued updates a background send must take, and whether one is scheduled
        self._optimistic_pending = False
        self._background_scheduled = False
        #: the checkpoint strategy's name (see :meth:`set_checkpoint_strategy`)
        self.checkpoint_strategy = "EAGER"
        #: set when the execution's final (EXECUTION) update was accepted, or the token revoked
        self.closed = False
        self.revoked = False
        #: Number of CheckpointDurableExecution calls made (for tests and benchmarks).
        self.checkpoint_calls = 0
        self._listeners: list[Callable[[list[dict]], None]] = []
        #: when (``time.monotonic()``) the queue last became non-empty, and whether a delayed
        #: send is scheduled (at most one per state)
        self._queued_since = 0.0
        self._delayed_send_scheduled = False
        #: failure of a delayed (background) send, raised by the next checkpoint
        self._background_error: Exception | None = None
        #: seconds a non-blocking update may wait for a blocking one (None: never sent alone)
        self.async_flush_delay: float | None = ASYNC_FLUSH_DELAY_SECONDS

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        durable_execution_arn: str,
        checkpoint_token: str,
        initial_state: dict | None,
        channel: ServiceChannel,
    ) -> ExecutionState:
        """Build the table from the invocation event's ``InitialExecutionState`` and fetch every
        further page (``GetDurableExecutionState`` with the invocation's token) before returning."""
        initial_state = initial_state or {}
        table = OperationTable()
        table.load(initial_state.get("Operations") or ())
        marker = initial_state.get("NextMarker")
        while marker:
            page, marker = channel.get_state(durable_execution_arn, checkpoint_token, marker)
            table.add_page(page)
        return cls(durable_execution_arn, checkpoint_token, table, channel)

    # -- lookups -----------------------------------------------------------------------------

    #: the invocation's :class:`~lambda_durable.plugin.PluginExecutor`; ``None`` (no hook runs,
    #: nothing is copied) unless the handler has plugins
    plugins: Any = None
    #: the invocation's :class:`InvocationDeadline` (``None``: no Lambda context, no guard)
    deadline: InvocationDeadline | None = None

    def get(self, operation_id: str) -> dict | None:
        """The stored operation with this Id, or ``None`` (an operation reading its record: with
        plugins, this is where a replayed or completed operation is reported)."""
        record = self.operations.get(operation_id)
        if self.plugins is not None:
            self.plugins._read(operation_id, record)
        return record

    @property
    def execution_operation_id(self) -> str:
        """Id of the EXECUTION operation: the last ``/`` segment of the execution ARN."""
        return self.durable_execution_arn.rsplit("/", 1)[-1]

    def execution_operation(self) -> dict | None:
        """The EXECUTION operation record (holds the input payload and start time)."""
        return self.operations.get(self.execution_operation_id)

    def execution_start_timestamp(self) -> Any:
        """The execution's ``StartTimestamp`` as stored (wire form), or ``None``."""
        record = self.execution_operation()
        return None if record is None else record.get("StartTimestamp")

    def has_history(self) -> bool:
        """True when any operation other than the EXECUTION one is stored (replay). O(1)."""
        return self.table.has_history()

    def add_listener(self, listener: Callable[[list[dict]], None]) -> None:
        """Call ``listener(changed_operations)`` after each merge of a checkpoint response."""
        self._listeners.append(listener)

    # -- checkpointing -----------------------------------------------------------------------

    def enqueue(self, update: dict) -> None:
        """Queue a non-blocking update; it is sent with the next blocking update or flush, or on
        its own once it has waited ``async_flush_delay`` seconds."""
        with self._lock:
            self._check_open(update)
            self._queue.append(update)
            self._arm_delayed_send()

    def _arm_delayed_send(self) -> None:
        if len(self._queue) == 1 and self.async_flush_delay is not None:
            self._queued_since = time.monotonic()
            if not self._delayed_send_scheduled:
                self._delayed_send_scheduled = True
                _FLUSHER.schedule(self._send_delayed, self._queued_since + self.async_flush_delay)

    def set_checkpoint_strategy(self, strategy: Any) -> None:
        """``EAGER`` (default), ``BATCHED`` or ``OPTIMISTIC``
        (:class:`~lambda_durable.config.CheckpointStrategy` or its name)."""
        name = str(getattr(strategy, "value", strategy) or "EAGER").upper()
        if name not in _STRATEGIES:
            raise ValueError(f"unknown checkpoint strategy {strategy!r}")
        self.checkpoint_strategy = name

    def checkpoint(self, update: dict) -> None:
        """Send ``update`` (after every queued update) and return once it is acknowledged and the
        response is merged into the table.

        Under ``BATCHED`` an update the SDK does not read back and no guarantee needs durable at
        once (a STEP/CONTEXT SUCCEED or FAIL) is queued instead, to ride with the next call;
        under ``OPTIMISTIC`` it is sent at once in the background (not waited for)."""
        with self._lock:
            self._check_open(update)
            self._queue.append(update)
            strategy = self.checkpoint_strategy
            if strategy != "EAGER" and _deferrable(update):
                if strategy == "BATCHED":
                    self._arm_delayed_send()
                else:
                    self._optimistic_pending = True
                    self._schedule_background()
                return
            self._wait_idle()
            self._send_queue()

    def flush(self) -> None:
        """Send every queued update (no call when nothing is queued) and wait until every
        background send is acknowledged; raises the failure of a background send."""
        with self._lock:
            self._wait_idle()
            if self._queue and not self.closed:
                self._send_queue()

    def refresh(self) -> None:
        """Send an empty checkpoint to learn what changed meanwhile (timers, callbacks); under
        ``BATCHED``/``OPTIMISTIC`` the queued updates ride along."""
        with self._lock:
            self._wait_idle()
            if not self.closed:
                if self._queue and self.checkpoint_strategy != "EAGER":
                    self._send_queue()
                else:
                    self._send([])

    def _wait_idle(self) -> None:
        """Wait for the background send in flight (if any); raise its failure or revocation."""
        while self._inflight:
            self._idle.wait()
        if self._background_error is not None:
            raise self._background_error
        if self.revoked:
            raise SuspendExecution("checkpoint token revoked by the service; suspending")

    def _schedule_background(self) -> None:
        if not self._background_scheduled and not self._inflight:
            self._background_scheduled = True
            _FLUSHER.schedule(self._send_background, 0.0)

    def _send_background(self) -> None:
        """OPTIMISTIC: send the queue with the lock released during the calls, so user code goes
        on; a blocking checkpoint, ``flush`` or ``refresh`` waits for it (token order)."""
        with self._lock:
            self._background_scheduled = False
            if (
                self._inflight
                or not self._queue
                or self.closed
                or self._background_error is not None
            ):
                return
            queue, self._queue = self._queue, []
            self._optimistic_pending = False
            self._inflight = True
        try:
            for batch in _cut_batches(queue):
                with self._lock:
                    token = self.checkpoint_token
                response = self.channel.checkpoint(self.durable_execution_arn, token, batch)
                with self._lock:
                    self._accept(batch, *response)
        except SuspendExecution:
            pass  # token revoked (closed, revoked): the next checkpoint or the end suspends
        except Exception as error:  # noqa: BLE001 - raised by the next checkpoint or the end
            with self._lock:
                self._background_error = error
        finally:
            with self._lock:
                self._inflight = False
                if self._optimistic_pending and self._queue:
                    self._schedule_background()
                self._idle.notify_all()

    def _check_open(self, update: dict) -> None:
        if self._background_error is not None:
            raise self._background_error
        if self.closed:
            if self.revoked:
                raise SuspendExecution("checkpoint token revoked by the service; suspending")
            raise OrphanedChildException(
                "the execution completed; no further checkpoints are accepted", update["Id"]
            )

    def _send_delayed(self) -> None:
        """Background: send the queue if its oldest update has waited ``async_flush_delay``."""
        with self._lock:
            self._delayed_send_scheduled = False
            if (
                not self._queue
                or self.closed
                or self._background_error is not None
                or self.async_flush_delay is None
            ):
                return
            if self._inflight:  # a background send is in flight: it or the next call takes them
                return
            due = self._queued_since + self.async_flush_delay
            if due > time.monotonic():  # sent meanwhile, and queued again later
                self._delayed_send_scheduled = True
                _FLUSHER.schedule(self._send_delayed, due)
                return
            try:
                self._send_queue()
            except SuspendExecution:
                pass  # token revoked (closed, revoked): the next checkpoint suspends
            except Exception as error:  # noqa: BLE001 - raised by the invocation's next checkpoint
                self._background_error = error

    def _send_queue(self) -> None:
        queue, self._queue = self._queue, []
        self._optimistic_pending = False
        for batch in _cut_batches(queue):
            self._send(batch)

    def _send(self, batch: list[dict]) -> None:
        token, ops, marker = self.channel.checkpoint(
            self.durable_execution_arn, self.checkpoint_token, batch
        )
        self._accept(batch, token, ops, marker)

    def _accept(self, batch: list[dict], token: str | None, ops: list[dict], marker: Any) -> None:
        """Merge an acknowledged call's response and thread its token (under the lock)."""
        self.checkpoint_calls += 1
        final = any(u["Type"] == "EXECUTION" for u in batch)
        self._merge(ops)
        if final:
            self.closed = True
            return
        if not token:
            if not batch:
                # an empty (refresh) checkpoint answered without a token is malformed: raise a
                # clear retryable error (the invocation is retried) rather than guess (B23)
                raise CheckpointError(
                    "CheckpointDurableExecution answered an empty checkpoint without a "
                    "CheckpointToken (malformed response); the invocation is retried"
                )
            # an update batch answered without a token: the token was revoked (pause, quota,
            # superseded invocation); what was accepted is durable, no further checkpoint is
            # sent (queued waiters are settled) and the invocation ends PENDING (B23)
            self.closed = True
            self.revoked = True
            raise SuspendExecution("checkpoint token revoked by the service; suspending")
        self.checkpoint_token = token
        while marker:
            page, marker = self.channel.get_state(self.durable_execution_arn, token, marker)
            self._merge(page)

    def _merge(self, ops: Iterable[dict]) -> None:
        changed = self.table.merge(ops)
        if changed and self._listeners:
            for listener in self._listeners:
                listener(changed)
