"""6-4: wait_for_condition with initial state 5, counting to the input threshold (8)."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.waits import WaitForConditionConfig

from . import counter_strategy, increment


@durable_execution
def handler(event: int, context: DurableContext) -> int:
    return context.wait_for_condition(
        increment, WaitForConditionConfig(wait_strategy=counter_strategy(event), initial_state=5)
    )
