"""3-3: Child context with multiple sequential steps.

Inside the child, the first step returns the input, the second receives that result and returns
it unchanged; the child returns the second step's result.
"""
from lambda_durable import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)


@durable_step
def first(step_context: StepContext, value: str) -> str:
    return value


@durable_step
def second(step_context: StepContext, previous: str) -> str:
    return previous


@durable_with_child_context
def two_steps(ctx: DurableContext, value: str) -> str:
    result1 = ctx.step(first(value))
    return ctx.step(second(result1))


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.run_in_child_context(two_steps(event))
