"""8-3: Parallel with named branch objects.

``context.parallel`` named "named" with ``ParallelBranch(func, name="first")`` and
``ParallelBranch(func, name="second")`` (``max_concurrency=1``), returning ``"one"`` and
``"two"`` directly.
"""
from lambda_durable import DurableContext, ParallelBranch, durable_execution
from lambda_durable.config import ParallelConfig


def one(ctx: DurableContext) -> str:
    return "one"


def two(ctx: DurableContext) -> str:
    return "two"


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [ParallelBranch(one, name="first"), ParallelBranch(two, name="second")],
        name="named",
        config=ParallelConfig(max_concurrency=1),
    )
    return result.get_results()
