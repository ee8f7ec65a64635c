"""3-6: Nested child contexts.

The outer child context runs a step returning the input, then an inner child context whose step
returns the input; the inner child returns its step's result, the outer child the inner's.
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
def inner(ctx: DurableContext, value: str) -> str:
    return ctx.step(echo(value))


@durable_with_child_context
def outer(ctx: DurableContext, value: str) -> str:
    ctx.step(echo(value))
    return ctx.run_in_child_context(inner(value))


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.run_in_child_context(outer(event))
