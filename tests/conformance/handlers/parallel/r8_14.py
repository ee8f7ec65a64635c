"""8-14: Parallel replay skips succeeded branches across a wait suspension.

``context.parallel`` named "replay" with two branches and ``max_concurrency=1``: branch 0 runs a
step returning ``"b0"``; branch 1 waits 2 s, then returns ``"b1"``. The first invocation
suspends on the wait; on replay branch 0 is rebuilt from its checkpoint (its step does not run
again) and branch 1 finishes. Returns ``["b0", "b1"]``.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import Duration, ParallelConfig


@durable_step
def first(step_context: StepContext) -> str:
    return "b0"


def branch0(ctx: DurableContext) -> str:
    return ctx.step(first())


def branch1(ctx: DurableContext) -> str:
    ctx.wait(Duration.from_seconds(2))
    return "b1"


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [branch0, branch1], name="replay", config=ParallelConfig(max_concurrency=1)
    )
    return result.get_results()
