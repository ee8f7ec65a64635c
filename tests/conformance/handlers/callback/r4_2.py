"""4-2: Create callback with an explicit name ("approval"), blocks on its result and returns it."""
from lambda_durable import DurableContext, durable_execution


@durable_execution
def handler(event: object, context: DurableContext) -> str | None:
    callback = context.create_callback(name="approval")
    return callback.result()
