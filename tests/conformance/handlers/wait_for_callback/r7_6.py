"""7-6: wait_for_callback external failure caught: the handler returns "recovered"."""
from lambda_durable import CallbackError, DurableContext, durable_execution
from lambda_durable.types import WaitForCallbackContext


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info("callback id: %s", callback_id)


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    try:
        return context.wait_for_callback(submit, name=event)
    except CallbackError:
        return "recovered"
