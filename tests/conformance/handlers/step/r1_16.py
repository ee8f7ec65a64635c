"""1-16: Retry a specific exception (a non-retryable one fails at once).

The step raises ``TransientError``; the step's retry strategy does not retry that type, so the
step fails permanently on its first attempt (ErrorType = the class's qualified name).
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import StepConfig
from lambda_durable.retries import RetryDecision


class TransientError(Exception):
    """The error the strategy refuses to retry."""


def no_retry_on_transient_error(error: Exception, attempts_made: int) -> RetryDecision:
    if isinstance(error, TransientError) or attempts_made >= 3:
        return RetryDecision.no_retry()
    return RetryDecision.retry(1)


@durable_step
def func(step_context: StepContext) -> str:
    raise TransientError("transient failure")


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    return context.step(func(), config=StepConfig(retry_strategy=no_retry_on_transient_error))
