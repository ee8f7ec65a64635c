"""8-9: Parallel tolerated-failure-count within tolerance (all branches complete).

``context.parallel`` named "tolerated" with three branches, ``max_concurrency=1``,
``tolerated_failure_count=1``: branch 1 raises, branches 0 and 2 succeed. Returns
``{completionReason, status, successCount, failureCount, totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, ParallelConfig


class BranchError(Exception):
    """The failure of branch 1."""


def ok(ctx: DurableContext) -> str:
    return "ok"


def fail(ctx: DurableContext) -> str:
    raise BranchError("branch 1 failed")


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.parallel(
        [ok, fail, ok],
        name="tolerated",
        config=ParallelConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_count=1),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
