"""5-7: Invoke with a large payload (near the 1 MiB chained-invoke input limit)."""
from lambda_durable import DurableContext, durable_execution

from . import LENGTH

#: Characters of the payload string: its JSON form (plus quotes) stays just under 1 MiB.
PAYLOAD_SIZE = 1_048_576 - 1024


@durable_execution
def handler(event: object, context: DurableContext) -> object:
    return context.invoke(LENGTH, "x" * PAYLOAD_SIZE)
