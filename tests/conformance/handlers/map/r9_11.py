"""9-11: Map real concurrency (max-concurrency > 1) preserves index-ordered results.

``context.map`` named "concurrent" over three items with ``max_concurrency=2``; each item
returns ``"r<index>"`` directly. Results come back in index order whatever the completion order.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import MapConfig


def constant(ctx: DurableContext, item: str, index: int, items: list) -> str:
    return f"r{index}"


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.map(
        ["i0", "i1", "i2"], constant, name="concurrent", config=MapConfig(max_concurrency=2)
    )
    return result.get_results()
