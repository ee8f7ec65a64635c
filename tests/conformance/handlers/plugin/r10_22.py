"""10-22: Operation-change hook info field shape.

A step named "greet" returning "task-a"; for each step operation in a change notification's
updated operations the plugin prints a canonical dump of that item plus the notification's
``executionArn``, map sizes and ``inFullMap``.
"""
from lambda_durable import DurableContext, StepContext, durable_execution
from lambda_durable.plugin import OperationType

from ._plugins import Factory, RecordingPlugin, dump_operation


class ChangeShapePlugin(RecordingPlugin):
    def on_operation_change(self, info):
        for op_id, item in info.updated_operations.items():
            if item.operation_type is OperationType.STEP:
                self.emit(
                    "operation-change",
                    executionArn=info.execution_arn,
                    updatedOperationsCount=len(info.updated_operations),
                    operationsCount=len(info.operations),
                    inFullMap=op_id in info.operations,
                    **dump_operation(item),
                )


def greet(step_context: StepContext) -> str:
    return "task-a"


@durable_execution(plugins=[Factory(ChangeShapePlugin)])
def handler(event: object, context: DurableContext) -> str:
    return context.step(greet, name="greet")
