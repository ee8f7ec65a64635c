"""9-8: Map tolerated-failure-count within tolerance (all items complete).

``context.map`` named "tolerated" over three items, ``max_concurrency=1``,
``tolerated_failure_count=1``: item 1 raises, items 0 and 2 succeed. Returns
``{completionReason, status, successCount, failureCount, totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, MapConfig


class ItemError(Exception):
    """The failure of item 1."""


def fail_second(ctx: DurableContext, item: str, index: int, items: list) -> str:
    if index == 1:
        raise ItemError(f"item {item} failed")
    return item


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.map(
        ["i0", "i1", "i2"],
        fail_second,
        name="tolerated",
        config=MapConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_count=1),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
