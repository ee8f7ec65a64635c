"""8-2: Parallel branches-only form (no operation name).

``context.parallel([branch0, branch1])`` without a name (``max_concurrency=1``); the branches
return ``"alpha"`` and ``"beta"`` directly.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import ParallelConfig


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [lambda ctx: "alpha", lambda ctx: "beta"], config=ParallelConfig(max_concurrency=1)
    )
    return result.get_results()
