"""4-12: Callback success, then a 2-second wait, then return the callback result."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    callback = context.create_callback(name=event)
    result = callback.result()
    context.wait(Duration.from_seconds(2))
    return result
