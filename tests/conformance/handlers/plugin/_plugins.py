"""What the plugin suite's handlers share: a plugin base that prints its records as JSON lines
to plain stdout, each stamped with the execution ARN captured from the invocation-start hook's
info (so execution-scoped log retrieval finds them), and the canonical info dumps of 10-19..10-23.

Not a requirement module (no ``r<id>`` name): the registry ignores it.
"""
from __future__ import annotations

import datetime
import json
from typing import Any

from lambda_durable.config import Duration, JitterStrategy
from lambda_durable.plugin import DurableInstrumentationPlugin, OperationInfo
from lambda_durable.retries import RetryStrategyConfig, create_retry_strategy

#: ~1 s between attempts, up to 3 attempts (the suite's "max attempts >= 2, ~1s delay").
RETRY_1S = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=3,
        initial_delay=Duration.from_seconds(1),
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )
)
#: A single attempt (no retries).
NO_RETRY = create_retry_strategy(RetryStrategyConfig(max_attempts=1))

TERMINAL = ("SUCCEEDED", "FAILED")


class RecordingPlugin(DurableInstrumentationPlugin):
    """Prints ``{"plugin": LABEL, "hook": ..., ..., "durableExecutionArn": <arn>}`` lines."""

    label = "CONFPLUGIN"

    def __init__(self) -> None:
        self.arn: str | None = None

    def capture(self, info: Any) -> None:
        self.arn = info.execution_arn

    def emit(self, hook: str, **fields: Any) -> None:
        record = {"plugin": self.label, "hook": hook, **fields, "durableExecutionArn": self.arn}
        print(json.dumps(record), flush=True)

    def on_invocation_start(self, info: Any) -> None:
        self.capture(info)


class Factory:
    """A 3.x plugin factory: a new ``plugin_class()`` for every invocation."""

    def __init__(self, plugin_class: type) -> None:
        self.plugin_class = plugin_class

    def create_plugin(self, info: Any) -> DurableInstrumentationPlugin:
        return self.plugin_class()


def iso(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def parent(info: OperationInfo) -> str:
    return info.parent_id or "NONE"


def compact(fields: dict[str, Any]) -> dict[str, Any]:
    """Unset fields are omitted (the canonical dumps' rule)."""
    return {key: value for key, value in fields.items() if value is not None}


def dump_operation(info: OperationInfo) -> dict[str, Any]:
    """Canonical camelCase dump of an operation-typed info (hook infos and map items)."""
    fields = {
        "id": info.operation_id,
        "name": info.name,
        "type": info.operation_type.value,
        "subType": info.sub_type,
        "parentId": info.parent_id,
        "status": info.status.value,
        "attempt": info.attempt,
        "startTimestamp": iso(info.start_time),
        "endTimestamp": iso(info.end_time),
        "isReplay": info.is_replayed,
        "error": info.error.message if info.error is not None else None,
        "result": info.result,
    }
    if hasattr(info, "is_replay_children"):
        fields["isReplayingChildren"] = info.is_replay_children
    outcome = getattr(info, "outcome", None)
    if outcome is not None:
        fields["outcome"] = outcome.value
    return compact(fields)
