"""Service-side validation of ``CheckpointDurableExecution`` updates (protocol.md 1.4, 3.5).

:func:`validate_updates` checks a whole batch before any of it is applied (a batch is accepted or
rejected as a unit) and raises :class:`~lambda_durable.testing.errors.
InvalidParameterValueException` with a message naming the update and the broken rule.
"""
from __future__ import annotations

import json

from typing import Any, Mapping, Sequence

from ..limits import (
    CHECKPOINT_SIZE_LIMIT_BYTES as STEP_PAYLOAD_LIMIT_BYTES,
    ERROR_LIMIT_BYTES,
    ID_PATTERN,
    MAX_CALLBACK_TIMEOUT_SECONDS,
    MAX_DURATION_SECONDS as MAX_DELAY_SECONDS,
    MAX_FUNCTION_NAME_LENGTH,
    MIN_DURATION_SECONDS as MIN_DELAY_SECONDS,
    NAME_PATTERN,
    PAYLOAD_LIMIT_BYTES,
    SUBTYPE_PATTERN,
    utf8_len,
)
from .errors import InvalidParameterValueException

TYPES = ("EXECUTION", "CONTEXT", "STEP", "WAIT", "CALLBACK", "CHAINED_INVOKE")
#: Valid actions per operation type (rule 6).
VALID_ACTIONS: dict[str, frozenset[str]] = {
    "STEP": frozenset({"START", "SUCCEED", "FAIL", "RETRY"}),
    "CONTEXT": frozenset({"START", "SUCCEED", "FAIL"}),
    "WAIT": frozenset({"START", "CANCEL"}),
    "CALLBACK": frozenset({"START"}),
    "CHAINED_INVOKE": frozenset({"START", "CANCEL"}),
    "EXECUTION": frozenset({"SUCCEED", "FAIL"}),
}


def _reject(index: int, update: Mapping[str, Any], message: str) -> InvalidParameterValueException:
    op_id = update.get("Id") if isinstance(update, Mapping) else None
    where = f"Updates[{index}]" + (f" (Id {op_id!r})" if op_id else "")
    return InvalidParameterValueException(f"{where}: {message}")


