"""5-4: Invoke returning null: echo ``None``."""
from lambda_durable import DurableContext, durable_execution

from . import ECHO


@durable_execution
def handler(event: object, context: DurableContext) -> object:
    return context.invoke(ECHO, None)
