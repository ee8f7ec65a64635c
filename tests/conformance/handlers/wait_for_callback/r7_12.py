"""7-12: wait_for_callback with a 5-second heartbeat timeout; no heartbeat is sent, the callback
times out (Callback.Heartbeat) and the execution fails."""
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
        config=WaitForCallbackConfig(heartbeat_timeout=Duration.from_seconds(5)),
    )
