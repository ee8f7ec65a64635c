"""3-14: Child context with a custom serdes (succeeds).

The child's step returns the input; the child returns it, and the child's ``ChildConfig(serdes=
...)`` checkpoints it upper-cased (a raw payload), so the round-tripped result is upper case.
"""
from typing import Any

from lambda_durable import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from lambda_durable.config import ChildConfig
from lambda_durable.serdes import SerDes, SerDesContext


class UppercaseSerDes(SerDes[str]):
    """Checkpoints a string upper-cased (as the raw payload) and reads it back verbatim."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        return str(value).upper()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data


@durable_step
def echo(step_context: StepContext, value: str) -> str:
    return value


@durable_with_child_context
def child(ctx: DurableContext, value: str) -> str:
    return ctx.step(echo(value))


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.run_in_child_context(child(event), config=ChildConfig(serdes=UppercaseSerDes()))
