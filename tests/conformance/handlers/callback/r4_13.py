"""4-13: Callback failure caught, then a 2-second wait, then return the error message."""
from lambda_durable import CallbackError, DurableContext, durable_execution
from lambda_durable.config import Duration


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    callback = context.create_callback(name=event)
    try:
        message = f"approved: {callback.result()}"
    except CallbackError as error:
        message = f"callback failed: {error}"
    context.wait(Duration.from_seconds(2))
    return message
