"""8-6: Parallel fail-fast via tolerated-failure-count=0 stops after first failure.

``context.parallel`` named "failfast" with three branches, ``max_concurrency=1`` and
``tolerated_failure_count=0``: branch 0 returns "ok", branch 1 raises, branch 2 never starts.
Returns ``{completionReason, status, successCount, failureCount, totalCount}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, ParallelConfig


class BranchError(Exception):
    """The failure of branch 1."""


def ok(ctx: DurableContext) -> str:
    return "ok"


def fail(ctx: DurableContext) -> str:
    raise BranchError("branch 1 failed")


def never(ctx: DurableContext) -> str:
    return "never"


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    result = context.parallel(
        [ok, fail, never],
        name="failfast",
        config=ParallelConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_count=0),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
