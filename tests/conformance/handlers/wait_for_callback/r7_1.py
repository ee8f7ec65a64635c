"""7-1: wait_for_callback basic (success via external callback).

One ``wait_for_callback`` named after the input; the submitter only logs the callback id (nothing
durable); the external system's payload (the raw string) is the result the handler returns.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.types import WaitForCallbackContext


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info("callback id: %s", callback_id)


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    return context.wait_for_callback(submit, name=event)
