"""5-3: Invoke returning a complex object: echo a nested JSON input."""
from lambda_durable import DurableContext, durable_execution

from . import ECHO


@durable_execution
def handler(event: dict, context: DurableContext) -> object:
    return context.invoke(ECHO, event)
