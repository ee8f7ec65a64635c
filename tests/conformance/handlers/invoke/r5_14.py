"""5-14: Two sequential invokes, each suspending and resuming."""
from lambda_durable import DurableContext, durable_execution

from . import ECHO, TENANT_ECHO


@durable_execution
def handler(event: object, context: DurableContext) -> object:
    first = context.invoke(ECHO, {"call": 1})
    second = context.invoke(TENANT_ECHO, {"call": 2})
    return [first, second]
