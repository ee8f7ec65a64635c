"""1-13: Default retry strategy.

A step that fails on its first two attempts and succeeds on the third, with no retry config (the
SDK's default strategy: 6 attempts, 5 s initial delay, 60 s max, 2x backoff, FULL jitter). Each
attempt runs in its own invocation (the retry delay suspends the execution), so the step decides
from ``step_context.attempt``, not from process state.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step


class TransientError(Exception):
    """The failure of the first two attempts."""


@durable_step
def unreliable_func(step_context: StepContext) -> str:
    if step_context.attempt < 3:
        raise TransientError(f"attempt {step_context.attempt} failed")
    return f"succeeded on attempt {step_context.attempt}"


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    return context.step(unreliable_func())
