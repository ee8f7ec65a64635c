"""7-13: wait_for_callback with a 10-second heartbeat timeout; the external system sends a
heartbeat, then the success payload, which the handler returns."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration, WaitForCallbackConfig
from lambda_durable.types import WaitForCallbackContext


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info("callback id: %s", callback_id)


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    return context.wait_for_callback(
        submit,
        name=event,
        config=WaitForCallbackConfig(heartbeat_timeout=Duration.from_seconds(10)),
    )
