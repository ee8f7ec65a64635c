"""3-2: Child context with name.

The child context is named with the input's ``name``; its step returns the input's ``value``,
which the child returns.
"""
from typing import Any

from lambda_durable import DurableContext, StepContext, durable_execution, durable_step


@durable_step
def echo(step_context: StepContext, value: str) -> str:
    return value


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> str:
    value = event["value"]
    return context.run_in_child_context(lambda ctx: ctx.step(echo(value)), name=event["name"])
