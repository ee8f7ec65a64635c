"""2-3: Multiple sequential waits.

Two 2-second waits, ``wait-1`` then ``wait-2``, each suspending the execution; returns
``{"completedWaits": 2}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    context.wait(Duration.from_seconds(2), name="wait-1")
    context.wait(Duration.from_seconds(2), name="wait-2")
    return {"completedWaits": 2}
