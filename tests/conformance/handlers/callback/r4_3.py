"""4-3: Create callback general timeout (no external callback sent).

A callback named after the input with a 5-second timeout; nobody answers, so ``result()`` raises
``CallbackTimeoutError`` and the execution fails.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CallbackConfig, Duration


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    callback = context.create_callback(
        name=event, config=CallbackConfig(timeout=Duration.from_seconds(5))
    )
    return callback.result()
