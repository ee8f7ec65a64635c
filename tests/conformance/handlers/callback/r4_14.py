"""4-14: Callback timeout (3 s) caught, then a 2-second wait, then return a message."""
from lambda_durable import CallbackTimeoutError, DurableContext, durable_execution
from lambda_durable.config import CallbackConfig, Duration


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    callback = context.create_callback(
        name=event, config=CallbackConfig(timeout=Duration.from_seconds(3))
    )
    try:
        message = f"approved: {callback.result()}"
    except CallbackTimeoutError as error:
        message = f"callback timed out: {error}"
    context.wait(Duration.from_seconds(2))
    return message
