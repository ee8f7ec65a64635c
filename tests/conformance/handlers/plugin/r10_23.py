"""10-23: Context-typed hook info field shape.

``parallel`` named "ctx", one branch at a time, with two named branches: "branch-a" runs a step
"inner" returning "x", then a 2-second wait, and returns "a-done"; "branch-b" returns "b-done".
For CONTEXT operations the plugin prints canonical dumps of the ``operation-start`` info and of
the ``fn-start`` (user-function start) info, which carries ``isReplayingChildren``.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration, ParallelBranch, ParallelConfig
from lambda_durable.plugin import OperationType

from ._plugins import Factory, RecordingPlugin, dump_operation


class ContextShapePlugin(RecordingPlugin):
    def on_operation_start(self, info):
        if info.operation_type is OperationType.CONTEXT:
            self.emit("operation-start", **dump_operation(info))

    def on_user_function_start(self, info):
        if info.operation_type is OperationType.CONTEXT:
            self.emit("fn-start", **dump_operation(info))


def branch_a(ctx: DurableContext) -> str:
    ctx.step(lambda step_context: "x", name="inner")
    ctx.wait(Duration.from_seconds(2))
    return "a-done"


def branch_b(ctx: DurableContext) -> str:
    return "b-done"


@durable_execution(plugins=[Factory(ContextShapePlugin)])
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [ParallelBranch(branch_a, name="branch-a"), ParallelBranch(branch_b, name="branch-b")],
        name="ctx",
        config=ParallelConfig(max_concurrency=1),
    )
    return result.get_results()
