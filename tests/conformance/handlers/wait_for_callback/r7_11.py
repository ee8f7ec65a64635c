"""7-11: wait_for_callback decoding the callback payload as JSON (instead of the raw string);
the external system sends {"status": "approved"} and the handler returns its "status"."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import WaitForCallbackConfig
from lambda_durable.serdes import JsonSerDes
from lambda_durable.types import WaitForCallbackContext


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info("callback id: %s", callback_id)


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    result = context.wait_for_callback(
        submit, name=event, config=WaitForCallbackConfig(serdes=JsonSerDes())
    )
    return result["status"]
