"""5-2: Invoke with name: the operation name comes from ``event["name"]``."""
from lambda_durable import DurableContext, durable_execution

from . import ECHO


@durable_execution
def handler(event: dict, context: DurableContext) -> object:
    return context.invoke(ECHO, event["payload"], name=event["name"])
