"""``context.map`` and ``context.parallel``: run items as child contexts and collect a
:class:`BatchResult` (protocol.md 5.9).

Item/branch ``i`` is the child context ``operation_id(<batch id>, i)`` (i from 0, independent of
scheduling), SubType ``MapIteration``/``ParallelBranch``, or a virtual context with FLAT nesting.
The completion policy is evaluated before scheduling and after every item transition; items not
started when the batch completes are omitted. Item failures never raise: they are recorded in the
result and the batch operation SUCCEEDs. Items run one after another in this version (the
completion policy, IDs, sub-types and results are final).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .._completion import CompletionPolicy
from .._ids import operation_id as make_operation_id
from ..concurrency.models import BatchItem, BatchResult
from ..config import BatchItemStatus, CompletionItemStatus, NestingType
from ..exceptions import ChildContextError
from ..lambda_service import ErrorObject
from ..limits import CHECKPOINT_SIZE_LIMIT_BYTES, utf8_len
from ..serdes import deserialize, serialize
from .base import check_identity, operation_error, update
from .child import run_child

if TYPE_CHECKING:  # pragma: no cover
    from ..context import DurableContext

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
    sub_type, item_sub_type, summary_type = kinds
    state = ctx.state
    arn = state.durable_execution_arn
    serdes = config.serdes
    item_serdes = config.item_serdes or config.serdes
    record = state.get(operation_id)
    replay_children = False
    if record is not None:
        check_identity(record, operation_id, CONTEXT, sub_type, name, ctx._parent_id)
        details = record.get("ContextDetails") or {}
        replay_children = bool(details.get("ReplayChildren"))
        if record["Status"] == "SUCCEEDED" and not replay_children:
            return deserialize(serdes, details.get("Result"), operation_id, arn)
        if record["Status"] == "FAILED":
            raise operation_error(ChildContextError, details.get("Error"), f"{sub_type} failed")
    else:
        state.enqueue(update(ctx, operation_id, CONTEXT, "START", sub_type, name))

    total = len(branches)
    policy = CompletionPolicy.from_config(total, config.completion_config)
    flat = config.nesting_type is NestingType.FLAT
    batch_ctx = ctx._child_context(operation_id, is_virtual=False, has_record=record is not None)
    statuses: list[CompletionItemStatus] = [
        CompletionItemStatus(index=i, name=item_name) for i, (item_name, _) in enumerate(branches)
    ]
    items: list[BatchItem] = []
    succeeded = failed = 0
    complete, reason = policy.decide(0, 0, tuple(statuses))
    for index, (item_name, func) in enumerate(branches):
        if complete:
            break
        item_id = make_operation_id(operation_id, index)
        try:
            value = run_child(
                batch_ctx, item_id, func, item_name, item_sub_type,
                serdes=item_serdes, is_virtual=flat,
            )
        except ChildContextError as error:
            failed += 1
            items.append(
                BatchItem(
                    index,
                    BatchItemStatus.FAILED,
                    None,
                    ErrorObject(error.message, error.error_type, error.data, error.stack_trace),
                )
            )
            statuses[index] = CompletionItemStatus(index, item_name, BatchItemStatus.FAILED)
        else:
            succeeded += 1
            items.append(BatchItem(index, BatchItemStatus.SUCCEEDED, value, None))
            statuses[index] = CompletionItemStatus(index, item_name, BatchItemStatus.SUCCEEDED)
        complete, reason = policy.decide(succeeded, failed, tuple(statuses))

    result = BatchResult(items, reason)
    payload = serialize(serdes, result, operation_id, arn)
    value = deserialize(serdes, payload, operation_id, arn)
    if replay_children:
        return value
    large = utf8_len(payload) > CHECKPOINT_SIZE_LIMIT_BYTES
    if large:
        payload = _summary_record(result, summary_type, config.summary_generator)
    state.checkpoint(
        update(
            ctx, operation_id, CONTEXT, "SUCCEED", sub_type, name,
            Payload=payload, ContextOptions={"ReplayChildren": large},
        )
    )
    return value


def _summary_record(result: BatchResult, summary_type: str, generator: Any) -> str:
    """The record stored instead of a result too large to checkpoint (plain JSON)."""
    started = [item.index for item in result.all if item.status is BatchItemStatus.STARTED]
    completed = [item.index for item in result.all if item.status is not BatchItemStatus.STARTED]
    record: dict[str, Any] = {
        "type": summary_type,
        "totalCount": result.total_count,
        "completionReason": result.completion_reason.value,
    }
    if len(started) <= len(completed):
        record["startedIndexes"] = started
    else:
        record["completedIndexes"] = completed
    record.update(
        startedCount=result.started_count,
        successCount=result.success_count,
        failureCount=result.failure_count,
        status=result.status.value,
    )
    if generator is not None:
        record["summary"] = generator(result)
    return json.dumps(record)
