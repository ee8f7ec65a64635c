"""5-12: Invoke then step: the step processes the invoke result."""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step

from . import ECHO


@durable_step
def process(step_context: StepContext, invoke_result: dict) -> dict:
    return {"processed": invoke_result}


@durable_execution
def handler(event: object, context: DurableContext) -> object:
    invoke_result = context.invoke(ECHO, {"value": 1})
    return context.step(process(invoke_result))
