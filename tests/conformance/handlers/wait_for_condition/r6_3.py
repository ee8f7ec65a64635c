"""6-3: wait_for_condition named ``poll-status``: count from 0 to the input (2)."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.waits import WaitForConditionConfig

from . import counter_strategy, increment


@durable_execution
def handler(event: int, context: DurableContext) -> int:
    return context.wait_for_condition(
        increment,
        WaitForConditionConfig(wait_strategy=counter_strategy(event), initial_state=0),
        name="poll-status",
    )
