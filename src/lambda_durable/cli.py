"""``lambda-durable``: run durable functions on the embedded local durable execution service.

    lambda-durable run FILE.py[:HANDLER] [--input JSON] [--callback NAME=JSON]...
                       [--function NAME=FILE.py[:HANDLER]]... [--history] [--json]
                       [--timeout SECONDS] [--log-level LEVEL]

``run`` loads ``HANDLER`` (default ``handler``, else ``lambda_handler``) from ``FILE.py``, runs one
execution until it ends on a virtual clock (waits and retry delays take no time), printing one
line per completed operation and per invocation, then the status and the result.

- ``--input JSON``: the execution input (default ``{}``).
- ``--callback NAME=JSON``: answer the callback named NAME (or the wait_for_callback named NAME)
  with success and that JSON result when it starts; ``*=JSON`` answers any callback. One answer
  per NAME (given twice: an error); it answers every callback of that name. A NAME that matched
  no callback by the end is reported with a warning on stderr.
- ``--function NAME=FILE.py[:HANDLER]``: register an invoke target; a ``@durable_execution``
  handler runs as its own durable execution, any other function is called with the payload.
- ``--history``: print the execution's history events as a table.
- ``--json``: print exactly one JSON document ``{"status", "result" (decoded), "error",
  "history"}`` (plus ``"waiting_for"`` when waiting on callbacks) and nothing else on stdout
  (ASCII-only: other characters are JSON ``\\uXXXX`` escapes).
- ``--timeout SECONDS``: wall-clock limit of the execution (default 900); then it ends
  ``TIMED_OUT`` even if the handler is still running.
- ``--log-level LEVEL``: when logging is not configured yet, log records (``context.logger``)
  at LEVEL and above are shown on stderr (default INFO).

Output never fails on characters the terminal's encoding lacks: they are written as backslash
escapes. Exit codes: 0 the execution succeeded; 1 it failed (or timed out), or the file, handler
or an option is bad (a one-line error on stderr); 2 it waits on a callback nothing answers (the
message names the callback and the ``--callback`` option that answers it).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import difflib
import importlib.util
import json
import logging
import math
import os
import re
import shlex
import sys
from typing import Any, Callable, Iterator, Sequence

PROG = "lambda-durable"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_WAITING = 2

#: Wall-clock seconds an execution may run before it times out (``--timeout``).
DEFAULT_TIMEOUT_SECONDS = 900
#: Format of the log records the CLI shows on stderr (``--log-level``).
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_PREVIEW_CHARS = 70
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class CliError(Exception):
    """A user error reported as one line on stderr with exit code 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 1, keep 2 for "waiting on a callback"
        self.print_usage(sys.stderr)
        self.exit(EXIT_FAILED, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Run AWS Lambda durable functions on an embedded local durable execution service.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    run = sub.add_parser(
        "run",
        help="run one durable execution until it ends",
        description="Run one durable execution on the local service until it ends. "
        "Waits and retry delays elapse on a virtual clock.",
        epilog="exit codes: 0 succeeded; 1 failed, timed out, or bad file/handler/option; "
        "2 waiting on a callback that no --callback answers",
    )
    run.add_argument("target", metavar="FILE.py[:HANDLER]", help="the durable handler to run "
                     "(HANDLER defaults to 'handler', then 'lambda_handler')")
    run.add_argument("--input", default="{}", metavar="JSON", help="execution input (default: {})")
    run.add_argument("--callback", action="append", default=[], metavar="NAME=JSON",
                     help="answer the callback (or wait_for_callback) NAME with this JSON result "
                     "('*' answers any callback); repeatable, one per NAME: the answer is used for "
                     "every callback of that name, and a NAME given twice is an error; a NAME that "
                     "matches no callback is reported with a warning at the end")
    run.add_argument("--function", action="append", default=[], metavar="NAME=FILE.py[:HANDLER]",
                     help="register an invoke target named NAME; repeatable")
    run.add_argument("--history", action="store_true", help="print the history events as a table")
    from .testing.sqlite_store import DEFAULT_STORE_PATH

    run.add_argument("--store", nargs="?", const=DEFAULT_STORE_PATH, default=None, metavar="PATH",
                     help="keep the execution in this SQLite store (default path: "
                     f"{DEFAULT_STORE_PATH}) so that a run left waiting on a callback can be "
                     "answered later, from any shell, with 'lambda-durable callback ... --store "
                     "PATH', which continues it")
    run.add_argument("--json", action="store_true", dest="as_json",
                     help="print one JSON document {status, result, error, history}, plus "
                     "waiting_for (the open callbacks, [{name, callback_id}]) when the execution "
                     "waits on a callback, and nothing else on stdout")
    run.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, metavar="SECONDS",
                     help="wall-clock seconds the execution may run, > 0; then it ends TIMED_OUT "
                     f"even if the handler is still running (default: {DEFAULT_TIMEOUT_SECONDS})")
    run.add_argument("--log-level", type=str.upper, choices=_LOG_LEVELS, default="INFO",
                     metavar="LEVEL", help="show log records (context.logger) of this level and "
                     "above on stderr, unless logging is already configured; one of "
                     f"{', '.join(_LOG_LEVELS)} (default: INFO)")
    from .local import commands as _local_commands

    _local_commands.add_parsers(sub)
    from . import layer as _layer

    _layer.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lambda-durable``; returns the exit code.

    As the process's entry point (``argv`` None), when a handler abandoned at a timeout is still
    running, the process ends at once after the report, as Lambda ends the sandbox: the
    interpreter would otherwise wait at exit for threads the handler started (a map's workers).
    """
    parser = _build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    with _tolerant_output():
        try:
            if args.command == "run":
                with _user_logging(args.log_level):
                    code, abandoned = _run(args)
                if abandoned and argv is None:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
                return code
            if args.command == "package-layer":
                from . import layer as _layer

                return _layer.run(args)
            from .local import commands as _local_commands

            if args.command in _local_commands.COMMANDS:
                return _local_commands.dispatch(args, _load_handler, CliError)
        except CliError as error:
            print(f"{PROG}: error: {error}", file=sys.stderr)
            return EXIT_FAILED
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
    return EXIT_FAILED  # pragma: no cover


@contextlib.contextmanager
def _tolerant_output() -> Iterator[None]:
    """Make stdout and stderr write characters their encoding lacks (``PYTHONIOENCODING=ascii``)
    as backslash escapes instead of raising :class:`UnicodeEncodeError`; restored on exit."""
    changed = []
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
            changed.append(stream)
    try:
        yield
    finally:
        for stream in changed:
            stream.reconfigure(errors="strict")


@contextlib.contextmanager
def _user_logging(level: str) -> Iterator[None]:
    """When the root logger has no handlers, show log records of ``level`` and above on stderr
    (``logging.basicConfig``), so ``context.logger`` lines are visible; undone on exit."""
    root = logging.getLogger()
    if root.handlers:
        yield
        return
    previous_level = root.level
    logging.basicConfig(level=level, stream=sys.stderr, format=LOG_FORMAT)
    installed = list(root.handlers)
    try:
        yield
    finally:
        for handler in installed:
            root.removeHandler(handler)
        root.setLevel(previous_level)


# -- loading handlers -----------------------------------------------------------------------------


def _split_target(spec: str) -> tuple[str, str | None]:
    """``FILE.py[:HANDLER]`` -> (path, handler name or None)."""
    path, sep, attr = spec.rpartition(":")
    if sep and path and _IDENTIFIER.fullmatch(attr):
        return path, attr
    return spec, None


def _load_module(path: str) -> Any:
    if not os.path.isfile(path):
        raise CliError(f"no such file: {path}")
    absolute = os.path.abspath(path)
    directory = os.path.dirname(absolute)
    stem = os.path.splitext(os.path.basename(absolute))[0]
    name = stem if _IDENTIFIER.fullmatch(stem) else "_lambda_durable_target"
    existing = sys.modules.get(name)
    if existing is not None:
        if os.path.abspath(getattr(existing, "__file__", "") or "") == absolute:
            return existing
        name = f"_lambda_durable_target_{abs(hash(absolute))}"
    spec = importlib.util.spec_from_file_location(name, absolute)
    if spec is None or spec.loader is None:
        raise CliError(f"cannot load {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(name, None)
        raise CliError(f"cannot load {path}: SyntaxError: {error.msg} (line {error.lineno})") from None
    except BaseException as error:  # noqa: BLE001 - any failure while importing user code
        sys.modules.pop(name, None)
        if isinstance(error, KeyboardInterrupt):
            raise
        raise CliError(f"cannot load {path}: {type(error).__name__}: {error}") from None
    return module


def _load_handler(spec: str) -> tuple[Callable[..., Any], str]:
    """The callable named by ``FILE.py[:HANDLER]`` and a display name for it."""
    path, attr = _split_target(spec)
    module = _load_module(path)
    if attr is None:
        for candidate in ("handler", "lambda_handler"):
            if hasattr(module, candidate):
                attr = candidate
                break
        else:
            raise CliError(f"{path} defines no 'handler' or 'lambda_handler'; name one as {path}:NAME")
    value = getattr(module, attr, None)
    if value is None:
        raise CliError(f"{path} has no handler {attr!r}")
    if not callable(value):
        raise CliError(f"{path}:{attr} is not callable")
    return value, f"{path}:{attr}"


def absolute_spec(display: str) -> str:
    """``FILE.py:HANDLER`` with FILE made absolute (loadable from any directory)."""
    path, attr = _split_target(display)
    return f"{os.path.abspath(path)}:{attr}" if attr else os.path.abspath(path)


def open_store(path: str) -> Any:
    """The :class:`SqliteExecutionStore` at ``path``; :class:`CliError` if it cannot be opened."""
    from .testing.sqlite_store import SqliteExecutionStore, StoreError

    try:
        return SqliteExecutionStore(path)
    except (StoreError, OSError) as error:
        raise CliError(f"--store {path}: {error}") from None


def _parse_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise CliError(f"{what} is not valid JSON: {error}") from None


# -- running --------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> tuple[int, bool]:
    """Run the execution and report it; returns the exit code and whether a handler abandoned at
    a timeout is still running."""
    _parse_json(args.input, "--input")
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise CliError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    answers: dict[str, str] = {}
    for item in args.callback:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliError(f"--callback {item!r}: expected NAME=JSON")
        _parse_json(value, f"--callback {name}")
        if name in answers:
            raise CliError(
                f"--callback {name!r} is given twice: give one answer per name "
                "(it answers every callback of that name)"
            )
        answers[name] = value.strip()
    handler, display = _load_handler(args.target)
    functions = []
    for item in args.function:
        name, sep, spec = item.partition("=")
        if not sep or not name or not spec:
            raise CliError(f"--function {item!r}: expected NAME=FILE.py[:HANDLER]")
        target, target_display = _load_handler(spec)
        functions.append((name, target, absolute_spec(target_display)))

    from .testing import DurableFunctionTestRunner, is_durable_handler, require_durable_handler

    try:
        require_durable_handler(handler, display)
    except TypeError as error:
        raise CliError(str(error)) from None

    printer = None if args.as_json else _ProgressPrinter(sys.stdout)
    from .testing.sqlite_store import StoreError

    try:
        runner = DurableFunctionTestRunner(
            handler,
            execution_timeout=args.timeout,
            on_event=printer,
            stop_on_unanswered_callback=True,
            store=args.store,  # a path: the runner opens the store and closes it with itself
            handler_spec=absolute_spec(display),
        )
    except (StoreError, OSError) as error:
        raise CliError(f"--store {args.store}: {error}") from None
    with runner:
        for name, target, spec in functions:
            durable = is_durable_handler(target)
            runner.service.register_function(
                name, target, durable=durable, spec=spec,
                **({"execution_timeout": args.timeout} if durable else {}),
            )
        for name, value in answers.items():
            runner.answer_callback(name, value)
        stem = os.path.splitext(os.path.basename(_split_target(args.target)[0]))[0]
        stdout = sys.stdout
        # in --json mode whatever the handler prints goes to stderr, also while the report is
        # written (a handler abandoned at the timeout may still be running)
        redirect = contextlib.redirect_stdout(sys.stderr) if args.as_json else contextlib.nullcontext()
        with redirect:
            result = runner.run(input=args.input, function_name=stem or "function", execution_name="local")
            warnings = _unmatched_answer_warnings(
                runner.unmatched_callback_answers(), runner.callback_names()
            )
            code = _report(args, result, stdout, warnings, list(answers))
            return code, runner.abandoned_handlers() > 0


def _unmatched_answer_warnings(unmatched: list[str], seen: list[str]) -> list[str]:
    """One warning line per ``--callback`` name that answered no callback."""
    lines = []
    for name in unmatched:
        close = difflib.get_close_matches(name, seen, n=1) if name != "*" else []
        if close:
            hint = f"did you mean {close[0]!r}?"
        elif seen:
            hint = "callbacks in this run: " + ", ".join(repr(n) for n in seen)
        else:
            hint = "no callback started in this run"
        lines.append(f"{PROG}: warning: --callback {name!r} matched no callback ({hint})")
    return lines


def _status_text(result: Any) -> str:
    if result.status.value == "PENDING":
        return "PENDING"
    status = result.execution_status
    return status.value if status is not None else result.status.value


def _decoded(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _callback_hint(name: str | None, callback_id: str, store: str | None = None) -> str:
    if store is not None:
        label = f"callback {name!r}" if name is not None else "an unnamed callback"
        return (
            f"waiting for {label} (callback id {callback_id}); the execution is kept in {store}.\n"
            f"  answer it later, from any shell, and continue the run with:\n"
            f"  {PROG} callback succeed {callback_id} --store {shlex.quote(os.path.abspath(store))} --result "
            f"{shlex.quote('{}')}   (the callback's JSON result)"
        )
    if name is None:
        return (
            f"waiting for an unnamed callback (callback id {callback_id}), which nothing answers.\n"
            f"  answer it (and any other callback) by adding: --callback {shlex.quote('*={}')}"
        )
    option = f"--callback {shlex.quote(f'{name}=' + '{}')}"
    return (
        f"waiting for callback {name!r} (callback id {callback_id}), which nothing answers.\n"
        f"  answer it by adding: {option}   (put the callback's JSON result after '=')"
    )


def _report(
    args: argparse.Namespace,
    result: Any,
    out: Any,
    warnings: list[str],
    answer_names: list[str],
) -> int:
    """Print the outcome on ``out`` (the real stdout), then ``warnings`` and, when waiting on
    callbacks, how to answer them on stderr; returns the exit code."""
    from .testing.history import jsonable

    status = _status_text(result)
    waiting = status == "PENDING"
    error = dict(result.error.to_dict()) if result.error is not None else None
    if args.as_json:
        document: dict[str, Any] = {
            "status": status,
            "result": None if waiting else _decoded(result.result),
            "error": error,
            "history": jsonable(result.history),
        }
        if getattr(args, "store", None):
            document["execution_arn"] = result.execution_arn
        if waiting:
            document["waiting_for"] = [
                {"name": c.name, "callback_id": c.callback_id} for c in result.open_callbacks
            ]
        out.write(json.dumps(document, indent=2) + "\n")
    else:
        out.write(f"status: {status}\n")
        if getattr(args, "store", None):
            out.write(f"execution: {result.execution_arn}\n")
        if status == "SUCCEEDED":
            out.write("result:\n")
            out.write(json.dumps(_decoded(result.result), indent=2, ensure_ascii=False) + "\n")
        elif error is not None:
            out.write(f"error: {_error_line(error)}\n")
            if error.get("ErrorData"):
                out.write(f"error data: {error['ErrorData']}\n")
        if args.history:
            out.write("history:\n")
            out.write(format_history_table(result.history))
    out.flush()
    for line in warnings:
        print(line, file=sys.stderr)
    if waiting:
        store = getattr(args, "store", None)
        for callback in result.open_callbacks:
            print(_callback_hint(callback.name, callback.callback_id, store), file=sys.stderr)
        if answer_names:
            given = ", ".join(repr(name) for name in answer_names)
            print(f"  (--callback was given for: {given})", file=sys.stderr)
        return EXIT_WAITING
    return EXIT_OK if status == "SUCCEEDED" else EXIT_FAILED


# -- presentation ---------------------------------------------------------------------------------


def _error_line(error: dict[str, Any] | None) -> str:
    error = error or {}
    kind = error.get("ErrorType")
    message = error.get("ErrorMessage") or ""
    return f"{kind}: {message}" if kind else message or "(no details)"


def _unwrap_envelope(value: Any) -> Any:
    """For display: unwrap the SDK's ``{"t": tag, "v": value}`` serialization envelopes."""
    if isinstance(value, dict):
        if set(value) == {"t", "v"} and isinstance(value["t"], str):
            inner = value["v"]
            if value["t"] == "m" and isinstance(inner, dict):
                return {k: _unwrap_envelope(v) for k, v in inner.items()}
            if value["t"] in ("l", "t") and isinstance(inner, list):
                return [_unwrap_envelope(v) for v in inner]
            return _unwrap_envelope(inner)
        return {k: _unwrap_envelope(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_envelope(v) for v in value]
    return value


def _preview(text: str | None, limit: int = _PREVIEW_CHARS) -> str:
    if text is None:
        return ""
    try:
        shown = json.dumps(_unwrap_envelope(json.loads(text)), ensure_ascii=False)
    except ValueError:
        shown = text
    shown = shown.replace("\n", " ")
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _label(event: dict[str, Any]) -> str:
    name = event.get("Name")
    return repr(name) if name else (event.get("Id") or "")[:12]


_KIND_BY_SUBTYPE = {
    "Map": "map",
    "MapIteration": "map item",
    "Parallel": "parallel",
    "ParallelBranch": "parallel branch",
    "WaitForCallback": "wait_for_callback",
    "WaitForCondition": "wait_for_condition",
    "RunInChildContext": "child context",
}


def _kind(event: dict[str, Any], default: str) -> str:
    return _KIND_BY_SUBTYPE.get(event.get("SubType") or "", default)


def describe_event(event: dict[str, Any]) -> str | None:
    """A one-line description of a completion or invocation event (``None`` for other events)."""
    event_type = event["EventType"]
    details = event.get(f"{event_type}Details") or {}
    label = _label(event)
    result = (details.get("Result") or {}).get("Payload")
    error = (details.get("Error") or {}).get("Payload")
    if event_type == "StepSucceeded":
        retry = details.get("RetryDetails") or {}
        attempt = retry.get("CurrentAttempt")
        if retry.get("NextAttemptDelaySeconds") is not None:
            return (f"  {_kind(event, 'step')} {label} attempt {attempt} done, next check in "
                    f"{retry['NextAttemptDelaySeconds']} s: {_preview(result)}")
        return f"  {_kind(event, 'step')} {label} succeeded (attempt {attempt}): {_preview(result)}"
    if event_type == "StepFailed":
        retry = details.get("RetryDetails") or {}
        attempt = retry.get("CurrentAttempt")
        if retry.get("NextAttemptDelaySeconds") is not None:
            return (f"  {_kind(event, 'step')} {label} attempt {attempt} failed, retrying in "
                    f"{retry['NextAttemptDelaySeconds']} s: {_error_line(error)}")
        return f"  {_kind(event, 'step')} {label} failed (attempt {attempt}): {_error_line(error)}"
    if event_type == "WaitSucceeded":
        return f"  wait {label} elapsed ({details.get('Duration')} s)"
    if event_type == "WaitCancelled":
        return f"  wait {label} cancelled"
    if event_type == "ContextSucceeded":
        return f"  {_kind(event, 'context')} {label} succeeded: {_preview(result)}"
    if event_type == "ContextFailed":
        return f"  {_kind(event, 'context')} {label} failed: {_error_line(error)}"
    if event_type == "CallbackSucceeded":
        return f"  callback {label} answered: {_preview(result)}"
    if event_type == "CallbackFailed":
        return f"  callback {label} failed: {_error_line(error)}"
    if event_type == "CallbackTimedOut":
        return f"  callback {label} timed out: {_error_line(error)}"
    if event_type == "ChainedInvokeSucceeded":
        return f"  invoke {label} succeeded: {_preview(result)}"
    if event_type in ("ChainedInvokeFailed", "ChainedInvokeTimedOut", "ChainedInvokeStopped"):
        verb = {"ChainedInvokeFailed": "failed", "ChainedInvokeTimedOut": "timed out",
                "ChainedInvokeStopped": "stopped"}[event_type]
        return f"  invoke {label} {verb}: {_error_line(error)}"
    return None


class _ProgressPrinter:
    """History listener printing one line per completed operation and per invocation."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.invocations = 0

    def __call__(self, event: dict[str, Any]) -> None:
        if event["EventType"] == "InvocationCompleted":
            self.invocations += 1
            details = event["InvocationCompletedDetails"]
            elapsed = _millis(details["EndTimestamp"] - details["StartTimestamp"])
            line = f"invocation {self.invocations} ({elapsed} ms)"
            if details.get("Error"):
                line += f" failed: {_error_line(details['Error'].get('Payload'))}"
        else:
            line = describe_event(event)
        if line is not None:
            self.stream.write(line + "\n")
            self.stream.flush()


def _millis(delta: datetime.timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def _event_summary(event: dict[str, Any]) -> str:
    event_type = event["EventType"]
    details = event.get(f"{event_type}Details") or {}
    parts = []
    for key in ("Input", "Result"):
        value = details.get(key)
        if isinstance(value, dict) and value.get("Payload") is not None:
            parts.append(f"{key.lower()} {_preview(value['Payload'], 48)}")
    error = details.get("Error")
    if isinstance(error, dict):
        parts.append(f"error {_error_line(error.get('Payload'))}")
    for key in ("Duration", "CallbackId", "FunctionName"):
        if details.get(key) is not None:
            parts.append(f"{key[0].lower() + key[1:]} {details[key]}")
    retry = details.get("RetryDetails")
    if retry:
        parts.append(f"attempt {retry.get('CurrentAttempt')}")
        if retry.get("NextAttemptDelaySeconds") is not None:
            parts.append(f"retry in {retry['NextAttemptDelaySeconds']} s")
    return ", ".join(parts)


def format_history_table(events: Sequence[dict[str, Any]]) -> str:
    """The events as a fixed-width text table: id, type, virtual seconds since the start,
    operation (name or id prefix), summary of the details."""
    if not events:
        return "  (no events)\n"
    start = events[0]["EventTimestamp"]
    rows = [("#", "EVENT", "T+SECONDS", "OPERATION", "DETAILS")]
    for event in events:
        offset = (event["EventTimestamp"] - start).total_seconds()
        name = event.get("Name") or (event.get("Id") or "")[:12]
        if len(name) > 28:
            name = name[:25] + "..."
        rows.append((str(event["EventId"]), event["EventType"], f"{offset:.3f}", name,
                     _event_summary(event)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [row[0].rjust(widths[0])] + [row[i].ljust(widths[i]) for i in range(1, 4)]
        lines.append("  " + "  ".join(cells + [row[4]]).rstrip())
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
