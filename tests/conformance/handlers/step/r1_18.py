"""1-18: Step with AT_MOST_ONCE_PER_RETRY semantics and a retry strategy (succeeds on the
second attempt).

The step logs the input through ``step_context.logger`` every time it runs; its first attempt
crashes the process (``os._exit(1)``) after its START was checkpointed. The next invocation
finds the step STARTED: ``StepInterruptedError`` goes to the retry strategy, which retries
(RETRY, then a suspension); the second attempt, in the invocation after that, succeeds.
"""
import os

from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import Duration, JitterStrategy, StepConfig, StepSemantics
from lambda_durable.retries import RetryStrategyConfig, create_retry_strategy

RETRY = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=3,
        initial_delay=Duration.from_seconds(1),
        jitter_strategy=JitterStrategy.NONE,
    )
)


@durable_step
def at_most_once_flaky_step(step_context: StepContext, value: str) -> str:
    step_context.logger.info(f"at-most-once step attempt {step_context.attempt} with input {value}")
    if step_context.attempt == 1:
        os._exit(1)  # a Lambda runtime crash in the middle of the first attempt
    return "succeeded on second attempt"


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.step(
        at_most_once_flaky_step(event),
        config=StepConfig(
            retry_strategy=RETRY,
            step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
        ),
    )
