"""10-6: Plugin first-invocation flag across replay.

A single 2-second wait; the plugin prints ``invocation-start`` with ``first`` and
``invocation-end`` with the status (first invocation true, the replay after the wait false).
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration

from ._plugins import Factory, RecordingPlugin


class LifecyclePlugin(RecordingPlugin):
    def on_invocation_start(self, info):
        self.capture(info)
        self.emit("invocation-start", first=info.is_first_invocation)

    def on_invocation_end(self, info):
        self.emit("invocation-end", status=info.status.value)


@durable_execution(plugins=[Factory(LifecyclePlugin)])
def handler(event: object, context: DurableContext) -> None:
    context.wait(Duration.from_seconds(2))
