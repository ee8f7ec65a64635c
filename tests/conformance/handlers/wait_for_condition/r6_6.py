"""6-6: wait_for_condition exhausting a fixed-delay strategy of 3 attempts: the condition never
holds, the third check raises max-attempts-exceeded (StepFailed), the execution fails."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration, JitterStrategy
from lambda_durable.waits import WaitForConditionConfig, WaitStrategyConfig, create_wait_strategy

from . import increment

STRATEGY = create_wait_strategy(
    WaitStrategyConfig(
        should_continue_polling=lambda state: True,
        max_attempts=3,
        initial_delay=Duration.from_seconds(2),
        max_delay=Duration.from_seconds(2),
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )
)


@durable_execution
def handler(event: int, context: DurableContext) -> int:
    return context.wait_for_condition(
        increment, WaitForConditionConfig(wait_strategy=STRATEGY, initial_state=event or 0)
    )
