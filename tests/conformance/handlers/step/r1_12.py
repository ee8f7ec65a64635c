"""1-12: Retry exhaustion (max attempts).

A step that always fails, with a strategy allowing 4 attempts 1 second apart (no jitter): three
RETRYs, then the fourth failure is final and the execution fails.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import Duration, JitterStrategy, StepConfig
from lambda_durable.retries import RetryStrategyConfig, create_retry_strategy

RETRY = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=4,
        initial_delay=Duration.from_seconds(1),
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )
)


@durable_step
def always_fail(step_context: StepContext) -> str:
    raise RuntimeError(f"attempt {step_context.attempt} failed")


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    return context.step(always_fail(), config=StepConfig(retry_strategy=RETRY))
