"""1-7: Step with context logger.

The step logs through ``step_context.logger`` when it starts and when it completes, then returns
the greeting.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    step_context.logger.info(f"Greeting step started for: {name}")
    greeting = f"Hello, {name}!"
    step_context.logger.info(f"Greeting step completed with: {greeting}")
    return greeting


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.step(greet(event))
