"""1-11: Step with retry (fails, then succeeds).

The first attempt raises; the retry strategy (1-second delays, no jitter) retries it and the
second attempt, in the next invocation, returns ``"Operation succeeded"``. The attempt number
comes from ``step_context.attempt``.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import Duration, JitterStrategy, StepConfig
from lambda_durable.retries import RetryStrategyConfig, create_retry_strategy

RETRY = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=3,
        initial_delay=Duration.from_seconds(1),
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )
)


@durable_step
def unreliable_func(step_context: StepContext) -> str:
    if step_context.attempt == 1:
        raise RuntimeError("first attempt fails")
    return "Operation succeeded"


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    return context.step(unreliable_func(), config=StepConfig(retry_strategy=RETRY))
