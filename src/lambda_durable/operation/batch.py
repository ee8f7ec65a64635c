"""``context.map`` and ``context.parallel``: run items as child contexts and collect a
:class:`BatchResult` (protocol.md 5.9).

Item/branch ``i`` is the child context ``operation_id(<batch id>, i)`` (i from 0, independent of
scheduling), SubType ``MapIteration``/``ParallelBranch``, or a virtual context with FLAT nesting.
Items run concurrently (:class:`~lambda_durable.concurrency.executor.BatchExecutor`); item
failures never raise: they are recorded in the result and the batch operation SUCCEEDs.

A result over 262,144 UTF-8 bytes is checkpointed as the SDK's summary record with
``ReplayChildren``; replay rebuilds the same :class:`BatchResult` from that record (the completion
decision is authoritative) and the items' own checkpoints, never from a user summary (B06).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from .._ids import operation_id as make_operation_id
from ..config import BatchItemStatus, CompletionItemStatus, NestingType
from ..exceptions import ChildContextError, ExecutionError, InvocationError, RetryableSerDesError
from ..limits import CHECKPOINT_SIZE_LIMIT_BYTES, utf8_len
from ..serdes import deserialize, serialize
from .base import check_identity, checkpoint_fail, labelled, operation_error, report_end, update
from .child import run_child

if TYPE_CHECKING:  # pragma: no cover
    from .._completion import CompletionPolicy
    from ..concurrency.executor import BranchScope
    from ..concurrency.models import BatchItem, BatchResult, Executable
    from ..context import DurableContext

# The map/parallel machinery (the coordinator, the batch data model, the completion policy) is
# imported by the first batch, not with this module: handlers without map/parallel never load it.
# ``CompletionPolicy`` is still a module attribute (bound on first use; tests switch twins by
# patching it).


def __getattr__(name: str) -> Any:
    if name == "CompletionPolicy":
        from .._completion import CompletionPolicy

        globals()[name] = CompletionPolicy
        return CompletionPolicy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _completion_policy() -> type[CompletionPolicy]:
    """The ``CompletionPolicy`` class this module uses (patched or bound on first use)."""
    policy_cls = globals().get("CompletionPolicy")
    return __getattr__("CompletionPolicy") if policy_cls is None else policy_cls

CONTEXT = "CONTEXT"

#: (sub-type of the batch, sub-type of its items, summary record type)
MAP_KINDS = ("Map", "MapIteration", "MapResult")
PARALLEL_KINDS = ("Parallel", "ParallelBranch", "ParallelResult")


def run_batch(
    ctx: DurableContext,
    operation_id: str,
    kinds: tuple[str, str, str],
    branches: Sequence[tuple[str | None, Callable[[DurableContext], Any]]],
    name: str | None,
    config: Any,
) -> BatchResult:
    """Run ``branches`` (``(item name, func(child_context))`` in index order) as one batch."""
    from ..concurrency.executor import BatchExecutor
    from ..concurrency.models import Executable, envelope_summary_generator

    sub_type, item_sub_type, summary_type = kinds
    state = ctx.state
    arn = state.durable_execution_arn
    serdes = config.serdes
    item_serdes = config.item_serdes or config.serdes
    flat = config.nesting_type is NestingType.FLAT
    record = state.get(operation_id)
    summary_payload = None
    if record is not None:
        check_identity(record, operation_id, CONTEXT, sub_type, name, ctx._parent_id)
        details = record.get("ContextDetails") or {}
        if record["Status"] == "SUCCEEDED":
            if not details.get("ReplayChildren"):
                return deserialize(serdes, details.get("Result"), operation_id, arn)
            summary_payload = details.get("Result") or ""
        elif record["Status"] == "FAILED":
            raise operation_error(ChildContextError, details.get("Error"), f"{sub_type} failed")
    else:
        state.enqueue(update(ctx, operation_id, CONTEXT, "START", sub_type, name))

    batch_ctx = ctx._child_context(operation_id, is_virtual=False, has_record=record is not None)

    def run_branch(executable: Executable, scope: BranchScope | None) -> Any:
        parent = batch_ctx if scope is None else batch_ctx._with_scope(scope)
        return run_child(
            parent,
            make_operation_id(operation_id, executable.index),
            executable.func,
            executable.name,
            item_sub_type,
            serdes=item_serdes,
            is_virtual=flat,
        )

    executables = [Executable(i, func, item_name) for i, (item_name, func) in enumerate(branches)]
    policy = _completion_policy().from_config(len(executables), config.completion_config)
    plugins = state.plugins
    if summary_payload is not None:
        rebuild_args = (summary_payload, executables, policy, run_branch, ctx, operation_id)
        if plugins is None:
            result = _rebuild(*rebuild_args)
        else:
            result = plugins._call_user(
                _rebuild, rebuild_args, operation_id, CONTEXT, sub_type, name, ctx._parent_id,
                None, True,
            )
            plugins._context_ended(
                operation_id, sub_type, name, ctx._parent_id, "SUCCEEDED", is_replayed=True
            )
        return deserialize(serdes, serialize(serdes, result, operation_id, arn), operation_id, arn)

    executor = BatchExecutor(
        executables, policy, config.max_concurrency, run_branch, state, ctx._scope
    )
    if plugins is None:
        result = executor.execute()
    else:
        result = plugins._call_user(
            executor.execute, (), operation_id, CONTEXT, sub_type, name, ctx._parent_id,
            None if record is not None else 1,
        )
    try:
        payload = serialize(serdes, result, operation_id, arn)
        value = deserialize(serdes, payload, operation_id, arn)
        large = utf8_len(payload) > CHECKPOINT_SIZE_LIMIT_BYTES
        if large:
            payload = envelope_summary_generator(summary_type, config.summary_generator)(result)
    except RetryableSerDesError:
        raise
    except Exception as error:  # noqa: BLE001 - serdes or summary generator: the batch fails
        error = labelled(error, sub_type.lower(), name, operation_id)
        err = checkpoint_fail(ctx, operation_id, CONTEXT, sub_type, name, error)
        raise operation_error(ChildContextError, err, f"{sub_type} failed") from None
    state.checkpoint(
        update(
            ctx, operation_id, CONTEXT, "SUCCEED", sub_type, name,
            Payload=payload, ContextOptions={"ReplayChildren": large},
        )
    )
    report_end(ctx, operation_id)
    return value


def _rebuild(
    summary_payload: str,
    executables: list[Executable],
    policy: CompletionPolicy,
    run_branch: Callable[[Executable, BranchScope | None], Any],
    ctx: DurableContext,
    operation_id: str,
) -> BatchResult:
    """The BatchResult of a completed batch whose result was too large to store: the summary
    record fixes which items started and the completion reason; each finished item replays
    from its own checkpoints. A summary without the SDK's record falls back to the records."""
    from ..concurrency.models import BatchItem, BatchResult, CompletionRecord

    record = CompletionRecord.from_summary_payload(summary_payload)
    items: list[BatchItem] = []
    if record is not None:
        for executable in executables[: record.started_total]:
            if executable.index in record.started_indexes:
                items.append(BatchItem(executable.index, BatchItemStatus.STARTED))
            else:
                items.append(_replay_item(executable, run_branch))
        return BatchResult(items, record.completion_reason)
    state = ctx.state
    succeeded = failed = 0
    statuses = []
    for executable in executables:
        item_record = state.get(make_operation_id(operation_id, executable.index))
        if item_record is None:
            continue
        if item_record["Status"] in ("SUCCEEDED", "FAILED"):
            item = _replay_item(executable, run_branch)
        else:
            item = BatchItem(executable.index, BatchItemStatus.STARTED)
        succeeded += item.status is BatchItemStatus.SUCCEEDED
        failed += item.status is BatchItemStatus.FAILED
        items.append(item)
        statuses.append(CompletionItemStatus(item.index, executable.name, item.status))
    return BatchResult(items, policy.reason(succeeded, failed, tuple(statuses)))


def _replay_item(executable: Executable, run_branch) -> BatchItem:
    from ..concurrency.executor import _error_object
    from ..concurrency.models import BatchItem

    try:
        value = run_branch(executable, None)
    except Exception as error:  # noqa: BLE001 - classified as the coordinator does
        if isinstance(error, ExecutionError) or (
            isinstance(error, InvocationError) and error.is_retryable()
        ):
            raise
        return BatchItem(executable.index, BatchItemStatus.FAILED, None, _error_object(error))
    return BatchItem(executable.index, BatchItemStatus.SUCCEEDED, value, None)
