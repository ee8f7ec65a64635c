"""10-16: Plugin invocation-end on suspension.

A single 2-second wait; the plugin prints ``invocation-start`` with ``first`` and
``invocation-end`` with ``first`` (from the end info itself), ``terminal`` (status SUCCEEDED or
FAILED) and the status: the suspending first invocation ends PENDING, the replay SUCCEEDED.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration

from ._plugins import TERMINAL, Factory, RecordingPlugin


class SuspensionPlugin(RecordingPlugin):
    def on_invocation_start(self, info):
        self.capture(info)
        self.emit("invocation-start", first=info.is_first_invocation)

    def on_invocation_end(self, info):
        self.emit(
            "invocation-end",
            first=info.is_first_invocation,
            terminal=info.status.value in TERMINAL,
            status=info.status.value,
        )


@durable_execution(plugins=[Factory(SuspensionPlugin)])
def handler(event: object, context: DurableContext) -> None:
    context.wait(Duration.from_seconds(2))
