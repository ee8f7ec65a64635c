"""10-9: Plugin observes an externally updated operation on re-invocation.

A single 2-second wait; from ``on_invocation_start`` the plugin prints ``updated-on-invoke`` for
every wait in the info's ``updated_operations`` (operations changed while suspended).
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration
from lambda_durable.plugin import OperationType

from ._plugins import Factory, RecordingPlugin


class UpdatedPlugin(RecordingPlugin):
    def on_invocation_start(self, info):
        self.capture(info)
        for op_id, item in info.updated_operations.items():
            if item.operation_type is OperationType.WAIT:
                self.emit(
                    "updated-on-invoke",
                    op=op_id,
                    status=item.status.value,
                    first=info.is_first_invocation,
                )


@durable_execution(plugins=[Factory(UpdatedPlugin)])
def handler(event: object, context: DurableContext) -> None:
    context.wait(Duration.from_seconds(2))
