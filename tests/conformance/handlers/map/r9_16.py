"""9-16: Map with a large aggregate result (exceeds the checkpoint size threshold).

``context.map`` named "large" over four items, ``max_concurrency=1``; each item returns a
~70 KB string, so the BatchResult (~280 KB) exceeds the 256 KiB checkpoint threshold and the Map
context is checkpointed with a summary and ReplayChildren. Returns ``{successCount, totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import MapConfig

ITEM_SIZE = 70 * 1024


def large(ctx: DurableContext, item: str, index: int, items: list) -> str:
    return item * ITEM_SIZE


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.map(
        ["a", "b", "c", "d"], large, name="large", config=MapConfig(max_concurrency=1)
    )
    return {"successCount": result.success_count, "totalCount": result.total_count}
