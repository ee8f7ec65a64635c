"""1-8: Step and wait with replay.

A step returning ``"computed"``, then a 2-second wait; the replay after the wait skips the
completed step and returns its checkpointed result.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import Duration


@durable_step
def compute(step_context: StepContext) -> str:
    return "computed"


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    result = context.step(compute())
    context.wait(Duration.from_seconds(2))
    return result
