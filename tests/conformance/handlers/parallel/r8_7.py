"""8-7: Parallel throw-if-error propagates a branch failure to the execution.

``context.parallel`` named "throwing" with two branches, ``max_concurrency=1`` and
``tolerated_failure_count=0``: branch 0 raises, branch 1 never starts; ``throw_if_error()``
rethrows the failure and the execution fails.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CompletionConfig, ParallelConfig


class BranchError(Exception):
    """The failure of branch 0."""


def fail(ctx: DurableContext) -> str:
    raise BranchError("branch 0 failed")


def never(ctx: DurableContext) -> str:
    return "never"


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [fail, never],
        name="throwing",
        config=ParallelConfig(
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_count=0),
        ),
    )
    result.throw_if_error()
    return result.get_results()
