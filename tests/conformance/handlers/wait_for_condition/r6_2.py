"""6-2: wait_for_condition immediate stop: initial state 5, the check keeps it, the condition
(state >= input 5) holds on the first check, so nothing suspends."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.waits import WaitForConditionConfig

from . import counter_strategy


def unchanged(state: int, check_context: object) -> int:
    return state


@durable_execution
def handler(event: int, context: DurableContext) -> int:
    return context.wait_for_condition(
        unchanged, WaitForConditionConfig(wait_strategy=counter_strategy(event), initial_state=5)
    )
