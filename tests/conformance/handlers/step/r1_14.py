"""1-14: Retry with custom config (initial delay and backoff).

A step that fails twice, then succeeds, with ``create_retry_strategy(max_attempts=5,
initial_delay=2 s, backoff_rate=3, jitter NONE)``: delays 2 s, then 6 s. The requirement tracks
attempts in a table; ``step_context.attempt`` carries the same count durably.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import Duration, JitterStrategy, StepConfig
from lambda_durable.retries import RetryStrategyConfig, create_retry_strategy

RETRY = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=5,
        initial_delay=Duration.from_seconds(2),
        backoff_rate=3,
        jitter_strategy=JitterStrategy.NONE,
    )
)


@durable_step
def flaky(step_context: StepContext) -> str:
    if step_context.attempt < 3:
        raise RuntimeError(f"attempt {step_context.attempt} failed")
    return f"succeeded on attempt {step_context.attempt}"


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    return context.step(flaky(), config=StepConfig(retry_strategy=RETRY))
