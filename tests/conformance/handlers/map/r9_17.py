"""9-17: Suspension after a successful map (replay skips the completed map).

``context.map`` named "then-wait" over ``["a", "b"]`` (``max_concurrency=1``, each item returns
its uppercased item), then ``context.wait(1 s)``; on replay the completed map is not re-run.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration, MapConfig


def upper(ctx: DurableContext, item: str, index: int, items: list) -> str:
    return item.upper()


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.map(["a", "b"], upper, name="then-wait", config=MapConfig(max_concurrency=1))
    context.wait(Duration.from_seconds(1))
    return result.get_results()
