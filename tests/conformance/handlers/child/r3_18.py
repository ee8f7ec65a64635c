"""3-18: Child context with a step and a wait inside, then a step and a wait after it.

Inside the child: a step returning the input, then a 1-second wait; the child returns the input.
After it: a step returning the input, then a 1-second wait. Three invocations.
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
def child(ctx: DurableContext, value: str) -> str:
    result = ctx.step(echo(value))
    ctx.wait(Duration.from_seconds(1))
    return result


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    context.run_in_child_context(child(event))
    result = context.step(echo(event))
    context.wait(Duration.from_seconds(1))
    return result
