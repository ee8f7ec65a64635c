"""Runs one conformance requirement on the local durable execution service (protocol.md 9.6).

:func:`run_requirement` loads a requirement file, binds its ``Variables``, runs ``handler`` on a
:class:`~lambda_durable.testing.DurableFunctionTestRunner` with the substituted ``Input``, answers
callbacks as the file's ``CallbackActions`` say, then checks the history (9.4), the result (9.5)
and the logs (9.8) with :mod:`.matcher`, and returns a :class:`RequirementResult`.

How the run is driven (the emulator form of both flows of 9.6): the execution runs to quiescence
on the virtual clock, invocations one after the other. Whenever nothing can run and the driver
would skip the clock to the next timer, the runner looks at the history first (as the official
runner does on each poll): every new ``CallbackStarted`` gets its action (9.7), scheduled at "now
+ the delays accumulated so far in this poll", and a delivery due before that timer is made
first, at its own virtual instant. So deliveries happen only between invocations, and a callback
timeout, a wait or a retry timer that falls due before a delivery fires first, as on the real
service. ``AsyncInvoke`` files additionally get the async flow's name inheritance on the matched
history; without ``ExpectedResult`` they are checked on history only (an execution left waiting on
a callback nobody answers is then not an error).

Logs: while the execution runs, ``logging`` records (formatted as the Lambda runtime's JSON log
format: ``timestamp``, ``level``, ``message``, ``logger``, plus every ``extra`` field such as the
SDK logger's ``executionArn``) and lines written to ``sys.stdout``/``sys.stderr`` are recorded with
the virtual time; :func:`~.matcher.check_logs` keeps the JSON ones that carry the execution's ARN.

``KNOWN_DISPUTED`` lists requirements whose expected history contradicts the service contract
(id -> the reason, one sentence): their failures are reported as expected failures.
"""
from __future__ import annotations

import collections
import datetime
import io
import json
import logging
import math
import os
import random
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml

from lambda_durable.testing import DurableFunctionTestRunner, VirtualClock
from lambda_durable.testing.history import jsonable

from .matcher import (
    Bindings,
    CallbackPlanner,
    LogRecord,
    PlannedCallback,
    check_logs,
    check_result,
    inherit_callback_names,
    match_history,
    parse_callback_actions,
)

__all__ = [
    "ENV_VAR",
    "KNOWN_DISPUTED",
    "LogCapture",
    "RequirementResult",
    "conformance_dir",
    "load_requirement",
    "requirement_files",
    "run_requirement",
]

#: The environment variable naming the requirements directory.
ENV_VAR = "LAMBDA_DURABLE_CONFORMANCE_DIR"

#: Requirements whose expected history contradicts the service contract: id -> why (one
#: sentence). Their failures are expected failures; keep this empty or nearly.
KNOWN_DISPUTED: dict[str, str] = {}

#: Wall-clock seconds one requirement's execution may take (the runner's execution timeout)
#: unless its handler module's RUNNER_OPTIONS say otherwise.
DEFAULT_EXECUTION_TIMEOUT = 120

_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})


# -- requirement files -----------------------------------------------------------------------------


def conformance_dir() -> Path | None:
    """The requirements directory from :data:`ENV_VAR` (``None`` when unset or not a directory;
    a relative path is taken from the current directory)."""
    value = os.environ.get(ENV_VAR)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_dir() else None


def _sort_key(path: Path) -> tuple:
    parts = path.stem.split("-")
    return tuple(int(p) if p.isdigit() else 10**9 for p in parts) + (path.stem,)


def requirement_files(directory: Path | str) -> list[Path]:
    """The requirement files under ``directory`` (``<suite>/<id>.yaml``), by suite number then
    requirement number."""
    return sorted(Path(directory).glob("*/*.yaml"), key=_sort_key)


