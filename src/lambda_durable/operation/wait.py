"""``context.wait``: a durable timer (WAIT START with ``WaitOptions.WaitSeconds``).

Absent -> START (blocking), re-read, return if the service already completed it, else suspend until
``ScheduledEndTimestamp``; STARTED -> suspend until then; SUCCEEDED -> return ``None``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .base import check_identity, suspend_until, update

if TYPE_CHECKING:  # pragma: no cover
    from ..context import DurableContext

WAIT = "WAIT"


def run_wait(ctx: DurableContext, operation_id: str, seconds: int, name: str | None) -> None:
    state = ctx.state
    record = state.get(operation_id)
    if record is None:
        state.checkpoint(
            update(ctx, operation_id, WAIT, "START", "Wait", name, WaitOptions={"WaitSeconds": seconds})
        )
        record = state.get(operation_id)
        if record is None:
            suspend_until(None, f"wait {name or operation_id}")
    else:
        check_identity(record, operation_id, WAIT, "Wait", name, ctx._parent_id)
    if record["Status"] in ("SUCCEEDED", "CANCELLED"):
        return None
    details = record.get("WaitDetails") or {}
    suspend_until(details.get("ScheduledEndTimestamp"), f"wait {name or operation_id}")
