"""1-17: Step with AT_MOST_ONCE_PER_RETRY semantics, interrupted, no retry.

The step (``at_most_once_flaky_step``, no retry: ``RetryPresets.none()``) logs the input through
``step_context.logger`` and then the process crashes (``os._exit(1)``) after its START was
checkpointed (synchronously, per AT_MOST_ONCE). The next invocation finds the step STARTED: the
interrupted attempt is not re-run; ``StepInterruptedError`` goes to the strategy, which does not
retry, so the step FAILs and the execution fails. The input is logged once.
"""
import os

from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import StepConfig, StepSemantics
from lambda_durable.retries import RetryPresets


@durable_step
def at_most_once_flaky_step(step_context: StepContext, value: str) -> str:
    step_context.logger.info(f"at-most-once step running with input {value}")
    os._exit(1)  # a Lambda runtime crash in the middle of the attempt


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.step(
        at_most_once_flaky_step(event),
        config=StepConfig(
            retry_strategy=RetryPresets.none(),
            step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
        ),
    )
