"""1-2: Step with name.

A single step with an explicit ``name``: ``context.step(greet(event), name="custom_step_name")``
(the explicit name wins over the ``@durable_step`` function name).
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.step(greet(event), name="custom_step_name")
