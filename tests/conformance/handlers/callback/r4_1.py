"""4-1: Create callback basic (success via external callback).

Creates a callback named after the input, blocks on its result and returns it (the raw string the
external system sent, the default pass-through serdes).
"""
from lambda_durable import DurableContext, durable_execution


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    callback = context.create_callback(name=event)
    return callback.result()
