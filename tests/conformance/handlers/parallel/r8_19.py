"""8-19: Parallel with invalid max-concurrency raises a validation error.

``context.parallel`` named "bad-concurrency" with two trivial branches and
``ParallelConfig(max_concurrency=0)``: the SDK raises ``ValidationError`` before checkpointing
anything and the uncaught error fails the execution.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import ParallelConfig


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [lambda ctx: "b0", lambda ctx: "b1"],
        name="bad-concurrency",
        config=ParallelConfig(max_concurrency=0),
    )
    return result.get_results()
