"""6-8: wait_for_condition whose check raises; the handler catches the error and returns
``"recovered"``."""
from lambda_durable import DurableContext, WaitForConditionError, durable_execution
from lambda_durable.waits import WaitForConditionConfig

from . import counter_strategy


class CheckFailure(Exception):
    """What the check raises."""


def failing_check(state: int, check_context: object) -> int:
    raise CheckFailure("check function failed")


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    try:
        return context.wait_for_condition(
            failing_check,
            WaitForConditionConfig(wait_strategy=counter_strategy(3), initial_state=0),
        )
    except WaitForConditionError:
        return "recovered"
