"""3-16: Child context returning null.

The child function returns ``None`` without any durable operation; the execution returns it.
"""
from lambda_durable import DurableContext, durable_execution, durable_with_child_context


@durable_with_child_context
def returns_none(ctx: DurableContext) -> None:
    return None


@durable_execution
def handler(event: object, context: DurableContext) -> None:
    return context.run_in_child_context(returns_none())
