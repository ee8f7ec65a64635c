"""The conformance suite's matching rules (protocol.md section 9), independent of any service.

Everything here is pure: it works on plain values (YAML-loaded expectations, history events as
``GetDurableExecutionHistory`` returns them, log records) and one :class:`Bindings` object per
requirement, shared by Variables, Input, history, result, callback actions and logs (bindings are
never undone).

- :class:`Bindings`: ``${NAME}`` bindings, ``Variables`` (``${GEN_STR:N}``), substitution (9.3).
- :func:`match_history` / :func:`match_value`: expected vs actual history (9.3, 9.4).
- :func:`check_result`: ``ExpectedResult`` against ``GetDurableExecution`` (9.5).
- :func:`inherit_callback_names`: the async flow's name inheritance (9.6).
- :class:`CallbackAction`, :func:`parse_callback_actions`, :class:`CallbackPlanner`: which
  ``CallbackActions`` entry answers which ``CallbackStarted`` (9.7).
- :func:`check_logs`: ``ExpectedLogs`` against structured log records (9.8).

Every check returns a list of error strings (empty = success); nothing raises on a mismatch.
"""
from __future__ import annotations

import json
import random
import re
import string
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

__all__ = [
    "Bindings",
    "CallbackAction",
    "CallbackPlanner",
    "LogRecord",
    "PlannedCallback",
    "check_logs",
    "check_result",
    "inherit_callback_names",
    "is_placeholder",
    "match_history",
    "match_value",
    "parse_callback_actions",
    "parse_log_line",
]

#: A value that is entirely ``${...}``: a placeholder (unless it is a regex form).
PLACEHOLDER = re.compile(r"^\$\{(.+)\}$")
#: A value that is entirely ``${/re/}``: a regex searched in ``str(actual)``.
REGEX = re.compile(r"^\$\{/(.+)/\}$")
#: A bound name inside a string, substituted by :meth:`Bindings.substitute`.
NAME_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: The random-string variable form, ``${GEN_STR:N}``.
GEN_STR = re.compile(r"^\$\{GEN_STR:(\d+)\}$")
_GEN_STR_ALPHABET = string.ascii_lowercase + string.digits


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- bindings (9.3) --------------------------------------------------------------------------------


