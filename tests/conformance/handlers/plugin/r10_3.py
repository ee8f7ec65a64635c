"""10-3: Plugin attempt hooks under retry.

A step that fails on attempt 1 and succeeds on attempt 2 (1-second retry delay); the plugin
prints ``attempt-start`` / ``attempt-end`` (user-function hooks) for step operations with the
attempt number, the outcome and the operation id.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import StepConfig
from lambda_durable.plugin import OperationType

from ._plugins import RETRY_1S, Factory, RecordingPlugin


class AttemptPlugin(RecordingPlugin):
    def on_user_function_start(self, info):
        if info.operation_type is OperationType.STEP:
            self.emit("attempt-start", n=info.attempt, op=info.operation_id)

    def on_user_function_end(self, info):
        if info.operation_type is OperationType.STEP:
            self.emit(
                "attempt-end", n=info.attempt, outcome=info.outcome.value, op=info.operation_id
            )


@durable_step
def unreliable_func(step_context: StepContext) -> str:
    if step_context.attempt == 1:
        raise RuntimeError("first attempt fails")
    return "Operation succeeded"


@durable_execution(plugins=[Factory(AttemptPlugin)])
def handler(event: object, context: DurableContext) -> str:
    return context.step(unreliable_func(), config=StepConfig(retry_strategy=RETRY_1S))
