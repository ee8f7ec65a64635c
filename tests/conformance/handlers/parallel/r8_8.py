"""8-8: Parallel min-successful early completion.

``context.parallel`` named "min-successful" with four constant branches, ``max_concurrency=1``,
``min_successful=2``: branches 0 and 1 succeed and 2 and 3 never start. Returns
``{completionReason, successCount, totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, ParallelConfig


def constant(value: str):
    def branch(ctx: DurableContext) -> str:
        return value

    return branch


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.parallel(
        [constant(f"r{i}") for i in range(4)],
        name="min-successful",
        config=ParallelConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(min_successful=2),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "successCount": result.success_count,
        "totalCount": result.total_count,
    }
