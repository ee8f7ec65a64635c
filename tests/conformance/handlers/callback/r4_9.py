"""4-9: Callback + 5-second wait + wait for the callback result (success during the wait)."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    callback = context.create_callback(name=event)
    context.wait(Duration.from_seconds(5))
    return callback.result()
