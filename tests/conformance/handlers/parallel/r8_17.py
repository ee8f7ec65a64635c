"""8-17: Parallel min-successful not reached (all branches run, insufficient successes).

``context.parallel`` named "min-not-reached" with three branches, ``max_concurrency=1``,
``min_successful=3``: branch 1 raises, 0 and 2 succeed; no failure tolerance is configured, so
all three run. Returns ``{completionReason, status, successCount, failureCount, totalCount}``.
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
        name="min-not-reached",
        config=ParallelConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(min_successful=3),
        ),
    )
    return {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
