"""1-1: Step basic (succeeds on first attempt).

A single step that takes the input and returns a greeting string: ``context.step(greet(event))``.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.step(greet(event))
