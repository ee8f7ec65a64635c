"""9-14: Map with a custom per-item serdes.

``context.map`` named "serdes" over ``["x", "y"]``, ``max_concurrency=1`` and
``item_serdes=WrappedSerDes()``, a non-identity serdes writing ``"wrapped:<value>"``; each item
returns its uppercased item, which is checkpointed as ``wrapped:X`` / ``wrapped:Y`` and read
back as ``"X"`` / ``"Y"``.
"""
from lambda_durable import DurableContext, SerDesError, durable_execution
from lambda_durable.config import MapConfig
from lambda_durable.serdes import SerDes, SerDesContext

PREFIX = "wrapped:"


class WrappedSerDes(SerDes[str]):
    """``"X"`` <-> ``"wrapped:X"``."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return PREFIX + value

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        if not data.startswith(PREFIX):
            raise SerDesError(f"not a wrapped value: {data!r}")
        return data[len(PREFIX):]


def upper(ctx: DurableContext, item: str, index: int, items: list) -> str:
    return item.upper()


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.map(
        ["x", "y"],
        upper,
        name="serdes",
        config=MapConfig(max_concurrency=1, item_serdes=WrappedSerDes()),
    )
    return result.get_results()
