"""6-11: wait_for_condition with a custom state serdes: the string state is encoded on every
checkpoint and decoded on resume; the check appends ``x`` until the length is 2."""
import base64

from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration, JitterStrategy
from lambda_durable.serdes import SerDes, SerDesContext
from lambda_durable.waits import WaitForConditionConfig, WaitStrategyConfig, create_wait_strategy


class Base64StateSerDes(SerDes[str]):
    """Stores the state string base64-encoded, with a marker prefix."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return "b64:" + base64.b64encode(value.encode()).decode()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        if not data.startswith("b64:"):
            raise ValueError(f"not an encoded state: {data!r}")
        return base64.b64decode(data[4:]).decode()


STRATEGY = create_wait_strategy(
    WaitStrategyConfig(
        should_continue_polling=lambda state: len(state) < 2,
        initial_delay=Duration.from_seconds(1),
        max_delay=Duration.from_seconds(1),
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )
)


def append_x(state: str, check_context: object) -> str:
    return state + "x"


@durable_execution
def handler(event: object, context: DurableContext) -> str:
    return context.wait_for_condition(
        append_x,
        WaitForConditionConfig(wait_strategy=STRATEGY, initial_state="", serdes=Base64StateSerDes()),
    )
