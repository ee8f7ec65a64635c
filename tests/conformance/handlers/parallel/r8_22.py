"""8-22: Parallel tolerated-failure-percentage at the boundary (not exceeded, ALL_COMPLETED).

``context.parallel`` named "pct-boundary" with four branches, ``max_concurrency=1``,
``tolerated_failure_percentage=25``: branch 0 raises (1/4 = 25 %, not > 25 %), branches 1-3
succeed. Returns ``{completionReason, status, successCount, failureCount, totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, ParallelConfig


class BranchError(Exception):
    """The failure of branch 0."""


def ok(ctx: DurableContext) -> str:
    return "ok"


def fail(ctx: DurableContext) -> str:
    raise BranchError("branch 0 failed")


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.parallel(
        [fail, ok, ok, ok],
        name="pct-boundary",
        config=ParallelConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_percentage=25),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
