"""1-9: Replay skips a succeeded step.

A step logs "step executed" and returns ``"cached_value"``, then a 1-second wait; on replay the
step returns its checkpointed result without running again.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import Duration


@durable_step
def produce(step_context: StepContext) -> str:
    step_context.logger.info("step executed")
    return "cached_value"


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    value = context.step(produce())
    context.wait(Duration.from_seconds(1))
    return value
