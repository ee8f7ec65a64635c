"""8-21: Nested parallel (a parallel operation inside a parallel branch).

An outer ``context.parallel`` named "outer" (``max_concurrency=1``) with one branch that runs an
inner parallel named "inner" (``max_concurrency=1``) of two steps returning ``"i1"`` and
``"i2"``; the branch returns the inner results, so the handler returns ``[["i1", "i2"]]``.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import ParallelConfig


@durable_step
def produce(step_context: StepContext, value: str) -> str:
    return value


def inner_1(ctx: DurableContext) -> str:
    return ctx.step(produce("i1"))


def inner_2(ctx: DurableContext) -> str:
    return ctx.step(produce("i2"))


def branch_a(ctx: DurableContext) -> list:
    inner = ctx.parallel(
        [inner_1, inner_2], name="inner", config=ParallelConfig(max_concurrency=1)
    )
    return inner.get_results()


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel([branch_a], name="outer", config=ParallelConfig(max_concurrency=1))
    return result.get_results()
