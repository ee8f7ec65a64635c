"""2-1: Wait basic.

A single wait of 2 seconds (the ``Duration`` the expected ``WaitStarted``/``WaitSucceeded``
carry): ``context.wait(Duration.from_seconds(2))``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration


@durable_execution
def handler(event: object, context: DurableContext) -> None:
    context.wait(Duration.from_seconds(2))
