"""4-19: Two callbacks: create A, create B, wait for B first, then A, return both."""
from lambda_durable import DurableContext, durable_execution


@durable_execution
def handler(event: list, context: DurableContext) -> list:
    callback_a = context.create_callback(name=event[0])
    callback_b = context.create_callback(name=event[1])
    result_b = callback_b.result()
    result_a = callback_a.result()
    return [result_a, result_b]
