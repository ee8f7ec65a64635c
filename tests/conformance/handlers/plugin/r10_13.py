"""10-13: Plugin replay flag on operation-start.

Step A succeeds; step B fails on attempt 1 and succeeds on attempt 2 (1-second retry delay).
The plugin prints ``operation-start`` with the ``replay`` flag and ``operation-end`` with the
status for step operations. On the retry invocation step A is terminal (no start) and step B
is reported as replayed.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import StepConfig
from lambda_durable.plugin import OperationType

from ._plugins import RETRY_1S, Factory, RecordingPlugin


class ReplayPlugin(RecordingPlugin):
    def on_operation_start(self, info):
        if info.operation_type is OperationType.STEP:
            self.emit("operation-start", op=info.operation_id, replay=info.is_replayed)

    def on_operation_end(self, info):
        if info.operation_type is OperationType.STEP:
            self.emit("operation-end", op=info.operation_id, status=info.status.value)


@durable_step
def step_a(step_context: StepContext) -> str:
    return "step A done"


@durable_step
def step_b(step_context: StepContext) -> str:
    if step_context.attempt == 1:
        raise RuntimeError("first attempt fails")
    return "Operation succeeded"


@durable_execution(plugins=[Factory(ReplayPlugin)])
def handler(event: object, context: DurableContext) -> str:
    context.step(step_a())
    return context.step(step_b(), config=StepConfig(retry_strategy=RETRY_1S))
