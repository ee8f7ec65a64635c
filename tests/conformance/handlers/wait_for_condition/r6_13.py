"""6-13: two sequential wait_for_condition operations: 0 -> 2, then 2 -> 4."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.waits import WaitForConditionConfig

from . import counter_strategy, increment


@durable_execution
def handler(event: object, context: DurableContext) -> int:
    first = context.wait_for_condition(
        increment, WaitForConditionConfig(wait_strategy=counter_strategy(2), initial_state=0)
    )
    return context.wait_for_condition(
        increment, WaitForConditionConfig(wait_strategy=counter_strategy(4), initial_state=first)
    )
