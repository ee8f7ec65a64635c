"""6-9: wait_for_condition threading an object state ``{status, attempts}`` until DONE."""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration, JitterStrategy
from lambda_durable.waits import WaitForConditionConfig, WaitStrategyConfig, create_wait_strategy

STRATEGY = create_wait_strategy(
    WaitStrategyConfig(
        should_continue_polling=lambda state: state["status"] == "PENDING",
        initial_delay=Duration.from_seconds(1),
        max_delay=Duration.from_seconds(1),
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )
)


def check(state: dict, check_context: object) -> dict:
    attempts = state["attempts"] + 1
    return {"status": "DONE" if attempts >= 2 else "PENDING", "attempts": attempts}


@durable_execution
def handler(event: object, context: DurableContext) -> dict:
    return context.wait_for_condition(
        check,
        WaitForConditionConfig(
            wait_strategy=STRATEGY, initial_state={"status": "PENDING", "attempts": 0}
        ),
    )
