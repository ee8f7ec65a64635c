"""4-6: Create callback failure (external system reports failure, not caught).

``result()`` raises ``CallbackExternalError`` carrying the external error; the handler lets it
propagate, so the execution fails.
"""
from lambda_durable import DurableContext, durable_execution


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    callback = context.create_callback(name=event)
    return callback.result()
