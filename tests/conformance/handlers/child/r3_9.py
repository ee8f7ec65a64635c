"""3-9: Child context replay (returns the cached result).

A child context whose step returns the input, then a 1-second wait; on the replay after the
wait the child returns its checkpointed result without running again.
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
    return ctx.step(echo(value))


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    result = context.run_in_child_context(child(event))
    context.wait(Duration.from_seconds(1))
    return result
