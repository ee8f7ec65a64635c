"""1-4: Returning a complex object.

A step builds a nested object with arrays and mixed types from the input
(``{"user": {"name", "tags"}, "count"}``); the SDK serializes it and returns it round-tripped.
"""
from typing import Any

from lambda_durable import DurableContext, StepContext, durable_execution, durable_step


@durable_step
def build_response(step_context: StepContext, event: dict[str, Any]) -> dict[str, Any]:
    tags = list(event.get("tags") or [])
    return {"user": {"name": event.get("name"), "tags": tags}, "count": len(tags)}


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    return context.step(build_response(event))
