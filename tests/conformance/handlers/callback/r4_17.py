"""4-17: Two callbacks, sequential: create A, wait for A, create B, wait for B, return both."""
from lambda_durable import DurableContext, durable_execution


@durable_execution
def handler(event: list, context: DurableContext) -> list:
    callback_a = context.create_callback(name=event[0])
    result_a = callback_a.result()
    callback_b = context.create_callback(name=event[1])
    result_b = callback_b.result()
    return [result_a, result_b]
