"""5-1: Invoke basic: invoke the echo target with the event, return its result."""
from lambda_durable import DurableContext, durable_execution

from . import ECHO


@durable_execution
def handler(event: object, context: DurableContext) -> object:
    return context.invoke(ECHO, event)
