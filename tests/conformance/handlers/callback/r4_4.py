"""4-4: Create callback heartbeat timeout (no heartbeat sent).

A callback named after the input with a 5-second heartbeat timeout; no heartbeat arrives, so the
service times it out (``Callback.Heartbeat``) and ``result()`` raises ``CallbackTimeoutError``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CallbackConfig, Duration


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    callback = context.create_callback(
        name=event, config=CallbackConfig(heartbeat_timeout=Duration.from_seconds(5))
    )
    return callback.result()
