"""9-18: Suspension after a map that completed with a failure (replay skips the completed map).

``context.map`` named "fail-then-wait" over ``["ok", "fail"]``, ``max_concurrency=1``,
``tolerated_failure_count=1``: item 1 raises; the handler does not rethrow, waits 1 s and returns
``{completionReason, status, successCount, failureCount, totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, Duration, MapConfig


class ItemError(Exception):
    """The failure of the "fail" item."""


def run_item(ctx: DurableContext, item: str, index: int, items: list) -> str:
    if item == "fail":
        raise ItemError("item failed")
    return item


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.map(
        ["ok", "fail"],
        run_item,
        name="fail-then-wait",
        config=MapConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_count=1),
        ),
    )
    context.wait(Duration.from_seconds(1))
    return {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
