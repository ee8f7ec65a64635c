"""2-2: Wait with name.

``context.wait(Duration.from_seconds(2), name="custom_wait_name")``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration


@durable_execution
def handler(event: object, context: DurableContext) -> None:
    context.wait(Duration.from_seconds(2), name="custom_wait_name")
