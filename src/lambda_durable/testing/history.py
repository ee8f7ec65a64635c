"""Execution history events in the ``GetDurableExecutionHistory`` shape (protocol.md section 8).

Every event is a dict ``{"EventType", "EventId", "EventTimestamp", ["Id", "Name", "ParentId",
"SubType"], "<EventType>Details": {...}}``:

- ``EventId`` is assigned by :class:`History` in append order, contiguous from 1
  (``ExecutionStarted``); events are never sorted or renumbered;
- ``EventTimestamp`` (and every other timestamp) is an aware UTC ``datetime``, as boto3 returns;
- operation events carry ``Id``/``Name``/``ParentId``/``SubType`` exactly as in the update or
  stored operation (absent when absent); ``InvocationCompleted`` carries none of them;
- the details object is always present, even when empty;
- payloads are ``{"Payload": str, "Truncated": False}`` and errors
  ``{"Payload": ErrorObject dict, "Truncated": False}``. :func:`without_execution_data` drops
  the payloads (``Truncated: True``), keeping errors, for ``IncludeExecutionData=False``.
"""
from __future__ import annotations

import datetime
import logging
from typing import Any, Callable, Iterable, Mapping

# Event types (protocol.md 1.3).
EXECUTION_STARTED = "ExecutionStarted"
EXECUTION_SUCCEEDED = "ExecutionSucceeded"
EXECUTION_FAILED = "ExecutionFailed"
EXECUTION_TIMED_OUT = "ExecutionTimedOut"
EXECUTION_STOPPED = "ExecutionStopped"
CONTEXT_STARTED = "ContextStarted"
CONTEXT_SUCCEEDED = "ContextSucceeded"
CONTEXT_FAILED = "ContextFailed"
WAIT_STARTED = "WaitStarted"
WAIT_SUCCEEDED = "WaitSucceeded"
WAIT_CANCELLED = "WaitCancelled"
STEP_STARTED = "StepStarted"
STEP_SUCCEEDED = "StepSucceeded"
STEP_FAILED = "StepFailed"
CHAINED_INVOKE_STARTED = "ChainedInvokeStarted"
CHAINED_INVOKE_SUCCEEDED = "ChainedInvokeSucceeded"
CHAINED_INVOKE_FAILED = "ChainedInvokeFailed"
CHAINED_INVOKE_TIMED_OUT = "ChainedInvokeTimedOut"
CHAINED_INVOKE_STOPPED = "ChainedInvokeStopped"
CALLBACK_STARTED = "CallbackStarted"
CALLBACK_SUCCEEDED = "CallbackSucceeded"
CALLBACK_FAILED = "CallbackFailed"
CALLBACK_TIMED_OUT = "CallbackTimedOut"
INVOCATION_COMPLETED = "InvocationCompleted"
EXECUTION_PAUSED = "ExecutionPaused"
EXECUTION_RESUMED = "ExecutionResumed"

#: Event types that end an execution.
TERMINAL_EXECUTION_EVENTS = frozenset(
    {EXECUTION_SUCCEEDED, EXECUTION_FAILED, EXECUTION_TIMED_OUT, EXECUTION_STOPPED}
)

_IDENTITY_KEYS = ("Id", "Name", "ParentId", "SubType")
#: Detail keys whose value is a ``{Payload: str, Truncated}`` data payload (not an error).
_DATA_KEYS = ("Input", "Result")


def payload(value: str | None) -> dict[str, Any]:
    """A data payload envelope ``{"Payload": value, "Truncated": False}`` (no Payload if None)."""
    if value is None:
        return {"Truncated": False}
    return {"Payload": value, "Truncated": False}


def error_payload(error: Mapping[str, Any] | None) -> dict[str, Any]:
    """An error envelope ``{"Payload": ErrorObject dict, "Truncated": False}``."""
    return {"Payload": dict(error or {}), "Truncated": False}


def identity(source: Mapping[str, Any]) -> dict[str, Any]:
    """``Id``/``Name``/``ParentId``/``SubType`` of an update or operation, those present only."""
    return {key: source[key] for key in _IDENTITY_KEYS if source.get(key) is not None}


