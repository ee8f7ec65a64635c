"""The map/parallel coordinator: runs branches concurrently on a bounded thread pool.

Rules (protocol.md 5.9; issue "map, parallel and combinators"):

* Branches are admitted in index order while fewer than ``max_concurrency`` are in flight
  (started and not finished; a suspended branch keeps its slot). ``None`` means no limit on
  in-flight branches; OS threads are bounded by :data:`MAX_WORKER_THREADS` whatever the limit.
* The completion policy is evaluated before scheduling and after every branch transition; once
  the batch is complete, branches still running are abandoned: their scope is closed so they can
  write no further checkpoint (:class:`OrphanedChildException` ends them at their next one).
* A branch suspended on a timer resumes in this invocation when its time comes while siblings
  still run (one shared state refresh per wave of due branches); untimed suspensions (callbacks,
  invokes) park the branch. When nothing can run, the whole operation suspends: timed with the
  earliest resume time when any branch is timed, untimed otherwise.
* Errors that must end the invocation (``ExecutionError``, retryable ``InvocationError``,
  suspension of an enclosing scope) are re-raised at once.
"""
from __future__ import annotations

import contextvars
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..config import BatchItemStatus, CompletionItemStatus
from ..exceptions import (
    ChildContextError,
    DurableOperationError,
    ExecutionError,
    InvocationError,
    OrphanedChildException,
    SuspendExecution,
    TimedSuspendExecution,
)
from ..lambda_service import ErrorObject
from ._scope import BranchScope, ScopedState  # noqa: F401 - ScopedState re-exported
from .models import BatchItem, BatchResult, Branch, BranchStatus, Executable

if TYPE_CHECKING:  # pragma: no cover
    from .._completion_py import CompletionPolicy
    from ..state import ExecutionState

#: Upper bound on worker threads of one map/parallel operation.
MAX_WORKER_THREADS = 32

_RUNNING = BranchStatus.RUNNING
_PENDING = BranchStatus.PENDING
_DONE = (BranchStatus.COMPLETED, BranchStatus.FAILED)


# (kind, index, payload) messages from workers to the coordinator
_COMPLETED, _FAILED, _SUSPENDED, _SUSPENDED_UNTIL, _FATAL = range(5)


