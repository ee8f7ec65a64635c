"""10-14: Plugin operation-end payload semantics.

Step A returns "task-a"; step B raises "boom" with no retries (the execution fails). The plugin
prints ``operation-end`` for step operations with the status, the checkpointed serialized result
and the error message (``NONE`` when absent).
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import StepConfig
from lambda_durable.plugin import OperationType

from ._plugins import NO_RETRY, Factory, RecordingPlugin


class PayloadPlugin(RecordingPlugin):
    def on_operation_end(self, info):
        if info.operation_type is OperationType.STEP:
            self.emit(
                "operation-end",
                op=info.operation_id,
                status=info.status.value,
                result=info.result if info.result is not None else "NONE",
                error=info.error.message if info.error is not None else "NONE",
            )


@durable_step
def step_a(step_context: StepContext) -> str:
    return "task-a"


@durable_step
def step_b(step_context: StepContext) -> str:
    raise RuntimeError("boom")


@durable_execution(plugins=[Factory(PayloadPlugin)])
def handler(event: object, context: DurableContext) -> str:
    context.step(step_a())
    return context.step(step_b(), config=StepConfig(retry_strategy=NO_RETRY))