class History:
    """The append-only event list of one execution.

    ``append(event_type, timestamp, details, ident)`` numbers the event and calls ``listener``
    (if any) with it; an exception from the listener is logged, not raised. Events are stored
    complete (with payloads).
    """

    __slots__ = ("events", "listener")

    def __init__(
        self,
        listener: Callable[[dict], None] | None = None,
        events: list[dict[str, Any]] | None = None,
    ) -> None:
        self.events: list[dict[str, Any]] = events if events is not None else []
        self.listener = listener

    def append(
        self,
        event_type: str,
        timestamp: datetime.datetime,
        details: dict[str, Any] | None = None,
        ident: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "EventType": event_type,
            "EventId": len(self.events) + 1,
            "EventTimestamp": timestamp,
        }
        if ident:
            event.update(identity(ident))
        event[f"{event_type}Details"] = details if details is not None else {}
        self.events.append(event)
        if self.listener is not None:
            try:
                self.listener(event)
            except Exception:  # noqa: BLE001 - a broken listener must not corrupt the service
                logging.getLogger(__name__).exception("history listener failed on %s", event_type)
        return event


# -- events caused by a checkpoint update ---------------------------------------------------------


def events_for_update(
    update: Mapping[str, Any], operation: Mapping[str, Any] | None
) -> list[tuple[str, dict[str, Any]]]:
    """The ``(event_type, details)`` pairs an accepted update produces, given the operation
    record as it is *after* the update (``None`` for EXECUTION updates, which produce none).

    STEP RETRY with an ``Error`` is a ``StepFailed`` and with a ``Payload`` (wait_for_condition
    continuing) a ``StepSucceeded``, both with ``RetryDetails`` echoing the delay.
    """
    kind, action = update.get("Type"), update.get("Action")
    if operation is None or kind == "EXECUTION":
        return []
    if kind == "STEP":
        attempt = (operation.get("StepDetails") or {}).get("Attempt", 0)
        if action == "START":
            return [(STEP_STARTED, {})]
        if action == "SUCCEED":
            details = {"RetryDetails": {"CurrentAttempt": attempt}}
            details["Result"] = payload(update.get("Payload"))
            return [(STEP_SUCCEEDED, _ordered(details, "Result"))]
        if action == "FAIL":
            return [
                (STEP_FAILED, {"Error": error_payload(update.get("Error")),
                               "RetryDetails": {"CurrentAttempt": attempt}})
            ]
        if action == "RETRY":
            delay = (update.get("StepOptions") or {}).get("NextAttemptDelaySeconds")
            retry = {"CurrentAttempt": attempt, "NextAttemptDelaySeconds": delay}
            if update.get("Error") is not None:
                return [(STEP_FAILED, {"Error": error_payload(update["Error"]), "RetryDetails": retry})]
            details = {"RetryDetails": retry}
            if update.get("Payload") is not None:
                details["Result"] = payload(update["Payload"])
            return [(STEP_SUCCEEDED, _ordered(details, "Result"))]
        return []
    if kind == "CONTEXT":
        if action == "START":
            return [(CONTEXT_STARTED, {})]
        if action == "SUCCEED":
            return [(CONTEXT_SUCCEEDED, {"Result": payload(update.get("Payload"))})]
        if action == "FAIL":
            return [(CONTEXT_FAILED, {"Error": error_payload(update.get("Error"))})]
        return []
    if kind == "WAIT":
        if action == "START":
            seconds = (update.get("WaitOptions") or {}).get("WaitSeconds")
            scheduled = (operation.get("WaitDetails") or {}).get("ScheduledEndTimestamp")
            return [(WAIT_STARTED, {"Duration": seconds, "ScheduledEndTimestamp": scheduled})]
        if action == "CANCEL":
            details = {}
            if update.get("Error") is not None:
                details["Error"] = error_payload(update["Error"])
            return [(WAIT_CANCELLED, details)]
        return []
    if kind == "CALLBACK":
        if action == "START":
            options = update.get("CallbackOptions") or {}
            details = {"CallbackId": (operation.get("CallbackDetails") or {}).get("CallbackId")}
            details["Timeout"] = options.get("TimeoutSeconds", 0)
            details["HeartbeatTimeout"] = options.get("HeartbeatTimeoutSeconds", 0)
            return [(CALLBACK_STARTED, details)]
        return []
    if kind == "CHAINED_INVOKE":
        if action == "START":
            return [(CHAINED_INVOKE_STARTED, {})]  # details completed by the service
        if action == "CANCEL":
            details = {}
            if update.get("Error") is not None:
                details["Error"] = error_payload(update["Error"])
            return [(CHAINED_INVOKE_STOPPED, details)]
    return []