class BatchExecutor:
    """Run ``executables`` (``run_branch(executable, scope) -> result``) under ``policy``.

    ``run_branch`` runs one branch to its end in the calling (worker) thread: it returns the
    branch result, raises :class:`ChildContextError` (or another ``Exception``) when the branch
    failed, or a suspension when it must wait. :meth:`execute` returns the
    :class:`BatchResult` (started items only, in index order) or raises a suspension.
    """

    def __init__(
        self,
        executables: Sequence[Executable],
        policy: CompletionPolicy,
        max_concurrency: int | None,
        run_branch: Callable[[Executable, BranchScope], Any],
        state: ExecutionState,
        parent_scope: BranchScope | None,
    ) -> None:
        self.branches = [Branch(e) for e in executables]
        self.policy = policy
        total = len(self.branches)
        self.limit = total if max_concurrency is None else min(max_concurrency, total)
        self.run_branch = run_branch
        self.state = state
        self.parent_scope = parent_scope
        self.scopes: dict[int, BranchScope] = {}
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.statuses: list[CompletionItemStatus] = [
            CompletionItemStatus(index=e.index, name=e.name) for e in executables
        ]
        self.succeeded = 0
        self.failed = 0
        self.in_flight = 0
        self.running = 0
        self.next_index = 0
        #: timed-suspended branches: index -> resume time (epoch seconds)
        self.timed: dict[int, float] = {}
        #: timed branches resumed once for their current time without progress: they wait for
        #: the operation's suspension, not for an in-process timer
        self.stalled: set[int] = set()
        #: resume time a timed branch was last resumed for (no progress guard)
        self.resumed_for: dict[int, float] = {}
        self._pool: ThreadPoolExecutor | None = None

    # -- public ---------------------------------------------------------------------------

    def execute(self) -> BatchResult:
        try:
            reason = self._run()
        finally:
            self._abandon_unfinished()
        return BatchResult(self._items(), reason)

    # -- coordinator loop -----------------------------------------------------------------

    def _run(self):
        complete, reason = self.policy.decide(0, 0, self._snapshot())
        while not complete:
            self._admit()
            if self.running == 0:
                self._suspend_all()
            event = self._next_event()
            if event is None:
                self._resume_due()
                continue
            complete, reason = self._apply(event)
        return reason

    def _admit(self) -> None:
        branches = self.branches
        while self.in_flight < self.limit and self.next_index < len(branches):
            branch = branches[self.next_index]
            self.next_index += 1
            self.in_flight += 1
            self._start(branch)

    def _start(self, branch: Branch) -> None:
        branch.start()
        self.timed.pop(branch.index, None)
        self.running += 1
        scope = self.scopes.get(branch.index)
        if scope is None:
            scope = self.scopes[branch.index] = BranchScope(self.parent_scope)
        if self.limit <= 1 or len(self.branches) == 1:
            # nothing could run beside it: run inline, no thread hand-off
            self._worker(branch.executable, scope)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=min(self.limit, MAX_WORKER_THREADS),
                thread_name_prefix="lambda-durable-branch",
            )
        # the branch runs in a copy of the coordinator's contextvars context, as inline code
        # would (context variables of the caller, and of the local service, reach user code)
        self._pool.submit(contextvars.copy_context().run, self._worker, branch.executable, scope)

    def _worker(self, executable: Executable, scope: BranchScope) -> None:
        index = executable.index
        try:
            result = self.run_branch(executable, scope)
        except TimedSuspendExecution as suspension:
            self.events.put((_SUSPENDED_UNTIL, index, suspension.scheduled_timestamp))
        except SuspendExecution:
            self.events.put((_SUSPENDED, index, None))
        except OrphanedChildException as orphaned:
            if scope.is_closed() and not (self.parent_scope and self.parent_scope.is_closed()):
                return  # abandoned by this batch: nobody waits for it any more
            self.events.put((_FATAL, index, orphaned))
        except (ExecutionError, InvocationError) as error:
            if isinstance(error, InvocationError) and not error.is_retryable():
                self.events.put((_FAILED, index, error))
            else:
                self.events.put((_FATAL, index, error))
        except Exception as error:  # noqa: BLE001 - a failed branch is a result, not a crash
            self.events.put((_FAILED, index, error))
        except BaseException as error:  # noqa: BLE001 - propagate to the coordinator
            self.events.put((_FATAL, index, error))
        else:
            self.events.put((_COMPLETED, index, result))

    def _next_event(self):
        """The next worker message; ``None`` when a timed branch fell due first."""
        due = self._earliest_resume()
        if due is None:
            return self.events.get()
        timeout = due - time.time()
        if timeout <= 0:
            return self._poll_nowait()
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def _poll_nowait(self):
        try:
            return self.events.get_nowait()
        except queue.Empty:
            return None

    def _earliest_resume(self) -> float | None:
        times = [t for i, t in self.timed.items() if i not in self.stalled]
        return min(times) if times else None

    def _resume_due(self) -> None:
        """Refresh state once, then restart every due timed branch in index order (FIFO)."""
        now = time.time()
        due = sorted(i for i, t in self.timed.items() if i not in self.stalled and t <= now)
        if not due:
            return
        self.state.refresh()
        for index in due:
            self.resumed_for[index] = self.timed[index]
            self._start(self.branches[index])

    def _apply(self, event) -> tuple[bool, Any]:
        kind, index, payload = event
        branch = self.branches[index]
        self.running -= 1
        if kind == _COMPLETED:
            branch.complete(payload)
            self.in_flight -= 1
            self.succeeded += 1
            self.statuses[index] = CompletionItemStatus(index, self.statuses[index].name, BatchItemStatus.SUCCEEDED)
        elif kind == _FAILED:
            branch.fail(payload)
            self.in_flight -= 1
            self.failed += 1
            self.statuses[index] = CompletionItemStatus(index, self.statuses[index].name, BatchItemStatus.FAILED)
        elif kind == _SUSPENDED_UNTIL:
            branch.suspend_until(payload)
            self.timed[index] = payload
            if self.resumed_for.get(index, -1.0) >= payload:
                self.stalled.add(index)
            else:
                self.stalled.discard(index)
            return False, None
        elif kind == _SUSPENDED:
            branch.suspend()
            return False, None
        else:
            raise payload
        return self.policy.decide(self.succeeded, self.failed, self._snapshot())

    def _snapshot(self) -> tuple[CompletionItemStatus, ...]:
        """Item statuses for a ``should_complete`` predicate (not built when there is none)."""
        return tuple(self.statuses) if self.policy.should_complete is not None else ()

    def _suspend_all(self) -> None:
        """Nothing runs: end the invocation until the earliest timed branch (or untimed)."""
        if self.timed:
            earliest = min(self.timed.values())
            raise TimedSuspendExecution(
                f"all running branches are suspended; resuming at {earliest:.3f}", earliest
            )
        raise SuspendExecution("all running branches wait for external completions")

    def _abandon_unfinished(self) -> None:
        # under the state lock: a branch's checkpoint is either sent entirely before the close
        # (so before the batch's terminal checkpoint) or refused (ScopedState)
        with self.state._lock:
            for branch in self.branches:
                if branch.status not in _DONE and branch.status is not _PENDING:
                    scope = self.scopes.get(branch.index)
                    if scope is not None:
                        scope.closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    # -- result ---------------------------------------------------------------------------

    def _items(self) -> list[BatchItem]:
        items = []
        for branch in self.branches:
            status = branch.status
            if status is _PENDING:
                continue
            if status is BranchStatus.COMPLETED:
                items.append(BatchItem(branch.index, BatchItemStatus.SUCCEEDED, branch.result, None))
            elif status is BranchStatus.FAILED:
                items.append(BatchItem(branch.index, BatchItemStatus.FAILED, None, _error_object(branch.error)))
            else:
                items.append(BatchItem(branch.index, BatchItemStatus.STARTED, None, None))
        return items


def _error_object(error: BaseException | None) -> ErrorObject | None:
    """The item error: the inner failure's fields, not the ChildContextError wrapper."""
    if error is None:
        return None
    if isinstance(error, (ChildContextError, DurableOperationError)):
        return ErrorObject(error.message, error.error_type, error.data, error.stack_trace)
    return ErrorObject.from_exception(error)
