"""9-19: Map with an operation-level (whole-result) serdes.

``context.map`` named "op-serde" over ``["x", "y"]``, ``max_concurrency=1``, with
``serdes=OpSerDes()`` for the whole BatchResult (``"OPSERDE:" + ",".join(results)``, decoded back
into a BatchResult of SUCCEEDED items) and ``item_serdes=ExtendedTypeSerDes()`` so the items keep
the default serializer. Returns ``["X", "Y"]``.
"""
from lambda_durable import BatchResult, DurableContext, SerDesError, durable_execution
from lambda_durable.config import MapConfig
from lambda_durable.serdes import ExtendedTypeSerDes, SerDes, SerDesContext

PREFIX = "OPSERDE:"


class OpSerDes(SerDes[BatchResult]):
    """A BatchResult of SUCCEEDED string items <-> ``"OPSERDE:<r0>,<r1>,..."``."""

    def serialize(self, value: BatchResult, serdes_context: SerDesContext) -> str:
        return PREFIX + ",".join(value.get_results())

    def deserialize(self, data: str, serdes_context: SerDesContext) -> BatchResult:
        if not data.startswith(PREFIX):
            raise SerDesError(f"not an OPSERDE payload: {data!r}")
        body = data[len(PREFIX):]
        results = body.split(",") if body else []
        return BatchResult.from_dict(
            {
                "all": [
                    {"index": i, "status": "SUCCEEDED", "result": r, "error": None}
                    for i, r in enumerate(results)
                ],
                "completionReason": "ALL_COMPLETED",
            }
        )


def upper(ctx: DurableContext, item: str, index: int, items: list) -> str:
    return item.upper()


@durable_execution
def handler(event: object, context: DurableContext) -> list:
    result = context.map(
        ["x", "y"],
        upper,
        name="op-serde",
        config=MapConfig(max_concurrency=1, serdes=OpSerDes(), item_serdes=ExtendedTypeSerDes()),
    )
    return result.get_results()
