"""5-6: Invoke target fails, caught: the handler catches ``InvokeError`` and returns a fallback."""
from lambda_durable import DurableContext, InvokeError, durable_execution

from . import ERROR


@durable_execution
def handler(event: object, context: DurableContext) -> object:
    try:
        return context.invoke(ERROR, event)
    except InvokeError as exc:
        return {"fallback": True, "error": str(exc)}
