"""3-7: Child context with step retry (fails, then succeeds).

The child's step fails on its first attempt and succeeds on its second (1-second retry, no
jitter), returning the input; the child returns it.
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
        max_attempts=3,
        initial_delay=Duration.from_seconds(1),
        jitter_strategy=JitterStrategy.NONE,
    )
)


@durable_step
def flaky(step_context: StepContext, value: str) -> str:
    if step_context.attempt == 1:
        raise RuntimeError("first attempt fails")
    return value


@durable_with_child_context
def child(ctx: DurableContext, value: str) -> str:
    return ctx.step(flaky(value), config=StepConfig(retry_strategy=RETRY))


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.run_in_child_context(child(event))
