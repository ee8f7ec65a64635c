"""9-2: Map items-only form (no operation name).

``context.map(event, double)`` without a name over ``[1, 2]`` (``max_concurrency=1``); each item
returns ``item * 2`` directly (no inner operation).
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import MapConfig


@durable_execution
def handler(event: list, context: DurableContext) -> list:
    result = context.map(
        event,
        lambda ctx, item, index, items: item * 2,
        config=MapConfig(max_concurrency=1),
    )
    return result.get_results()
