"""4-7: Callback + step + wait for the callback result (external failure, not caught).

Creates the callback, runs a step, then blocks on the callback result; the failure propagates.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step


@durable_step
def do_work(step_context: StepContext) -> str:
    return "work done"


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    callback = context.create_callback(name=event)
    context.step(do_work())
    return callback.result()
