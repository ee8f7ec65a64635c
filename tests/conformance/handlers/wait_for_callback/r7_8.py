"""7-8: wait_for_callback inside a child context named "wrapper"; the child returns the callback
result, which the handler returns."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.types import WaitForCallbackContext


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info("callback id: %s", callback_id)


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    return context.run_in_child_context(
        lambda child: child.wait_for_callback(submit, name=event), name="wrapper"
    )
