"""1-6: Custom serdes (per step).

The step returns the input string; its ``StepConfig(serdes=...)`` upper-cases strings when it
serializes, so the checkpointed (and returned, round-tripped) value is ``"HELLO WORLD"``.
"""
from typing import Any

from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import StepConfig
from lambda_durable.serdes import SerDes, SerDesContext


class UppercaseSerDes(SerDes[str]):
    """Checkpoints a string upper-cased (as the raw payload) and reads it back verbatim."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        return str(value).upper()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data


@durable_step
def return_input(step_context: StepContext, value: str) -> str:
    return value


@durable_execution
def handler(event: str, context: DurableContext) -> str:
    return context.step(return_input(event), config=StepConfig(serdes=UppercaseSerDes()))
