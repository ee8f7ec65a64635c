"""10-7: Plugin sees terminal failure.

A step that always raises, with no retries: the execution fails and the plugin's
``invocation-end`` reports FAILED.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import StepConfig

from ._plugins import NO_RETRY, Factory, RecordingPlugin


class LifecyclePlugin(RecordingPlugin):
    def on_invocation_start(self, info):
        self.capture(info)
        self.emit("invocation-start", first=info.is_first_invocation)

    def on_invocation_end(self, info):
        self.emit("invocation-end", status=info.status.value)


@durable_step
def failing_func(step_context: StepContext) -> str:
    raise RuntimeError("the step always fails")


@durable_execution(plugins=[Factory(LifecyclePlugin)])
def handler(event: object, context: DurableContext) -> str:
    return context.step(failing_func(), config=StepConfig(retry_strategy=NO_RETRY))