def _check_delay(value: Any, field: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{field} must be an integer number of seconds"
    if not MIN_DELAY_SECONDS <= value <= MAX_DELAY_SECONDS:
        return f"{field} must be between {MIN_DELAY_SECONDS} and {MAX_DELAY_SECONDS} seconds"
    return None


def _check_fields(update: Mapping[str, Any]) -> str | None:
    """Shape and field-limit checks of one update on its own (protocol.md 1.2, 1.4)."""
    for key in ("Id", "Type", "Action"):
        if not update.get(key):
            return f"{key} is required"
    kind, action = update["Type"], update["Action"]
    if kind not in VALID_ACTIONS:
        return f"invalid Type {kind!r}"
    if action not in ("START", "SUCCEED", "FAIL", "RETRY", "CANCEL"):
        return f"invalid Action {action!r}"
    if action not in VALID_ACTIONS[kind]:
        return f"Action {action} is not valid for operation type {kind}"
    if not isinstance(update["Id"], str) or not ID_PATTERN.fullmatch(update["Id"]):
        return "Id must be 1..64 characters of [a-zA-Z0-9-_]"
    parent = update.get("ParentId")
    if parent is not None and (not isinstance(parent, str) or not ID_PATTERN.fullmatch(parent)):
        return "ParentId must be 1..64 characters of [a-zA-Z0-9-_]"
    name = update.get("Name")
    if name is not None and (not isinstance(name, str) or not NAME_PATTERN.fullmatch(name)):
        return "Name must be 1..256 printable ASCII characters"
    sub_type = update.get("SubType")
    if sub_type is not None and (
        not isinstance(sub_type, str) or not SUBTYPE_PATTERN.fullmatch(sub_type)
    ):
        return "SubType must be 1..32 characters of [a-zA-Z0-9-_]"
    data = update.get("Payload")
    if data is not None:
        if not isinstance(data, str):
            return "Payload must be a string"
        if utf8_len(data) > PAYLOAD_LIMIT_BYTES:
            return f"Payload must be at most {PAYLOAD_LIMIT_BYTES} bytes"
        if kind == "STEP" and utf8_len(data) > STEP_PAYLOAD_LIMIT_BYTES:
            return (
                "STEP output payload size must be less than or equal to "
                f"{STEP_PAYLOAD_LIMIT_BYTES} bytes"
            )
    error = update.get("Error")
    if error is not None:
        if not isinstance(error, Mapping):
            return "Error must be an ErrorObject"
        if utf8_len(json.dumps(error)) > ERROR_LIMIT_BYTES:
            return f"Error must be at most {ERROR_LIMIT_BYTES} bytes when serialized"
    # rule 9
    if action == "FAIL" and data is not None:
        return "a FAIL update must not carry a Payload"
    if action == "SUCCEED" and error is not None:
        return "a SUCCEED update must not carry an Error"
    if kind == "STEP" and action == "RETRY":
        options = update.get("StepOptions")
        if not isinstance(options, Mapping) or "NextAttemptDelaySeconds" not in options:
            return "a STEP RETRY requires StepOptions.NextAttemptDelaySeconds"
        problem = _check_delay(options["NextAttemptDelaySeconds"], "NextAttemptDelaySeconds")
        if problem:
            return problem
        if error is not None and data is not None:
            return "a STEP RETRY must not carry both an Error and a Payload"
    if kind == "WAIT" and action == "START":
        options = update.get("WaitOptions")
        if not isinstance(options, Mapping) or "WaitSeconds" not in options:
            return "a WAIT START requires WaitOptions.WaitSeconds"
        problem = _check_delay(options["WaitSeconds"], "WaitSeconds")
        if problem:
            return problem
    if kind == "CALLBACK" and action == "START":
        options = update.get("CallbackOptions") or {}
        if not isinstance(options, Mapping):
            return "CallbackOptions must be an object"
        for field in ("TimeoutSeconds", "HeartbeatTimeoutSeconds"):
            value = options.get(field, 0)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value <= MAX_CALLBACK_TIMEOUT_SECONDS
            ):
                return f"CallbackOptions.{field} must be an integer 0..{MAX_CALLBACK_TIMEOUT_SECONDS}"
    if kind == "CHAINED_INVOKE" and action == "START":
        options = update.get("ChainedInvokeOptions")
        function_name = options.get("FunctionName") if isinstance(options, Mapping) else None
        if not isinstance(function_name, str) or not 1 <= len(function_name) <= MAX_FUNCTION_NAME_LENGTH:
            return "a CHAINED_INVOKE START requires ChainedInvokeOptions.FunctionName (1..256)"
    return None


