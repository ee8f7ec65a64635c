"""8-12: Parallel with FLAT nesting (virtual branch contexts).

``context.parallel`` named "flat" with two branches, ``max_concurrency=1`` and
``nesting_type=NestingType.FLAT``; each branch runs one step returning ``"fa"`` / ``"fb"``, whose
events report the Parallel operation as parent.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import NestingType, ParallelConfig


@durable_step
def produce(step_context: StepContext, value: str) -> str:
    return value


def branch_a(ctx: DurableContext) -> str:
    return ctx.step(produce("fa"))


def branch_b(ctx: DurableContext) -> str:
    return ctx.step(produce("fb"))


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [branch_a, branch_b],
        name="flat",
        config=ParallelConfig(max_concurrency=1, nesting_type=NestingType.FLAT),
    )
    return result.get_results()
