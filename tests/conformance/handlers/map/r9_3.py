"""9-3: Map function receives item and index.

``context.map`` named "indexed" over ``[10, 20, 30]`` (``max_concurrency=1``); each item returns
``item + index`` directly.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import MapConfig


def add_index(ctx: DurableContext, item: int, index: int, items: list) -> int:
    return item + index


@durable_execution
def handler(event: list, context: DurableContext) -> list:
    result = context.map(event, add_index, name="indexed", config=MapConfig(max_concurrency=1))
    return result.get_results()
