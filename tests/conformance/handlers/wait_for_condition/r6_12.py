"""6-12: wait_for_condition (0 -> input 2) whose result feeds a step multiplying it by 10."""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.waits import WaitForConditionConfig

from . import counter_strategy, increment


@durable_step
def times_ten(step_context: StepContext, value: int) -> int:
    return value * 10


@durable_execution
def handler(event: int, context: DurableContext) -> int:
    state = context.wait_for_condition(
        increment, WaitForConditionConfig(wait_strategy=counter_strategy(event), initial_state=0)
    )
    return context.step(times_ten(state))
