"""3-12: Child context interrupted and re-executed.

A child context whose step (default AT_LEAST_ONCE_PER_RETRY semantics) crashes the process
(``os._exit(1)``) on its first run, after ContextStarted and StepStarted are durable but before
StepSucceeded. Both STARTs are non-blocking checkpoints: the SDK sends them on its own once they
have waited :data:`~lambda_durable.limits.ASYNC_FLUSH_DELAY_SECONDS` without a blocking
checkpoint taking them along, so the step runs a little longer than that before it crashes. The
next invocation re-runs the step (no new START: the attempt was never finished), which returns
the input; the child returns it.

Whether this execution already crashed is kept outside the execution, as a real handler would
keep it in a table (the step's ``attempt`` is 1 both times: the crashed attempt never ended).
"""
import os
import threading
import time

from lambda_durable import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from lambda_durable.limits import ASYNC_FLUSH_DELAY_SECONDS

_crashed: set[str] = set()
_lock = threading.Lock()


def _first_run(execution_arn: str) -> bool:
    with _lock:
        if execution_arn in _crashed:
            return False
        _crashed.add(execution_arn)
        return True


@durable_step
def crash_once(step_context: StepContext, value: str, execution_arn: str) -> str:
    if _first_run(execution_arn):
        time.sleep(3 * ASYNC_FLUSH_DELAY_SECONDS)  # the STARTs reach the service meanwhile
        os._exit(1)  # a Lambda runtime crash before the step completes
    return value


@durable_with_child_context
def child(ctx: DurableContext, value: str) -> str:
    return ctx.step(crash_once(value, ctx.execution_context.durable_execution_arn))


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.run_in_child_context(child(event))
