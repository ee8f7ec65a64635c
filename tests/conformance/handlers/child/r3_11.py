"""3-11: Child context with a large result (ReplayChildren mode).

The child logs the input through its own logger (with replay logging enabled:
``configure_logger(mode_aware=False)``), runs a step returning a small value, and builds a
result over 256 KiB from it. The CONTEXT SUCCEED stores no result (``ReplayChildren``), so on
the replay after the following wait the child body runs again (its step replays from its
record): the input is logged twice and the large result is rebuilt.
"""
from typing import Any

from lambda_durable import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from lambda_durable.config import Duration

LARGE_SIZE = 300 * 1024


@durable_step
def small_value(step_context: StepContext) -> str:
    return "x"


@durable_with_child_context
def build_large(ctx: DurableContext, value: str) -> str:
    ctx.configure_logger(mode_aware=False)
    ctx.logger.info(f"building a large result for {value}")
    unit = ctx.step(small_value())
    return unit * LARGE_SIZE


@durable_execution
def handler(event: str, context: DurableContext) -> dict[str, Any]:
    large = context.run_in_child_context(build_large(event))
    context.wait(Duration.from_seconds(1))
    return {"length": len(large)}