def load_requirement(path: Path | str) -> dict[str, Any]:
    """The parsed requirement file (``yaml.safe_load``)."""
    with open(path, encoding="utf-8") as stream:
        data = yaml.safe_load(stream)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a requirement (a YAML map is expected)")
    return data


# -- the virtual clock with a hook -----------------------------------------------------------------


class _ConformanceClock(VirtualClock):
    """The service's virtual clock; before the driver skips it to the next timer, ``on_idle``
    (``callable(clock, target) -> seconds skipped or None``) may act first (deliver a callback
    action at its own, earlier instant). The driver only skips when nothing can run, so what the
    hook does happens between invocations."""

    def __init__(self) -> None:
        super().__init__()
        self.on_idle: Callable[[_ConformanceClock, float], float | None] | None = None

    def advance_to(self, instant: float) -> float:
        hook = self.on_idle
        if hook is not None:
            skipped = hook(self, instant)
            if skipped is not None:
                return skipped
        return super().advance_to(instant)

    def skip_to(self, instant: float) -> float:
        """Move to ``instant`` without consulting the hook."""
        return super().advance_to(instant)


class _CallbackDeliveries:
    """The external system of 9.7 on the virtual clock: plans actions for new callbacks (one
    poll when no delivery is pending) and delivers each at poll time + accumulated delays."""

    def __init__(self, runner: DurableFunctionTestRunner, planner: CallbackPlanner, events: list):
        self.runner = runner
        self.planner = planner
        self.events = events  # the root execution's history, appended live (on_event)
        self.queue: collections.deque[tuple[float, PlannedCallback]] = collections.deque()
        self.errors: list[str] = []
        self.sent = 0

    def on_idle(self, clock: _ConformanceClock, target: float) -> float | None:
        if not self.queue:
            planned = self.planner.plan(inherit_callback_names(list(self.events)))
            due = clock.time()
            for item in planned:
                due += item.action.delay
                self.queue.append((due, item))
        if not self.queue:
            return None
        due, item = self.queue[0]
        if due > target:
            return None
        skipped = clock.skip_to(due)
        self.queue.popleft()
        self._deliver(item)
        return skipped

    def flush(self, clock: _ConformanceClock) -> None:
        """Make the deliveries still scheduled once the execution has ended (the official runner
        sends what a poll planned even when the execution ends meanwhile; the service refuses
        them, which is reported)."""
        while self.queue:
            due, item = self.queue.popleft()
            clock.skip_to(due)
            self._deliver(item)

    def _deliver(self, item: PlannedCallback) -> None:
        action, callback_id = item.action, item.callback_id
        bindings = self.planner.bindings
        try:
            if action.operation == "success":
                self.runner.send_callback_success(callback_id, action.success_result(bindings))
            elif action.operation == "failure":
                self.runner.send_callback_failure(callback_id, action.failure_error(bindings))
            else:
                self.runner.send_callback_heartbeat(callback_id)
            self.sent += 1
        except Exception as error:  # noqa: BLE001 - reported as the official runner does
            self.errors.append(
                f"Callback {action.operation} failed for callback_id={callback_id} "
                f"({item.event.get('Name') or '<anonymous>'}): {type(error).__name__}: {error}"
            )


# -- logs ------------------------------------------------------------------------------------------

_STANDARD_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__
) | {"message", "asctime", "taskName"}


class _JsonLogHandler(logging.Handler):
    def __init__(self, capture: LogCapture) -> None:
        super().__init__(logging.NOTSET)
        self.capture = capture

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields: dict[str, Any] = {
                "timestamp": _iso(self.capture.now()),
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
            }
            if record.exc_info and record.exc_info[0] is not None:
                exc_type, exc, tb = record.exc_info
                fields["errorType"] = exc_type.__name__
                fields["errorMessage"] = str(exc)
                fields["stackTrace"] = traceback.format_tb(tb)
            for key, value in record.__dict__.items():
                if key not in _STANDARD_RECORD_ATTRIBUTES and not key.startswith("_"):
                    fields[key] = value
            self.capture.add(json.dumps(jsonable(fields), default=str))
        except Exception:  # noqa: BLE001 - logging must never break the handler
            self.handleError(record)


