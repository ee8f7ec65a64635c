"""10-21: Attempt hook info field shape.

A step named "flaky" that raises on attempt 1 and returns "ok" on attempt 2 (1-second retry
delay); the plugin prints a canonical dump of each step user-function hook's own info.
"""
from lambda_durable import DurableContext, StepContext, durable_execution
from lambda_durable.config import StepConfig
from lambda_durable.plugin import OperationType

from ._plugins import RETRY_1S, Factory, RecordingPlugin, dump_operation


class AttemptShapePlugin(RecordingPlugin):
    def on_user_function_start(self, info):
        if info.operation_type is OperationType.STEP:
            self.emit("attempt-start", **dump_operation(info))

    def on_user_function_end(self, info):
        if info.operation_type is OperationType.STEP:
            self.emit("attempt-end", **dump_operation(info))


def flaky(step_context: StepContext) -> str:
    if step_context.attempt == 1:
        raise RuntimeError("attempt 1 fails")
    return "ok"


@durable_execution(plugins=[Factory(AttemptShapePlugin)])
def handler(event: object, context: DurableContext) -> str:
    return context.step(flaky, name="flaky", config=StepConfig(retry_strategy=RETRY_1S))
