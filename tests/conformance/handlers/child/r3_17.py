"""3-17: Child context with a durable logger only (no re-execution on replay).

The child only logs the input through its own logger (replay logging enabled, so a re-run would
log again) and returns it; then a 1-second wait. On the replay the completed child returns its
checkpointed result without running: the input is logged once.
"""
from lambda_durable import DurableContext, durable_execution, durable_with_child_context
from lambda_durable.config import Duration


@durable_with_child_context
def logging_child(ctx: DurableContext, value: str) -> str:
    ctx.configure_logger(mode_aware=False)
    ctx.logger.info(f"child context running for {value}")
    return value


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    result = context.run_in_child_context(logging_child(event))
    context.wait(Duration.from_seconds(1))
    return result
