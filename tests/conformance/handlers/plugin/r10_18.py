"""10-18: Plugin replay flag for a non-terminal wait.

``parallel`` named "waits" with two branches running one wait each ("short", 2 s; "long", 8 s)
side by side; the plugin prints ``operation-start`` (with ``replay`` and ``pending``: the info's
own status is not terminal) and ``operation-end`` for wait operations, by wait name. On the
replay after "short" completed, "long" is reported replayed and pending.
"""
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration, ParallelConfig
from lambda_durable.plugin import OperationType

from ._plugins import Factory, RecordingPlugin

_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED"})


class WaitPlugin(RecordingPlugin):
    def on_operation_start(self, info):
        if info.operation_type is OperationType.WAIT:
            self.emit(
                "operation-start",
                type=info.operation_type.value.upper(),
                name=info.name,
                replay=info.is_replayed,
                pending=info.status.value not in _TERMINAL,
            )

    def on_operation_end(self, info):
        if info.operation_type is OperationType.WAIT:
            self.emit(
                "operation-end",
                type=info.operation_type.value.upper(),
                name=info.name,
                status=info.status.value,
            )


def short_branch(ctx: DurableContext) -> str:
    ctx.wait(Duration.from_seconds(2), name="short")
    return "short-done"


def long_branch(ctx: DurableContext) -> str:
    ctx.wait(Duration.from_seconds(8), name="long")
    return "long-done"


@durable_execution(plugins=[Factory(WaitPlugin)])
def handler(event: object, context: DurableContext) -> list:
    result = context.parallel(
        [short_branch, long_branch], name="waits", config=ParallelConfig(max_concurrency=2)
    )
    return result.get_results()
