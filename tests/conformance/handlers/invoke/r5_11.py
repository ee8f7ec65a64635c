"""5-11: Step then invoke: the step result is the invoke payload."""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step

from . import ECHO


@durable_step
def produce(step_context: StepContext) -> dict:
    return {"value": 7}


@durable_execution
def handler(event: object, context: DurableContext) -> object:
    value = context.step(produce())
    return context.invoke(ECHO, value)
