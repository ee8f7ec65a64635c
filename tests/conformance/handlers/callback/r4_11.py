"""4-11: Callback (3 s timeout) + 6-second wait + wait for the callback result.

The callback times out during the wait; once the wait is over ``result()`` raises
``CallbackTimeoutError`` (not caught), so the execution fails.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CallbackConfig, Duration


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    callback = context.create_callback(
        name=event, config=CallbackConfig(timeout=Duration.from_seconds(3))
    )
    context.wait(Duration.from_seconds(6))
    return callback.result()