def validate_updates(
    updates: Sequence[Mapping[str, Any]], operations: Mapping[str, Mapping[str, Any]]
) -> None:
    """Validate one checkpoint batch against the stored ``operations`` (Id -> operation dict).

    Rules (protocol.md 3.5): field limits; at most one EXECUTION update and only last; an Id twice
    only for STEP/CONTEXT as START then one non-START action; ``ParentId`` names an existing CONTEXT
    (or one STARTed earlier in the batch); identity (Type/SubType/Name/ParentId) of existing Ids
    unchanged; per-type valid actions and status transitions. Raises
    :class:`InvalidParameterValueException` on the first violation; applies nothing.
    """
    if not isinstance(updates, (list, tuple)):
        raise InvalidParameterValueException("Updates must be a list of OperationUpdate")
    # Simulated state of the operations this batch touches: Id -> (Type, SubType, Name, ParentId, Status)
    touched: dict[str, dict[str, Any]] = {}
    seen: dict[str, list[str]] = {}
    execution_indexes = [
        i for i, u in enumerate(updates) if isinstance(u, Mapping) and u.get("Type") == "EXECUTION"
    ]
    if len(execution_indexes) > 1:
        index = execution_indexes[1]
        raise _reject(index, updates[index], "at most one EXECUTION update is allowed per call")
    for index, update in enumerate(updates):
        if not isinstance(update, Mapping):
            raise InvalidParameterValueException(f"Updates[{index}]: not an OperationUpdate")
        problem = _check_fields(update)
        if problem:
            raise _reject(index, update, problem)
        kind, action, op_id = update["Type"], update["Action"], update["Id"]
        # rule 1
        if kind == "EXECUTION":
            if index != len(updates) - 1:
                raise _reject(index, update, "an EXECUTION update must be the last update")
            continue
        # rule 2
        previous = seen.setdefault(op_id, [])
        if previous:
            if not (
                kind in ("STEP", "CONTEXT")
                and previous == ["START"]
                and action != "START"
            ):
                raise _reject(
                    index,
                    update,
                    "an Id may appear twice in one call only for STEP/CONTEXT as START "
                    "followed by one other action",
                )
        previous.append(action)
        state = touched.get(op_id)
        if state is None and op_id in operations:
            stored = operations[op_id]
            state = {
                "Type": stored.get("Type"),
                "SubType": stored.get("SubType"),
                "Name": stored.get("Name"),
                "ParentId": stored.get("ParentId"),
                "Status": stored.get("Status"),
            }
        # rule 4
        if state is not None:
            for key in ("Type", "SubType", "Name", "ParentId"):
                if update.get(key) is not None and update.get(key) != state.get(key):
                    raise _reject(
                        index,
                        update,
                        f"{key} {update.get(key)!r} does not match the existing operation's "
                        f"{key} {state.get(key)!r}",
                    )
        # rule 3
        parent = update.get("ParentId")
        if parent is not None:
            parent_state = touched.get(parent) or operations.get(parent)
            if parent_state is None:
                raise _reject(index, update, f"ParentId {parent!r} does not name an operation")
            if parent_state.get("Type") != "CONTEXT":
                raise _reject(index, update, f"ParentId {parent!r} is not a CONTEXT operation")
        status = state.get("Status") if state else None
        # rules 7 and 8
        problem = _transition_problem(kind, action, status)
        if problem:
            raise _reject(index, update, problem)
        new_state = dict(state) if state else {
            "Type": kind,
            "SubType": update.get("SubType"),
            "Name": update.get("Name"),
            "ParentId": update.get("ParentId"),
        }
        new_state["Status"] = _next_status(kind, action)
        touched[op_id] = new_state


def _transition_problem(kind: str, action: str, status: str | None) -> str | None:
    current = status or "absent"
    if kind == "STEP":
        if action == "START" and status not in (None, "READY"):
            return f"a STEP can only START when absent or READY, not {current}"
        if action in ("SUCCEED", "FAIL") and status not in (None, "STARTED", "READY"):
            return f"a STEP can only {action} from STARTED or READY, not {current}"
        if action == "RETRY" and status not in ("STARTED", "READY"):
            return f"a STEP can only RETRY from STARTED or READY, not {current}"
        return None
    if action == "START":
        if status is not None:
            return f"a {kind} operation can only START when it does not exist (it is {current})"
        return None
    if kind == "CONTEXT" and action in ("SUCCEED", "FAIL") and status != "STARTED":
        return f"a CONTEXT can only {action} from STARTED, not {current}"
    if action == "CANCEL" and status != "STARTED":
        return f"a {kind} can only be cancelled from STARTED, not {current}"
    return None


def _next_status(kind: str, action: str) -> str:
    if action == "START":
        return "STARTED"
    if action == "RETRY":
        return "PENDING"
    if action == "SUCCEED":
        return "SUCCEEDED"
    if action == "FAIL":
        return "FAILED"
    return "CANCELLED"
