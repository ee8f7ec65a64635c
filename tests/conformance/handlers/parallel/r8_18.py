"""8-18: Parallel with combined completion config (min-successful + tolerated-failure-count).

``context.parallel`` named "combined" with four failing branches, ``max_concurrency=1``,
``min_successful=3`` and ``tolerated_failure_count=1``: branch 1's failure exceeds the tolerance
and branches 2 and 3 never start. Returns ``{completionReason, successCount, failureCount,
totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, ParallelConfig


class BranchError(Exception):
    """The failure of every branch."""


def fail(ctx: DurableContext) -> str:
    raise BranchError("branch failed")


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.parallel(
        [fail, fail, fail, fail],
        name="combined",
        config=ParallelConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(min_successful=3, tolerated_failure_count=1),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
