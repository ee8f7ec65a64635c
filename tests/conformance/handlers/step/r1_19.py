"""1-19: Step with error (fails permanently).

A step that always raises, configured with ``RetryPresets.none()`` (one attempt): it is
checkpointed as failed and the execution fails.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import StepConfig
from lambda_durable.retries import RetryPresets


@durable_step
def failing_func(step_context: StepContext) -> str:
    raise ValueError("step failed")


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    return context.step(failing_func(), config=StepConfig(retry_strategy=RetryPresets.none()))
