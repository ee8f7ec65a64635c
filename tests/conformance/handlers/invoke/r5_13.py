"""5-13: Invoke inside a child context; the child returns the invoke result."""
from lambda_durable import DurableContext, durable_execution

from . import ECHO


@durable_execution
def handler(event: object, context: DurableContext) -> object:
    return context.run_in_child_context(lambda child: child.invoke(ECHO, {"value": 1}))
