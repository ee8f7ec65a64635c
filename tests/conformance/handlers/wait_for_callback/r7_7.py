"""7-7: wait_for_callback whose submitter always raises; the submitter's retry strategy allows 2
attempts with a 1-second delay, then the operation (and the execution) fails."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration, JitterStrategy, WaitForCallbackConfig
from lambda_durable.retries import RetryStrategyConfig, create_retry_strategy
from lambda_durable.types import WaitForCallbackContext


class SubmitError(Exception):
    """The submitter's failure."""


def submit(callback_id: str, ctx: WaitForCallbackContext) -> None:
    raise SubmitError(f"could not submit {callback_id}")


RETRY = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=2,
        initial_delay=Duration.from_seconds(1),
        max_delay=Duration.from_seconds(1),
        backoff_rate=1.0,
        jitter_strategy=JitterStrategy.NONE,
    )
)


@durable_execution
def handler(event: str, context: DurableContext) -> str | None:
    return context.wait_for_callback(
        submit, name=event, config=WaitForCallbackConfig(retry_strategy=RETRY)
    )
