"""A minimal in-memory durable service for SDK unit tests: it applies checkpoint updates by the
service's state transitions (protocol.md 3.6), records every call, and builds invocation events,
so tests can craft any stored state and check exactly what the SDK writes."""
from __future__ import annotations

import datetime
import itertools
import json
from typing import Any

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/exec/0a1b2c3d"
EXECUTION_ID = "0a1b2c3d"
START_MS = 1_769_481_309_631
NOW = datetime.datetime(2026, 1, 27, tzinfo=datetime.timezone.utc)


def execution_op(payload: Any = None, *, raw: str | None = None) -> dict:
    return {
        "Id": EXECUTION_ID,
        "Type": "EXECUTION",
        "Status": "STARTED",
        "StartTimestamp": START_MS,
        "ExecutionDetails": {"InputPayload": raw if raw is not None else json.dumps(payload)},
    }


class FakeService:
    """boto3-shaped client: ``checkpoint_durable_execution`` / ``get_durable_execution_state``."""

    def __init__(
        self,
        operations: list[dict] | None = None,
        pages: dict[str, tuple[list, str | None]] | None = None,
        *,
        refresh_completes_timers: bool = False,
    ):
        #: opt-in: an empty (refresh) checkpoint first completes every timer due at ``self.now``
        #: (STARTED WAIT -> SUCCEEDED, PENDING STEP retry -> READY) and returns those operations,
        #: as the service does for timers that fired meanwhile (map/parallel in-process resumes)
        self.refresh_completes_timers = refresh_completes_timers
        #: the service clock for ``refresh_completes_timers`` (timers are scheduled from NOW)
        self.now = NOW + datetime.timedelta(hours=1)
        self.operations: dict[str, dict] = {op["Id"]: op for op in (operations or [])}
        self.calls: list[list[dict]] = []
        self.state_calls: list[dict] = []
        self.pages = pages or {}
        self._tokens = itertools.count(1)
        self.token = "dG9rZW4w"
        self.callback_ids = itertools.count(1)

    # -- helpers for tests -----------------------------------------------------------------
    @property
    def updates(self) -> list[dict]:
        return [u for batch in self.calls for u in batch]

    def event(self, payload: Any = None, *, extra_ops: list[dict] | None = None) -> dict:
        ops = [execution_op(payload)] + list(extra_ops or [])
        for op in ops:
            self.operations.setdefault(op["Id"], op)
        return {
            "DurableExecutionArn": ARN,
            "CheckpointToken": self.token,
            "InitialExecutionState": {"Operations": list(self.operations.values()), "NextMarker": ""},
        }

    # -- the API -----------------------------------------------------------------------------
    def get_durable_execution_state(self, **kwargs):
        self.state_calls.append(kwargs)
        ops, marker = self.pages[kwargs["Marker"]]
        out = {"Operations": ops}
        if marker:
            out["NextMarker"] = marker
        return out

    def checkpoint_durable_execution(self, **kwargs):
        assert kwargs["CheckpointToken"] == self.token, "stale checkpoint token"
        updates = kwargs["Updates"]
        self.calls.append(updates)
        changed = {}
        if not updates and self.refresh_completes_timers:
            for op in self._fire_due_timers():
                changed[op["Id"]] = op
        for u in updates:
            if u["Type"] == "EXECUTION":
                continue
            op = self._apply(u)
            changed[op["Id"]] = op
        self.token = f"dG9rZW4{next(self._tokens)}"
        return {"CheckpointToken": self.token, "NewExecutionState": {"Operations": list(changed.values())}}

    def _fire_due_timers(self) -> list[dict]:
        fired = []
        for op_id, op in list(self.operations.items()):
            if op.get("Type") == "WAIT" and op.get("Status") == "STARTED":
                due = (op.get("WaitDetails") or {}).get("ScheduledEndTimestamp")
                status = "SUCCEEDED"
            elif op.get("Type") == "STEP" and op.get("Status") == "PENDING":
                due = (op.get("StepDetails") or {}).get("NextAttemptTimestamp")
                status = "READY"
            else:
                continue
            if isinstance(due, datetime.datetime) and due <= self.now:
                op = dict(op, Status=status)
                self.operations[op_id] = op
                fired.append(op)
        return fired

    def _apply(self, u: dict) -> dict:
        op = self.operations.get(u["Id"])
        action = u["Action"]
        if op is None:
            op = {"Id": u["Id"], "Type": u["Type"], "StartTimestamp": NOW}
            for key in ("ParentId", "Name", "SubType"):
                if key in u:
                    op[key] = u[key]
            self.operations[u["Id"]] = op
        else:
            op = dict(op)
            self.operations[u["Id"]] = op
        kind = u["Type"]
        details_key = {
            "STEP": "StepDetails",
            "CONTEXT": "ContextDetails",
            "WAIT": "WaitDetails",
            "CALLBACK": "CallbackDetails",
            "CHAINED_INVOKE": "ChainedInvokeDetails",
        }[kind]
        details = dict(op.get(details_key) or {})
        if action == "START":
            op["Status"] = "STARTED"
            if kind == "WAIT":
                details["ScheduledEndTimestamp"] = NOW + datetime.timedelta(seconds=u["WaitOptions"]["WaitSeconds"])
            if kind == "CALLBACK":
                details["CallbackId"] = f"Y2Ix{next(self.callback_ids)}"
        elif action == "SUCCEED":
            op["Status"] = "SUCCEEDED"
            if kind == "STEP":
                details["Attempt"] = details.get("Attempt", 0) + 1
            if "Payload" in u:
                details["Result"] = u["Payload"]
            if kind == "CONTEXT":
                details["ReplayChildren"] = u.get("ContextOptions", {}).get("ReplayChildren", False)
        elif action == "FAIL":
            op["Status"] = "FAILED"
            if kind == "STEP":
                details["Attempt"] = details.get("Attempt", 0) + 1
            details["Error"] = u["Error"]
        elif action == "RETRY":
            op["Status"] = "PENDING"
            details["Attempt"] = details.get("Attempt", 0) + 1
            details["NextAttemptTimestamp"] = NOW + datetime.timedelta(
                seconds=u["StepOptions"]["NextAttemptDelaySeconds"]
            )
            if "Error" in u:
                details["Error"] = u["Error"]
            if "Payload" in u:
                details["Result"] = u["Payload"]
        op[details_key] = details
        return op


def invoke(handler, service: FakeService, payload: Any = None) -> dict:
    """Invoke ``handler`` once with the service's current state."""
    return handler(service.event(payload), None)
