"""10-4: Plugin error isolation.

One step returning a greeting; every hook of the plugin prints its record and then raises. The
SDK contains every failure: result and history are those of a run without the plugin. The plugin
is registered as an instance (1.x style).
"""
from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.plugin import OperationType

from ._plugins import RecordingPlugin


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
        if info.operation_type is OperationType.STEP:
            self.fail("operation-start")

    def on_operation_end(self, info):
        if info.operation_type is OperationType.STEP:
            self.fail("operation-end")

    def on_user_function_start(self, info):
        if info.operation_type is OperationType.STEP:
            self.fail("attempt-start")

    def on_user_function_end(self, info):
        if info.operation_type is OperationType.STEP:
            self.fail("attempt-end")


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


@durable_execution(plugins=[FaultyPlugin()])
def handler(event: str, context: DurableContext) -> str:
    return context.step(greet(event))
