"""7-4: wait_for_callback whose callback the external system fails; not caught, so the
execution fails."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.types import WaitForCallbackContext


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info("callback id: %s", callback_id)


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    return context.wait_for_callback(submit, name=event)
