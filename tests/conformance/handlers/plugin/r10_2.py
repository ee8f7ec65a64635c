"""10-2: Plugin operation lifecycle hooks.

One step returning a greeting; the plugin prints ``operation-start`` and ``operation-end`` (with
the status) for step operations, with the operation id from the hook's info.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.plugin import OperationType

from ._plugins import Factory, RecordingPlugin


class OperationPlugin(RecordingPlugin):
    def on_operation_start(self, info):
        if info.operation_type is OperationType.STEP:
            self.emit("operation-start", op=info.operation_id)

    def on_operation_end(self, info):
        if info.operation_type is OperationType.STEP:
            self.emit("operation-end", op=info.operation_id, status=info.status.value)


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


@durable_execution(plugins=[Factory(OperationPlugin)])
def handler(event: str, context: DurableContext) -> str:
    return context.step(greet(event))