class _LineTee(io.TextIOBase):
    """A ``sys.stdout``/``sys.stderr`` stand-in recording complete lines (per thread)."""

    def __init__(self, capture: LogCapture, original: Any, echo: bool) -> None:
        self.capture = capture
        self.original = original
        self.echo = echo
        self._partial: dict[int, str] = {}
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.echo and self.original is not None:
            self.original.write(text)
        key = threading.get_ident()
        with self._lock:
            buffered = self._partial.pop(key, "") + text
            *lines, rest = buffered.split("\n")
            if rest:
                self._partial[key] = rest
        for line in lines:
            if line.strip():
                self.capture.add(line)
        return len(text)

    def flush(self) -> None:
        if self.echo and self.original is not None:
            self.original.flush()

    def drain(self) -> None:
        with self._lock:
            rest, self._partial = list(self._partial.values()), {}
        for line in rest:
            if line.strip():
                self.capture.add(line)


def _iso(epoch_seconds: float) -> str:
    return (
        datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class LogCapture:
    """Records the process's log output while active (a context manager): ``logging`` records
    (level INFO and above, as Lambda's default application log level) as Lambda-style JSON lines,
    and the lines written to ``sys.stdout``/``sys.stderr``. Each record gets the virtual time
    (``clock``) as timestamp and a sequence number as ingestion time. ``echo`` also forwards the
    stream output to the original streams."""

    def __init__(self, clock: VirtualClock | None = None, *, echo: bool = False) -> None:
        self.clock = clock
        self.echo = echo
        self.records: list[LogRecord] = []
        self._lock = threading.Lock()
        self._seq = 0
        self._handler: _JsonLogHandler | None = None
        self._saved: tuple[Any, Any, int] | None = None

    def now(self) -> float:
        return self.clock.time() if self.clock is not None else time.time()

    def add(self, line: str) -> None:
        with self._lock:
            self._seq += 1
            self.records.append(LogRecord(line, round(self.now() * 1000), self._seq))

    def __enter__(self) -> LogCapture:
        root = logging.getLogger()
        self._handler = _JsonLogHandler(self)
        self._saved = (sys.stdout, sys.stderr, root.level)
        root.addHandler(self._handler)
        if root.level == logging.NOTSET or root.level > logging.INFO:
            root.setLevel(logging.INFO)
        sys.stdout = _LineTee(self, sys.stdout, self.echo)  # type: ignore[assignment]
        sys.stderr = _LineTee(self, sys.stderr, self.echo)  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._saved is not None and self._handler is not None
        stdout, stderr, level = self._saved
        for tee in (sys.stdout, sys.stderr):
            if isinstance(tee, _LineTee):
                tee.drain()
        sys.stdout, sys.stderr = stdout, stderr
        root = logging.getLogger()
        root.removeHandler(self._handler)
        root.setLevel(level)


# -- results ---------------------------------------------------------------------------------------


@dataclass
class RequirementResult:
    """The verdict on one requirement: ``passed`` when ``errors`` is empty. ``optional`` and
    ``disputed`` (its :data:`KNOWN_DISPUTED` reason) tell whether a failure is excused."""

    req_id: str
    path: Path
    errors: list[str] = field(default_factory=list)
    optional: bool = False
    disputed: str | None = None
    execution_arn: str | None = None
    status: str | None = None
    result: str | None = None
    error: Any = None
    history: list[dict[str, Any]] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    bindings: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.errors

    @property
    def excused(self) -> bool:
        """A failure that does not fail the suite (optional requirement or disputed)."""
        return not self.passed and (self.optional or self.disputed is not None)

    @property
    def first_error(self) -> str:
        return self.errors[0] if self.errors else ""

    def report(self, *, history: bool = True, logs: bool = True) -> str:
        """A readable account: every error, then the execution and its actual history."""
        lines = [
            f"Requirement {self.req_id} ({self.path.parent.name}/{self.path.name}): "
            + ("PASSED" if self.passed else f"FAILED with {len(self.errors)} error(s)")
        ]
        lines += [f"  - {error}" for error in self.errors]
        lines.append(f"Execution: status={self.status} arn={self.execution_arn}")
        if self.result is not None:
            lines.append(f"  result: {self.result[:500]}")
        if self.error:
            lines.append(f"  error: {json.dumps(jsonable(self.error), default=str)[:500]}")
        if self.bindings:
            lines.append(f"Bindings: {json.dumps(jsonable(self.bindings), default=str)[:1000]}")
        if history and self.history:
            lines.append(f"Actual history ({len(self.history)} events):")
            lines += ["  " + _event_line(event) for event in self.history]
        if logs and self.logs:
            lines.append(f"Captured log lines ({len(self.logs)}):")
            lines += [f"  {record.message[:300]}" for record in self.logs[:60]]
        return "\n".join(lines)


def _event_line(event: Mapping[str, Any]) -> str:
    head = f"{event.get('EventId'):>3} {event.get('EventType')}"
    ident = " ".join(
        f"{key}={event[key]}" for key in ("SubType", "Name", "Id", "ParentId") if key in event
    )
    details = {k: v for k, v in event.items() if k.endswith("Details")}
    text = json.dumps(jsonable(details), default=str)
    if len(text) > 400:
        text = text[:397] + "..."
    return f"{head} {ident} {text}".rstrip()


# -- running ---------------------------------------------------------------------------------------


def run_requirement(
    path: Path | str,
    handler: Callable[..., Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
    *,
    runner_options: Mapping[str, Any] | None = None,
    rng: random.Random | None = None,
    echo_output: bool = False,
) -> RequirementResult:
    """Run requirement file ``path`` with ``handler`` (a ``@durable_execution`` handler) on the
    local service and check it; never raises for a failing requirement (an exception of the
    runner or the service is reported as an error).

    ``functions``: chained-invoke targets, registered with ``runner.register_function``.
    ``runner_options``: keyword arguments for :class:`DurableFunctionTestRunner` (its
    ``execution_timeout`` defaults to :data:`DEFAULT_EXECUTION_TIMEOUT` wall-clock seconds).
    ``rng``: the random source of ``${GEN_STR:N}``. ``echo_output``: also print what the
    handler writes to stdout/stderr.
    """
    path = Path(path)
    req_id = path.stem
    outcome = RequirementResult(req_id=req_id, path=path, disputed=KNOWN_DISPUTED.get(req_id))
    try:
        spec = load_requirement(path)
    except Exception as error:  # noqa: BLE001
        outcome.errors.append(f"cannot load {path}: {type(error).__name__}: {error}")
        return outcome
    outcome.optional = bool(spec.get("optional", False))
    bindings = Bindings(rng=rng)
    try:
        _run(spec, outcome, bindings, handler, functions or {}, dict(runner_options or {}), echo_output)
    except Exception as error:  # noqa: BLE001 - a crash of the runner is a failed requirement
        outcome.errors.append(
            f"runner error: {type(error).__name__}: {error}\n"
            + "".join(traceback.format_exception(type(error), error, error.__traceback__))
        )
    outcome.bindings = dict(bindings.values)
    return outcome


def _run(
    spec: dict[str, Any],
    outcome: RequirementResult,
    bindings: Bindings,
    handler: Callable[..., Any],
    functions: Mapping[str, Callable[..., Any]],
    options: dict[str, Any],
    echo_output: bool,
) -> None:
    bindings.bind_variables(spec.get("Variables"))
    input_payload = json.dumps(bindings.substitute(spec.get("Input")))
    is_async = bool(spec.get("AsyncInvoke", False))
    expected_result = spec.get("ExpectedResult")
    history_only = is_async and expected_result is None  # 9.6: async flow without ExpectedResult
    actions = parse_callback_actions(spec.get("CallbackActions"))

    for reserved in ("on_event", "stop_on_unanswered_callback", "store"):
        if reserved in options:
            raise ValueError(f"RUNNER_OPTIONS may not set {reserved!r}: the conformance runner owns it")
    options.setdefault("execution_timeout", DEFAULT_EXECUTION_TIMEOUT)
    events: list[dict[str, Any]] = []
    clock = _ConformanceClock()
    runner = DurableFunctionTestRunner(handler, on_event=events.append, **options)
    # The conformance clock replaces the service's before any execution exists (the service takes
    # a clock as a constructor argument; the runner does not expose it).
    runner.service.clock = clock
    planner = CallbackPlanner(actions, bindings)
    deliveries = _CallbackDeliveries(runner, planner, events)
    clock.on_idle = deliveries.on_idle
    with runner:
        for name, function in functions.items():
            runner.register_function(name, function)
        with LogCapture(clock, echo=echo_output) as capture:
            try:
                result = runner.run(
                    input=input_payload,
                    function_name=f"conformance-{outcome.req_id}",
                    execution_name=f"conformance-{outcome.req_id}",
                )
                arn = result.execution_arn
                outcome.execution_arn = arn
                # Blocked on callbacks without timers: only a delivery can move it on.
                while result.execution_status is not None and result.execution_status.value == "RUNNING":
                    if deliveries.on_idle(clock, math.inf) is None:
                        break
                    result = runner.wait_for_result(arn)
            finally:
                clock.on_idle = None
            deliveries.flush(clock)
        outcome.logs = list(capture.records)
        description = runner.service.describe_execution(arn, include_execution_data=True)
        history = runner.get_execution_history(arn, include_execution_data=True).events

    outcome.status = description.get("Status")
    outcome.result = description.get("Result")
    outcome.error = description.get("Error")
    outcome.history = inherit_callback_names(history) if is_async else history

    errors = outcome.errors
    errors.extend(planner.errors)
    errors.extend(deliveries.errors)
    if outcome.status not in _TERMINAL and not history_only:
        open_names = sorted(
            {str(c.name or c.operation_name or c.callback_id) for c in result.open_callbacks}
        )
        errors.append(
            f"the execution did not finish (status {outcome.status}): it waits on callback(s) "
            f"{', '.join(open_names) or '?'} that no CallbackAction answers"
        )
    history_errors = match_history(spec.get("ExpectedExecutionHistory"), outcome.history, bindings)
    errors.extend(history_errors)
    if not history_errors and expected_result:
        errors.extend(check_result(expected_result, outcome.status, outcome.result, bindings))
    errors.extend(check_logs(spec.get("ExpectedLogs"), outcome.logs, bindings, outcome.execution_arn))


def run_registered(path: Path | str, **kwargs: Any) -> RequirementResult | None:
    """Run requirement ``path`` with the handler the registry has for it (``None`` when there
    is none yet)."""
    from .registry import entry_for

    path = Path(path)
    entry = entry_for(path.stem)
    if entry is None:
        return None
    options = {**entry.runner_options, **kwargs.pop("runner_options", {})}
    return run_requirement(path, entry.handler, entry.functions, runner_options=options, **kwargs)


def iter_results(directory: Path | str, ids: Iterable[str] | None = None):
    """``(path, RequirementResult or None)`` for every requirement file (``ids``: only those)."""
    wanted = set(ids) if ids is not None else None
    for path in requirement_files(directory):
        if wanted is not None and path.stem not in wanted:
            continue
        try:
            yield path, run_registered(path)
        except Exception as error:  # noqa: BLE001 - a broken handler module
            failed = RequirementResult(req_id=path.stem, path=path)
            failed.errors.append(f"handler module error: {type(error).__name__}: {error}")
            yield path, failed
