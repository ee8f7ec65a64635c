"""4-8: Callback (5 s timeout) + step + wait for the callback result (timeout, not caught)."""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import CallbackConfig, Duration


@durable_step
def do_work(step_context: StepContext) -> str:
    return "work done"


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    callback = context.create_callback(
        name=event, config=CallbackConfig(timeout=Duration.from_seconds(5))
    )
    context.step(do_work())
    return callback.result()
