"""10-19: Invocation hook info field shape.

A 2-second wait, then ``"done-" + input``; the plugin prints a canonical dump of each invocation
hook's own info (map fields as counts, timestamps ISO-8601, the error as its message, unset
fields omitted) plus ``terminal``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration

from ._plugins import TERMINAL, Factory, RecordingPlugin, compact, iso


class ShapePlugin(RecordingPlugin):
    def on_invocation_start(self, info):
        self.capture(info)
        self.emit(
            "invocation-start",
            **compact(
                {
                    "isFirstInvocation": info.is_first_invocation,
                    "requestId": info.request_id,
                    "operationsCount": len(info.operations),
                    "updatedOperationsCount": len(info.updated_operations),
                    "executionStartTimestamp": iso(info.execution_start_time),
                }
            ),
        )

    def on_invocation_end(self, info):
        self.emit(
            "invocation-end",
            **compact(
                {
                    "isFirstInvocation": info.is_first_invocation,
                    "requestId": info.request_id,
                    "operationsCount": len(info.operations),
                    "executionStartTimestamp": iso(info.execution_start_time),
                    "status": info.status.value,
                    "terminal": info.status.value in TERMINAL,
                    "executionError": info.error.message if info.error is not None else None,
                }
            ),
        )


@durable_execution(plugins=[Factory(ShapePlugin)])
def handler(event: str, context: DurableContext) -> str:
    context.wait(Duration.from_seconds(2))
    return f"done-{event}"
