"""2-4: Wait with a different duration unit.

``context.wait(Duration.from_minutes(1))``: checkpointed as 60 seconds (an async requirement
checked on history only).
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration


@durable_execution
def handler(event: object, context: DurableContext) -> None:
    context.wait(Duration.from_minutes(1))
