"""9-1: Map basic (one step per item, all succeed).

``context.map(event, ...)`` named "map" over ``["World", "Kiro"]`` with ``max_concurrency=1``;
each item runs one step returning ``"Hello, <item>!"``; the handler returns the results in item
index order.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import MapConfig


@durable_step
def greet(step_context: StepContext, item: str) -> str:
    return f"Hello, {item}!"


def greet_item(ctx: DurableContext, item: str, index: int, items: list) -> str:
    return ctx.step(greet(item))


@durable_execution
def handler(event: list, context: DurableContext) -> list:
    result = context.map(event, greet_item, name="map", config=MapConfig(max_concurrency=1))
    return result.get_results()
