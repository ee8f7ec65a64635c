"""3-13: Child context with a wait inside (verify replay).

The child context only waits (1 second) and returns the input; a step outside the child then
returns the input.
"""
from lambda_durable import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from lambda_durable.config import Duration


@durable_step
def echo(step_context: StepContext, value: str) -> str:
    return value


@durable_with_child_context
def waiting_child(ctx: DurableContext, value: str) -> str:
    ctx.wait(Duration.from_seconds(1))
    return value


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    context.run_in_child_context(waiting_child(event))
    return context.step(echo(event))
