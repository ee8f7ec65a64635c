"""7-9: Two sequential wait_for_callback operations, "first" then "second"; returns the second
result."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.types import WaitForCallbackContext


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info("callback id: %s", callback_id)


@durable_execution
def handler(event: object, context: DurableContext) -> str | None:
    context.wait_for_callback(submit, name="first")
    return context.wait_for_callback(submit, name="second")
