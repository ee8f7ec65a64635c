"""8-16: Parallel where all branches fail (within tolerance, ALL_COMPLETED).

``context.parallel`` named "all-fail" with three failing branches, ``max_concurrency=1``,
``tolerated_failure_count=3``. Returns ``{completionReason, status, successCount, failureCount,
totalCount}`` = ALL_COMPLETED, FAILED, 0, 3, 3.
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
        [fail, fail, fail],
        name="all-fail",
        config=ParallelConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_count=3),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
