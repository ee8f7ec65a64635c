"""3-4: Child context error (the step fails, the execution fails).

The child's step raises with no retry (``RetryPresets.none()``): the step FAILs, the child
context FAILs (``ChildContextError``), and the execution fails with it.
"""
from lambda_durable import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from lambda_durable.config import StepConfig
from lambda_durable.retries import RetryPresets


@durable_step
def failing(step_context: StepContext) -> str:
    raise ValueError("step inside the child context failed")


@durable_with_child_context
def failing_child(ctx: DurableContext) -> str:
    return ctx.step(failing(), config=StepConfig(retry_strategy=RetryPresets.none()))


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    return context.run_in_child_context(failing_child())
