"""3-1: Child context basic (a single step inside).

A child context whose one step returns the input string; the child returns the step result.
"""
from lambda_durable import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)


@durable_step
def echo(step_context: StepContext, value: str) -> str:
    return value


@durable_with_child_context
def child(ctx: DurableContext, value: str) -> str:
    return ctx.step(echo(value))


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.run_in_child_context(child(event))
