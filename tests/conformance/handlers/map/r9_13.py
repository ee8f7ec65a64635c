"""9-13: Map with a custom item namer.

``context.map`` named "named-items" over ``[1, 2]``, ``max_concurrency=1`` and
``item_namer=lambda item, index: f"item-{item}"``; each item returns ``item * 10``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import MapConfig


def times_ten(ctx: DurableContext, item: int, index: int, items: list) -> int:
    return item * 10


@durable_execution
def handler(event: list, context: DurableContext) -> list:
    result = context.map(
        event,
        times_ten,
        name="named-items",
        config=MapConfig(max_concurrency=1, item_namer=lambda item, index: f"item-{item}"),
    )
    return result.get_results()
