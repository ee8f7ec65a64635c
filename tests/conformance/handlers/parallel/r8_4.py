"""8-4: Parallel with heterogeneous branch return types.

``context.parallel`` named "hetero" (``max_concurrency=1``) whose branches return ``"hello"``,
``42`` and ``{"k": "v"}`` directly; each keeps its type through the checkpoint round trip.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import ParallelConfig


def text(ctx: DurableContext) -> str:
    return "hello"


def number(ctx: DurableContext) -> int:
    return 42


def mapping(ctx: DurableContext) -> dict:
    return {"k": "v"}


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [text, number, mapping], name="hetero", config=ParallelConfig(max_concurrency=1)
    )
    return result.get_results()
