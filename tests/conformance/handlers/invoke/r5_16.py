"""5-16: Invoke with a custom result serdes that uppercases the result string.

The custom deserializer uppercases the raw result payload as received (the echoed JSON text
``"hello"``, quotes included), so the handler returns the string ``'"HELLO"'``: the expected
``Result: '"HELLO"'`` is compared with the JSON-decoded execution result (protocol.md 9.5).
"""
import json

from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import InvokeConfig
from lambda_durable.serdes import SerDes, SerDesContext

from . import ECHO


class UppercaseResultSerDes(SerDes[str]):
    """JSON on the wire; deserializing uppercases the payload text itself."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data.upper()


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.invoke(ECHO, event, config=InvokeConfig(serdes_result=UppercaseResultSerDes()))
