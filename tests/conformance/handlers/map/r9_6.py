"""9-6: Map throw-if-error propagates an item failure to the execution.

``context.map`` named "throwing" over two items, ``max_concurrency=1`` and
``tolerated_failure_count=0``: item 0 raises, item 1 never starts; the handler calls
``throw_if_error()`` and the error fails the execution.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, MapConfig


class ItemError(Exception):
    """The failure of item 0."""


def fail_first(ctx: DurableContext, item: str, index: int, items: list) -> str:
    if index == 0:
        raise ItemError(f"item {item} failed")
    return item


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.map(
        ["i0", "i1"],
        fail_first,
        name="throwing",
        config=MapConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_count=0),
        ),
    )
    result.throw_if_error()
    return result.get_results()
