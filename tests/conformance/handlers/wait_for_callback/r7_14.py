"""7-14: wait_for_callback with a 3-second timeout, caught: the handler returns
"timed-out-handled"."""
from lambda_durable import CallbackTimeoutError, DurableContext, durable_execution
from lambda_durable.config import Duration, WaitForCallbackConfig
from lambda_durable.types import WaitForCallbackContext


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info("callback id: %s", callback_id)


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    try:
        return context.wait_for_callback(
            submit,
            name=event,
            config=WaitForCallbackConfig(timeout=Duration.from_seconds(3)),
        )
    except CallbackTimeoutError:
        return "timed-out-handled"
