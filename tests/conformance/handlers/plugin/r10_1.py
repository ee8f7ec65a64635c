"""10-1: Plugin invocation lifecycle hooks.

One step returning a greeting (its body logs ``Greeting step running for: <input>``); the plugin
(a 3.x factory) prints ``invocation-start`` with ``first`` and ``invocation-end`` with the status.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step

from ._plugins import Factory, RecordingPlugin


class LifecyclePlugin(RecordingPlugin):
    def on_invocation_start(self, info):
        self.capture(info)
        self.emit("invocation-start", first=info.is_first_invocation)

    def on_invocation_end(self, info):
        self.emit("invocation-end", status=info.status.value)


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    step_context.logger.info(f"Greeting step running for: {name}")
    return f"Hello, {name}!"


@durable_execution(plugins=[Factory(LifecyclePlugin)])
def handler(event: str, context: DurableContext) -> str:
    return context.step(greet(event))
