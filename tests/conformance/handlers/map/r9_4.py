"""9-4: Map with an empty items list.

``context.map`` named "empty" over ``[]``: the Map context starts and succeeds at once with no
iterations; the handler returns ``[]``.
"""
from lambda_durable import DurableContext, durable_execution


def identity(ctx: DurableContext, item: object, index: int, items: list) -> object:
    return item


@durable_execution
def handler(event: list, context: DurableContext) -> list:
    result = context.map(event, identity, name="empty")
    return result.get_results()
