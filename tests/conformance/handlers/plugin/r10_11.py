"""10-11: Plugin parent linkage for nested operations.

A child context running one step that returns a greeting; the plugin prints ``operation-end``
for every operation with its id, parent id (``NONE`` when absent) and status.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step

from ._plugins import Factory, RecordingPlugin, parent


class ParentPlugin(RecordingPlugin):
    def on_operation_end(self, info):
        self.emit(
            "operation-end", op=info.operation_id, parent=parent(info), status=info.status.value
        )


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


@durable_execution(plugins=[Factory(ParentPlugin)])
def handler(event: str, context: DurableContext) -> str:
    return context.run_in_child_context(lambda child: child.step(greet(event)))
