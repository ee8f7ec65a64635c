"""4-16: Callback with a custom serdes that parses the payload into a number.

The external system sends ``42`` (body ``"42"``); the serdes turns it into the int 42 and the
handler returns ``{"count": 42, "doubled": 84}``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import CallbackConfig
from lambda_durable.serdes import SerDes, SerDesContext


class NumberSerDes(SerDes[int]):
    """A number as its decimal text."""

    def serialize(self, value: int, serdes_context: SerDesContext) -> str:
        return str(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> int:
        number = float(data)
        return int(number) if number.is_integer() else number


@durable_execution
def handler(event: str, context: DurableContext) -> dict:
    callback = context.create_callback(name=event, config=CallbackConfig(serdes=NumberSerDes()))
    count = callback.result()
    return {"count": count, "doubled": count * 2}
