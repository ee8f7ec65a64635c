"""5-9: Invoke replay skips: invoke, then wait 1 s; the invoke result is replayed from history."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration

from . import ECHO


@durable_execution
def handler(event: object, context: DurableContext) -> object:
    result = context.invoke(ECHO, {"value": 42})
    context.wait(Duration.from_seconds(1))
    return result