def _ordered(details: dict[str, Any], first: str) -> dict[str, Any]:
    """``details`` with key ``first`` (when present) moved to the front, for readable output."""
    if first not in details:
        return details
    return {first: details[first], **{k: v for k, v in details.items() if k != first}}


# -- presentation ---------------------------------------------------------------------------------


def without_execution_data(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``events`` with data payloads (``Input``/``Result``) removed and marked
    ``Truncated: True``; error payloads are kept (``IncludeExecutionData=False``)."""
    out = []
    for event in events:
        copy = dict(event)
        for key, value in event.items():
            if key.endswith("Details") and isinstance(value, dict):
                details = dict(value)
                for data_key in _DATA_KEYS:
                    if isinstance(details.get(data_key), dict):
                        details[data_key] = {"Truncated": True}
                copy[key] = details
        out.append(copy)
    return out


def copy_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``events`` whose details objects the caller may modify."""
    out = []
    for event in events:
        copy = dict(event)
        for key, value in event.items():
            if key.endswith("Details") and isinstance(value, dict):
                copy[key] = {
                    k: (dict(v) if isinstance(v, dict) else v) for k, v in value.items()
                }
        out.append(copy)
    return out


def jsonable(value: Any) -> Any:
    """``value`` with every ``datetime`` replaced by its ISO-8601 string (for ``json.dumps``)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


# -- operations rebuilt from events (cloud test runner) -------------------------------------------

#: event type -> (operation type, operation status after it; None = keep, "RETRY?" = STEP outcome
#: decided by its RetryDetails)
_EVENT_OPERATION = {
    EXECUTION_STARTED: ("EXECUTION", "STARTED"),
    EXECUTION_SUCCEEDED: ("EXECUTION", "SUCCEEDED"),
    EXECUTION_FAILED: ("EXECUTION", "FAILED"),
    EXECUTION_TIMED_OUT: ("EXECUTION", "TIMED_OUT"),
    EXECUTION_STOPPED: ("EXECUTION", "STOPPED"),
    CONTEXT_STARTED: ("CONTEXT", "STARTED"),
    CONTEXT_SUCCEEDED: ("CONTEXT", "SUCCEEDED"),
    CONTEXT_FAILED: ("CONTEXT", "FAILED"),
    WAIT_STARTED: ("WAIT", "STARTED"),
    WAIT_SUCCEEDED: ("WAIT", "SUCCEEDED"),
    WAIT_CANCELLED: ("WAIT", "CANCELLED"),
    STEP_STARTED: ("STEP", "STARTED"),
    STEP_SUCCEEDED: ("STEP", "SUCCEEDED"),
    STEP_FAILED: ("STEP", "FAILED"),
    CHAINED_INVOKE_STARTED: ("CHAINED_INVOKE", "STARTED"),
    CHAINED_INVOKE_SUCCEEDED: ("CHAINED_INVOKE", "SUCCEEDED"),
    CHAINED_INVOKE_FAILED: ("CHAINED_INVOKE", "FAILED"),
    CHAINED_INVOKE_TIMED_OUT: ("CHAINED_INVOKE", "TIMED_OUT"),
    CHAINED_INVOKE_STOPPED: ("CHAINED_INVOKE", "STOPPED"),
    CALLBACK_STARTED: ("CALLBACK", "STARTED"),
    CALLBACK_SUCCEEDED: ("CALLBACK", "SUCCEEDED"),
    CALLBACK_FAILED: ("CALLBACK", "FAILED"),
    CALLBACK_TIMED_OUT: ("CALLBACK", "TIMED_OUT"),
}
_DETAILS_KEY = {
    "EXECUTION": "ExecutionDetails",
    "CONTEXT": "ContextDetails",
    "STEP": "StepDetails",
    "WAIT": "WaitDetails",
    "CALLBACK": "CallbackDetails",
    "CHAINED_INVOKE": "ChainedInvokeDetails",
}
#: Id given to the EXECUTION operation when the events do not name it
EXECUTION_OPERATION_ID = "execution"


def operations_from_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The operations (``Operation`` wire dicts, in start order) that a history describes, as
    far as events tell: Id/Name/ParentId/SubType, Type, Status, Start/EndTimestamp and the
    details (results and errors as present in the events: absent when the history was fetched
    without execution data). A STEP whose last event scheduled a retry is ``PENDING`` with
    ``NextAttemptTimestamp``; ``InvocationCompleted``, ``ExecutionPaused`` and
    ``ExecutionResumed`` describe no operation. The EXECUTION operation takes the Id of
    ``ExecutionStarted`` (:data:`EXECUTION_OPERATION_ID` when it has none). Unknown event types
    are skipped."""
    operations: dict[str, dict[str, Any]] = {}
    execution_id = EXECUTION_OPERATION_ID
    for event in events:
        event_type = event.get("EventType")
        entry = _EVENT_OPERATION.get(event_type)  # type: ignore[arg-type]
        if entry is None:
            continue
        kind, status = entry
        timestamp = event.get("EventTimestamp")
        event_details = event.get(f"{event_type}Details") or {}
        if kind == "EXECUTION":
            if event_type == EXECUTION_STARTED and event.get("Id"):
                execution_id = event["Id"]
            op_id = execution_id
        else:
            op_id = event.get("Id")
            if not op_id:
                continue
        op = operations.get(op_id)
        if op is None:
            op = operations[op_id] = {"Id": op_id, "Type": kind, "StartTimestamp": timestamp}
            if kind != "EXECUTION":
                for key in ("ParentId", "Name", "SubType"):
                    if event.get(key) is not None:
                        op[key] = event[key]
        details: dict[str, Any] = op.setdefault(_DETAILS_KEY[kind], {})
        if kind == "STEP":
            retry = event_details.get("RetryDetails") or {}
            if retry.get("CurrentAttempt") is not None:
                details["Attempt"] = retry["CurrentAttempt"]
            delay = retry.get("NextAttemptDelaySeconds")
            if event_type != STEP_STARTED and delay is not None and timestamp is not None:
                status = "PENDING"
                details["NextAttemptTimestamp"] = timestamp + datetime.timedelta(seconds=delay)
            else:
                details.pop("NextAttemptTimestamp", None)
            details.setdefault("Attempt", 0)
        op["Status"] = status
        if status not in ("STARTED", "PENDING"):
            op["EndTimestamp"] = timestamp
        if kind == "EXECUTION":  # the execution's result and error are not operation details
            started_input = event_details.get("Input")
            if isinstance(started_input, Mapping) and started_input.get("Payload") is not None:
                details["InputPayload"] = started_input["Payload"]
            continue
        result = event_details.get("Result")
        if isinstance(result, Mapping) and result.get("Payload") is not None:
            details["Result"] = result["Payload"]
            details.pop("Error", None)
        error = event_details.get("Error")
        if isinstance(error, Mapping) and isinstance(error.get("Payload"), Mapping):
            details["Error"] = dict(error["Payload"])
            details.pop("Result", None)
        if event_type == WAIT_STARTED and event_details.get("ScheduledEndTimestamp") is not None:
            details["ScheduledEndTimestamp"] = event_details["ScheduledEndTimestamp"]
        if event_type == CALLBACK_STARTED and event_details.get("CallbackId") is not None:
            details["CallbackId"] = event_details["CallbackId"]
    for op in operations.values():
        key = _DETAILS_KEY[op["Type"]]
        if not op.get(key) and op["Type"] != "STEP":
            op.pop(key, None)
    return list(operations.values())
