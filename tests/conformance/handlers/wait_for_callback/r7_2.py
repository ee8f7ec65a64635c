"""7-2: wait_for_callback with the explicit static name "approval"."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.types import WaitForCallbackContext


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info("send %s to the approver", callback_id)


@durable_execution
def handler(event: object, context: DurableContext) -> str | None:
    return context.wait_for_callback(submit, name="approval")
