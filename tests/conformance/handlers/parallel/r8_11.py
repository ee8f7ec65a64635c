"""8-11: Parallel real concurrency (max-concurrency > 1) preserves index-ordered results.

``context.parallel`` named "concurrent" with three branches returning ``"r0"``, ``"r1"``,
``"r2"`` directly and ``max_concurrency=2``; results come back in branch order.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import ParallelConfig


def constant(value: str):
    def branch(ctx: DurableContext) -> str:
        return value

    return branch


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [constant(f"r{i}") for i in range(3)],
        name="concurrent",
        config=ParallelConfig(max_concurrency=2),
    )
    return result.get_results()
