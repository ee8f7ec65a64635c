"""9-9: Map tolerated-failure-count exceeded (stops early).

``context.map`` named "tolerated-exceeded" over three items, ``max_concurrency=1``,
``tolerated_failure_count=1``: items 0 and 1 raise, item 2 never starts. Returns
``{completionReason, successCount, failureCount, totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, MapConfig


class ItemError(Exception):
    """The failure of every item."""


def always_fail(ctx: DurableContext, item: str, index: int, items: list) -> str:
    raise ItemError(f"item {item} failed")


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.map(
        ["i0", "i1", "i2"],
        always_fail,
        name="tolerated-exceeded",
        config=MapConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_count=1),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
