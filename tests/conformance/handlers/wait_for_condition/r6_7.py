"""6-7: wait_for_condition whose check raises on the first attempt (uncaught): StepFailed, the
execution fails."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.waits import WaitForConditionConfig

from . import counter_strategy


class CheckFailure(Exception):
    """What the check raises."""


def failing_check(state: int, check_context: object) -> int:
    raise CheckFailure("check function failed")


@durable_execution
def handler(event: object, context: DurableContext) -> int:
    return context.wait_for_condition(
        failing_check, WaitForConditionConfig(wait_strategy=counter_strategy(3), initial_state=0)
    )
