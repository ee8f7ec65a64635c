"""10-17: A faulty plugin does not affect a healthy plugin.

One step returning a greeting; two plugins in order: a faulty one whose every hook prints and
raises, then a healthy one printing the lifecycle records. Each faulty hook's failure is
contained and the healthy plugin still gets every hook once.
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.plugin import OperationType

from ._plugins import Factory, RecordingPlugin


def _is_step(info) -> bool:
    return info.operation_type is OperationType.STEP


class FaultyPlugin(RecordingPlugin):
    label = "CONFPLUGIN-FAULTY"

    def fail(self, hook: str) -> None:
        self.emit(hook)
        raise RuntimeError(f"{self.label} {hook} hook failure")

    def on_invocation_start(self, info):
        self.capture(info)
        self.fail("invocation-start")

    def on_invocation_end(self, info):
        self.fail("invocation-end")

    def on_operation_start(self, info):
        if _is_step(info):
            self.fail("operation-start")

    def on_operation_end(self, info):
        if _is_step(info):
            self.fail("operation-end")

    def on_user_function_start(self, info):
        if _is_step(info):
            self.fail("attempt-start")

    def on_user_function_end(self, info):
        if _is_step(info):
            self.fail("attempt-end")


class HealthyPlugin(RecordingPlugin):
    label = "CONFPLUGIN-HEALTHY"

    def on_invocation_start(self, info):
        self.capture(info)
        self.emit("invocation-start", first=info.is_first_invocation)

    def on_invocation_end(self, info):
        self.emit("invocation-end", status=info.status.value)

    def on_operation_start(self, info):
        if _is_step(info):
            self.emit("operation-start", op=info.operation_id)

    def on_operation_end(self, info):
        if _is_step(info):
            self.emit("operation-end", op=info.operation_id, status=info.status.value)

    def on_user_function_start(self, info):
        if _is_step(info):
            self.emit("attempt-start", op=info.operation_id)

    def on_user_function_end(self, info):
        if _is_step(info):
            self.emit("attempt-end", op=info.operation_id, outcome=info.outcome.value)


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


@durable_execution(plugins=[Factory(FaultyPlugin), Factory(HealthyPlugin)])
def handler(event: str, context: DurableContext) -> str:
    return context.step(greet(event))
