"""8-1: Parallel basic (two branches, each a single step, all succeed).

``context.parallel`` named "parallel" with two branches and ``max_concurrency=1``; branch ``i``
runs one step returning ``"task-<i+1>"``; the handler returns the results in branch order.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import ParallelConfig


@durable_step
def task(step_context: StepContext, label: str) -> str:
    return label


def branch0(ctx: DurableContext) -> str:
    return ctx.step(task("task-1"))


def branch1(ctx: DurableContext) -> str:
    return ctx.step(task("task-2"))


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [branch0, branch1], name="parallel", config=ParallelConfig(max_concurrency=1)
    )
    return result.get_results()