class Bindings:
    """The placeholder bindings of one requirement.

    ``bind_variables`` binds the ``Variables`` block; the matcher binds unbound whole-value
    placeholders to actual values; ``substitute`` replaces bound ``${NAME}`` references.
    """

    def __init__(self, values: Mapping[str, Any] | None = None, rng: random.Random | None = None):
        self.values: dict[str, Any] = dict(values or {})
        self._rng = rng or random.SystemRandom()

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __repr__(self) -> str:
        return f"Bindings({self.values!r})"

    def bind(self, name: str, value: Any) -> None:
        self.values[name] = value

    def bind_variables(self, variables: Mapping[str, Any] | None) -> None:
        """``${GEN_STR:N}`` -> N random characters of ``[a-z0-9]``; other strings are bound
        literally (no substitution); other values as ``str(value)``."""
        for name, value in (variables or {}).items():
            if isinstance(value, str):
                generated = GEN_STR.match(value)
                if generated:
                    count = int(generated.group(1))
                    value = "".join(self._rng.choice(_GEN_STR_ALPHABET) for _ in range(count))
                self.bind(str(name), value)
            else:
                self.bind(str(name), str(value))

    def substitute(self, value: Any) -> Any:
        """``value`` with every bound ``${NAME}`` inside its strings replaced by
        ``str(bound value)``, recursively through maps (values) and lists; unbound references
        stay verbatim."""
        if isinstance(value, str):
            return NAME_REFERENCE.sub(self._replacement, value)
        if isinstance(value, dict):
            return {key: self.substitute(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.substitute(item) for item in value]
        return value

    def _replacement(self, match: re.Match) -> str:
        name = match.group(1)
        if name in self.values:
            return str(self.values[name])
        return match.group(0)


def is_placeholder(value: Any) -> str | None:
    """The name of a whole-value placeholder ``${NAME}`` (``None`` for anything else, including
    the regex form ``${/re/}``)."""
    if not isinstance(value, str) or REGEX.match(value):
        return None
    match = PLACEHOLDER.match(value)
    return match.group(1) if match else None


def _regex_of(value: Any) -> re.Pattern | None:
    if not isinstance(value, str):
        return None
    match = REGEX.match(value)
    return re.compile(match.group(1)) if match else None


# -- history matching (9.4) ------------------------------------------------------------------------


def match_value(expected: Any, actual: Any, bindings: Bindings, path: str = "Value") -> list[str]:
    """Match one expected value against an actual one (rules of 9.4 step 2, first that applies):
    ``{}`` and ``'*'`` match anything; a whole placeholder binds or compares; ``${/re/}`` searches
    ``str(actual)``; maps match expected keys only (each must exist in actual); lists have equal
    length and match element-wise; anything else compares with ``==`` after substituting bound
    placeholders into an expected string."""
    errors: list[str] = []
    _match(expected, actual, bindings, path, errors)
    return errors


def _match(expected: Any, actual: Any, bindings: Bindings, path: str, errors: list[str]) -> None:
    if isinstance(expected, dict) and not expected:
        return
    if isinstance(expected, str) and expected == "*":
        return
    name = is_placeholder(expected)
    if name is not None:
        if name in bindings:
            bound = bindings[name]
            if bound != actual:
                errors.append(
                    f"{path}: placeholder ${{{name}}} is bound to {_short(bound)}, "
                    f"got {_short(actual)}"
                )
        else:
            bindings.bind(name, actual)
        return
    regex = _regex_of(expected)
    if regex is not None:
        if not regex.search(str(actual)):
            errors.append(
                f"{path}: {_short(actual)} does not match regex {regex.pattern!r}"
            )
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, expected_item in expected.items():
            if key not in actual:
                errors.append(f"{path}.{key}: key missing in actual (expected {_short(expected_item)})")
                continue
            _match(expected_item, actual[key], bindings, f"{path}.{key}", errors)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            errors.append(
                f"{path}: list length mismatch (expected {len(expected)}, got {len(actual)}): "
                f"{_short(actual)}"
            )
            return
        for index, (expected_item, actual_item) in enumerate(zip(expected, actual)):
            _match(expected_item, actual_item, bindings, f"{path}[{index}]", errors)
        return
    resolved = bindings.substitute(expected) if isinstance(expected, str) else expected
    if resolved != actual:
        errors.append(f"{path}: expected {_short(resolved)}, got {_short(actual)}")


def match_history(
    expected_events: Sequence[Mapping[str, Any]] | None,
    actual_events: Sequence[Mapping[str, Any]],
    bindings: Bindings,
) -> list[str]:
    """Match the expected (partial) events against the actual history (9.4).

    Each expected event is matched against the actual event with the same ``EventId`` (which
    pins its absolute position); actual events not listed are ignored. All errors are collected.
    """
    errors: list[str] = []
    by_id: dict[Any, Mapping[str, Any]] = {}
    for event in actual_events:
        event_id = event.get("EventId")
        if event_id is not None:
            by_id[event_id] = event
    for expected in expected_events or []:
        event_id = expected.get("EventId") if isinstance(expected, Mapping) else None
        if event_id is None:
            errors.append(f"Expected event has no EventId: {_short(expected)}")
            continue
        actual = by_id.get(event_id)
        if actual is None:
            errors.append(
                f"No actual event found for EventId={event_id} "
                f"(expected {expected.get('EventType')}; the history has {len(actual_events)} events)"
            )
            continue
        _match(expected, actual, bindings, f"Event[EventId={event_id}]", errors)
    return errors


# -- result check (9.5) ----------------------------------------------------------------------------


def check_result(
    expected_result: Mapping[str, Any] | None,
    actual_status: str | None,
    actual_result: str | None,
    bindings: Bindings,
) -> list[str]:
    """``ExpectedResult`` against the ``GetDurableExecution`` status and ``Result`` text.

    A given ``ExecutionStatus`` that differs is the only error reported; a status other than
    SUCCEEDED ends the check; a ``Result`` key compares ``json.loads(actual)`` (the raw text if
    it is not JSON, ``None`` if absent) with the substituted expected value using ``==``.
    """
    if not expected_result:
        return []
    expected_status = expected_result.get("ExecutionStatus")
    if expected_status and actual_status != expected_status:
        return [f"Expected ExecutionStatus={expected_status!r}, got {actual_status!r}"]
    if actual_status != "SUCCEEDED" or "Result" not in expected_result:
        return []
    actual: Any = None
    if actual_result is not None:
        try:
            actual = json.loads(actual_result)
        except (TypeError, ValueError):
            actual = actual_result
    expected = bindings.substitute(expected_result.get("Result"))
    if actual != expected:
        return [f"Expected Result={_short(expected)}, got {_short(actual)}"]
    return []


# -- callbacks (9.6, 9.7) --------------------------------------------------------------------------

_INHERITING_EVENT_TYPES = ("CallbackStarted", "StepStarted", "StepSucceeded")


def inherit_callback_names(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``events`` where a ``CallbackStarted``/``StepStarted``/``StepSucceeded`` event
    without ``Name`` whose parent (the operation its ``ParentId`` names) has SubType
    ``WaitForCallback`` takes the parent's Name (the async flow does this on every poll)."""
    events = [dict(event) for event in events]
    wait_for_callback_names: dict[Any, Any] = {}
    for event in events:
        if event.get("SubType") == "WaitForCallback" and event.get("Name") is not None:
            wait_for_callback_names.setdefault(event.get("Id"), event["Name"])
    for event in events:
        if (
            event.get("EventType") in _INHERITING_EVENT_TYPES
            and "Name" not in event
            and event.get("ParentId") in wait_for_callback_names
        ):
            event["Name"] = wait_for_callback_names[event["ParentId"]]
    return events


_OPERATIONS = ("success", "failure", "heartbeat")
_ERROR_KEYS = ("ErrorType", "ErrorMessage", "ErrorData", "StackTrace")


@dataclass(frozen=True)
class CallbackAction:
    """One ``CallbackActions`` entry: ``callback_name`` (exact, ``'*'`` or ``${/re/}``; bound
    placeholders are substituted when matching), ``operation`` (lower case), ``payload`` (raw
    YAML, substituted at delivery), ``delay`` (seconds)."""

    callback_name: str
    operation: str
    payload: Any = None
    delay: float = 0.0

    def matches(self, name: str, bindings: Bindings) -> bool:
        resolved = str(bindings.substitute(self.callback_name))
        if resolved == "*":
            return True
        regex = _regex_of(resolved)
        if regex is not None:
            return regex.search(name) is not None
        return resolved == name

    def success_result(self, bindings: Bindings) -> bytes | None:
        """The ``Result`` of SendDurableExecutionCallbackSuccess: ``json.dumps(payload)`` as
        bytes, ``None`` (no Result) when the payload is null."""
        payload = bindings.substitute(self.payload)
        return None if payload is None else json.dumps(payload).encode("utf-8")

    def failure_error(self, bindings: Bindings) -> dict[str, Any] | None:
        """The ``Error`` of SendDurableExecutionCallbackFailure (the payload's ErrorType,
        ErrorMessage, ErrorData, StackTrace keys; ``None`` when there are none). Raises
        :class:`ValueError` when the payload is not a map."""
        payload = bindings.substitute(self.payload)
        if payload is None:
            return None
        if not isinstance(payload, dict):
            raise ValueError(
                "a failure callback payload must be a map of ErrorType/ErrorMessage/ErrorData/"
                f"StackTrace, got {type(payload).__name__}: {payload!r}"
            )
        error = {key: payload[key] for key in _ERROR_KEYS if key in payload}
        return error or None


def parse_callback_actions(raw: Any) -> list[CallbackAction]:
    """The ``CallbackActions`` list; :class:`ValueError` for a malformed entry."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError(f"CallbackActions must be a list, got {type(raw).__name__}")
    actions = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ValueError(f"CallbackActions[{index}] must be a map")
        name = entry.get("CallbackName")
        if not name:
            raise ValueError(f"CallbackActions[{index}] requires a CallbackName")
        operation = entry.get("Operation")
        if not operation or str(operation).lower() not in _OPERATIONS:
            raise ValueError(
                f"CallbackActions[{index}]: Operation must be one of {', '.join(_OPERATIONS)}, "
                f"got {operation!r}"
            )
        actions.append(
            CallbackAction(
                callback_name=str(name),
                operation=str(operation).lower(),
                payload=entry.get("Payload"),
                delay=float(entry.get("Delay", 0) or 0),
            )
        )
    return actions


@dataclass(frozen=True)
class PlannedCallback:
    """An action to deliver to callback ``callback_id`` (started by ``event``)."""

    callback_id: str
    action: CallbackAction
    event: Mapping[str, Any]


class CallbackPlanner:
    """Decides, poll after poll, which action answers which ``CallbackStarted`` (9.7).

    :meth:`plan` looks at every ``CallbackStarted`` of the (name-inherited) history whose
    ``CallbackId`` is not handled yet, in history order, and takes the first unused action whose
    name matches the event's ``Name`` (``""`` when missing). Each action is used once. A
    callback without a matching action is marked handled, and is an error unless the file has no
    actions at all (timeout tests leave callbacks open). A ``heartbeat`` does not mark its
    callback handled, so the next poll matches it again with a later action.
    """

    def __init__(self, actions: Sequence[CallbackAction], bindings: Bindings) -> None:
        self.actions = list(actions)
        self.bindings = bindings
        self.used: set[int] = set()
        self.handled: set[str] = set()
        self.errors: list[str] = []

    def plan(self, events: Iterable[Mapping[str, Any]]) -> list[PlannedCallback]:
        """The deliveries this poll makes, in order (their delays accumulate)."""
        planned: list[PlannedCallback] = []
        for event in events:
            if event.get("EventType") != "CallbackStarted":
                continue
            callback_id = (event.get("CallbackStartedDetails") or {}).get("CallbackId")
            if not callback_id or callback_id in self.handled:
                continue
            name = event.get("Name") or ""
            index = self._first_unused(name)
            if index is None:
                if self.actions:
                    self.errors.append(
                        f"No matching CallbackAction for callback {name or '<anonymous>'!r} "
                        f"(id={callback_id})"
                    )
                self.handled.add(callback_id)
                continue
            self.used.add(index)
            action = self.actions[index]
            if action.operation != "heartbeat":
                self.handled.add(callback_id)
            planned.append(PlannedCallback(callback_id, action, event))
        return planned

    def _first_unused(self, name: str) -> int | None:
        for index, action in enumerate(self.actions):
            if index not in self.used and action.matches(name, self.bindings):
                return index
        return None


# -- logs (9.8) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRecord:
    """One log line as the log service stores it: the raw ``message`` line, its ``timestamp``
    (epoch ms) and ``ingestion_time``; ``fields`` is what the matcher sees (the JSON object, or
    ``{"message": stripped line}`` for a line that is not a JSON object)."""

    message: str
    timestamp: float = 0
    ingestion_time: float = 0

    @property
    def fields(self) -> dict[str, Any]:
        return parse_log_line(self.message)

    @property
    def key(self) -> tuple[float, float]:
        return (self.timestamp, self.ingestion_time)


def parse_log_line(line: str) -> dict[str, Any]:
    """The fields of a log line: its JSON object, or only ``message`` (stripped)."""
    text = line.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
    return {"message": text}


def _field_matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, (int, float)):
        if isinstance(actual, bool):
            return False
        if isinstance(actual, (int, float)):
            return actual == expected
        try:
            return float(str(actual).strip()) == expected
        except ValueError:
            return False
    if isinstance(expected, str):
        if len(expected) >= 2 and expected.startswith("/") and expected.endswith("/"):
            return re.search(expected[1:-1], str(actual)) is not None
        text = actual if isinstance(actual, str) else str(actual)
        return text.strip() == expected.strip()
    return str(actual) == str(expected)


def _record_matches(matcher: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    return all(key in fields and _field_matches(value, fields[key]) for key, value in matcher.items())


def _anchors(raw: Any) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    return list(raw) if isinstance(raw, list) else [raw]


def check_logs(
    expected_logs: Sequence[Mapping[str, Any]] | None,
    records: Iterable[LogRecord],
    bindings: Bindings,
    execution_arn: str | None = None,
) -> list[str]:
    """``ExpectedLogs`` against the log records (9.8).

    Only JSON records whose top-level ``durableExecutionArn`` or ``executionArn`` equals
    ``execution_arn`` count (all records when it is ``None``). Each entry (placeholders
    substituted first) is ``{match: {field: value}, count | min_count | max_count, before,
    after}``: the cardinality holds over the whole stream (default: at least one); ``after``
    anchors need a match not earlier than the anchor's last match, ``before`` anchors one not
    later than the anchor's first match (equal sort keys count as concurrent and satisfy both);
    an anchor that matches nothing is an error.
    """
    selected: list[tuple[tuple[float, float], dict[str, Any]]] = []
    for record in records:
        fields = record.fields
        if execution_arn is not None and execution_arn not in (
            fields.get("durableExecutionArn"),
            fields.get("executionArn"),
        ):
            continue
        selected.append((record.key, fields))
    selected.sort(key=lambda item: item[0])

    errors: list[str] = []
    for index, raw_entry in enumerate(expected_logs or []):
        entry = bindings.substitute(raw_entry)
        label = f"ExpectedLogs[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("match"), dict):
            errors.append(f"{label}: invalid entry (needs a 'match' map): {_short(entry)}")
            continue
        matcher = entry["match"]
        label = f"{label} {json.dumps(matcher, default=str)}"
        own = [key for key, fields in selected if _record_matches(matcher, fields)]
        count, min_count, max_count = entry.get("count"), entry.get("min_count"), entry.get("max_count")
        if count is not None:
            if len(own) != count:
                errors.append(f"{label}: expected exactly {count} record(s), got {len(own)}")
        else:
            if min_count is None and max_count is None:
                min_count = 1
            if min_count is not None and len(own) < min_count:
                errors.append(f"{label}: expected at least {min_count} record(s), got {len(own)}")
            if max_count is not None and len(own) > max_count:
                errors.append(f"{label}: expected at most {max_count} record(s), got {len(own)}")
        for relation in ("after", "before"):
            for anchor in _anchors(entry.get(relation)):
                anchor_text = json.dumps(anchor, default=str)
                if not isinstance(anchor, dict):
                    errors.append(f"{label}: invalid {relation} anchor {anchor_text}")
                    continue
                anchor_keys = [key for key, fields in selected if _record_matches(anchor, fields)]
                if not anchor_keys:
                    errors.append(f"{label}: {relation} anchor {anchor_text} matched no record")
                    continue
                if not own:
                    continue  # the cardinality check reports it (or allows none)
                if relation == "after":
                    last = anchor_keys[-1]
                    if not any(key >= last for key in own):
                        errors.append(
                            f"{label}: no matching record at or after the last record matching "
                            f"{anchor_text}"
                        )
                else:
                    first = anchor_keys[0]
                    if not any(key <= first for key in own):
                        errors.append(
                            f"{label}: no matching record at or before the first record matching "
                            f"{anchor_text}"
                        )
    return errors
