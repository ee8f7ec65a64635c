"""3-8: Child context with step retry exhaustion (the child fails).

The child's step always fails; its strategy allows 2 attempts (1-second delay, no jitter). After
the second failure the step FAILs, the child context FAILs, and so does the execution.
"""
from lambda_durable import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from lambda_durable.config import Duration, JitterStrategy, StepConfig
from lambda_durable.retries import RetryStrategyConfig, create_retry_strategy

RETRY = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=2,
        initial_delay=Duration.from_seconds(1),
        jitter_strategy=JitterStrategy.NONE,
    )
)


@durable_step
def always_fail(step_context: StepContext) -> str:
    raise RuntimeError(f"attempt {step_context.attempt} failed")


@durable_with_child_context
def child(ctx: DurableContext) -> str:
    return ctx.step(always_fail(), config=StepConfig(retry_strategy=RETRY))


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    return context.run_in_child_context(child())
