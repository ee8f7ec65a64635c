"""9-7: Map min-successful early completion.

``context.map`` named "min-successful" over four items, ``max_concurrency=1``,
``min_successful=2``: items 0 and 1 succeed and the batch completes without starting 2 and 3.
Returns ``{completionReason, successCount, totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, MapConfig


def constant(ctx: DurableContext, item: str, index: int, items: list) -> str:
    return f"r{index}"


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.map(
        ["i0", "i1", "i2", "i3"],
        constant,
        name="min-successful",
        config=MapConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(min_successful=2),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "successCount": result.success_count,
        "totalCount": result.total_count,
    }
