"""7-3: wait_for_callback with only an inline (anonymous) submitter and no name."""
from lambda_durable import DurableContext, durable_execution


@durable_execution
def handler(event: object, context: DurableContext) -> str | None:
    return context.wait_for_callback(lambda callback_id, ctx: None)
