"""10-12: Plugin user-function hooks for parallel branches.

``parallel`` named "parallel" with two branches returning "task-1" and "task-2", one at a time;
the plugin prints ``fn-start`` / ``fn-end`` (user-function hooks) for ParallelBranch operations
with the branch id and its parent (the parallel operation).
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import ParallelConfig

from ._plugins import Factory, RecordingPlugin, parent


class BranchPlugin(RecordingPlugin):
    def on_user_function_start(self, info):
        if info.sub_type == "ParallelBranch":
            self.emit("fn-start", op=info.operation_id, parent=parent(info))

    def on_user_function_end(self, info):
        if info.sub_type == "ParallelBranch":
            self.emit(
                "fn-end", op=info.operation_id, parent=parent(info), outcome=info.outcome.value
            )


@durable_execution(plugins=[Factory(BranchPlugin)])
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [lambda ctx: "task-1", lambda ctx: "task-2"],
        name="parallel",
        config=ParallelConfig(max_concurrency=1),
    )
    return result.get_results()
