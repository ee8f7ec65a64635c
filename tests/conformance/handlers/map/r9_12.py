"""9-12: Map with FLAT nesting (virtual iteration contexts).

``context.map`` named "flat" over ``["fa", "fb"]``, ``max_concurrency=1``,
``nesting_type=NestingType.FLAT``: each item runs one step returning the item; the steps report
the Map operation as their parent and no MapIteration contexts are checkpointed.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import MapConfig, NestingType


@durable_step
def echo(step_context: StepContext, item: str) -> str:
    return item


def run_item(ctx: DurableContext, item: str, index: int, items: list) -> str:
    return ctx.step(echo(item))


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.map(
        ["fa", "fb"],
        run_item,
        name="flat",
        config=MapConfig(max_concurrency=1, nesting_type=NestingType.FLAT),
    )
    return result.get_results()
