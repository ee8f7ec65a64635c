"""10-8: Plugin operation-change hook.

One step returning a greeting; for every step operation in a change notification's updated
operations the plugin prints ``operation-change`` with its id, status and whether the full
operation map holds it too.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.plugin import OperationType

from ._plugins import Factory, RecordingPlugin


class ChangePlugin(RecordingPlugin):
    def on_operation_change(self, info):
        for op_id, item in info.updated_operations.items():
            if item.operation_type is OperationType.STEP:
                self.emit(
                    "operation-change",
                    op=op_id,
                    status=item.status.value,
                    in_full_map=op_id in info.operations,
                )


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


@durable_execution(plugins=[Factory(ChangePlugin)])
def handler(event: str, context: DurableContext) -> str:
    return context.step(greet(event))
