"""8-13: Parallel tolerated-failure-percentage exceeded (stops early).

``context.parallel`` named "tolerated-pct" with four failing branches, ``max_concurrency=1``,
``tolerated_failure_percentage=25``: after branch 1 fails 2/4 = 50 % > 25 % and branches 2 and
3 never start. Returns ``{completionReason, successCount, failureCount, totalCount}``.
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
        name="tolerated-pct",
        config=ParallelConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_percentage=25),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
