"""An HTTP emulator speaking the Lambda durable execution APIs on their real REST paths.

:class:`DurableHttpServer` puts a :class:`~lambda_durable.testing.service.LocalDurableService`
(in-memory store) behind a stdlib :class:`http.server.ThreadingHTTPServer`, so that
``boto3.client("lambda", endpoint_url=...)`` and the AWS CLI can start and drive durable
executions locally. Paths, methods, member locations and status codes follow botocore's
``lambda`` service model (API version ``2025-12-01``, rest-json):

=========================================  ======  =====================================================
operation                                  method  path
=========================================  ======  =====================================================
Invoke                                     POST    /2015-03-31/functions/{FunctionName}/invocations
CheckpointDurableExecution                 POST    /2025-12-01/durable-executions/{arn}/checkpoint
GetDurableExecutionState                   GET     /2025-12-01/durable-executions/{arn}/state
GetDurableExecution                        GET     /2025-12-01/durable-executions/{arn}
GetDurableExecutionHistory                 GET     /2025-12-01/durable-executions/{arn}/history
ListDurableExecutionsByFunction            GET     /2025-12-01/functions/{FunctionName}/durable-executions
StopDurableExecution                       POST    /2025-12-01/durable-executions/{arn}/stop
PauseDurableExecution                      POST    /2025-12-01/durable-executions/{arn}/pause
ResumeDurableExecution                     POST    /2025-12-01/durable-executions/{arn}/resume
DeleteDurableExecution                     DELETE  /2025-12-01/durable-executions/{arn}
SendDurableExecutionCallbackSuccess        POST    /2025-12-01/durable-execution-callbacks/{id}/succeed
SendDurableExecutionCallbackFailure        POST    /2025-12-01/durable-execution-callbacks/{id}/fail
SendDurableExecutionCallbackHeartbeat      POST    /2025-12-01/durable-execution-callbacks/{id}/heartbeat
=========================================  ======  =====================================================

Timestamps in JSON bodies are epoch seconds; in query strings ISO-8601. Errors use the AWS
JSON error shape (``{"Type", "message"}``) with the ``X-Amzn-ErrorType`` header.

The handlers the server invokes talk back to it over HTTP through a real boto3 client pointed at
the server (as a deployed function talks to the service), unless ``handler_transport="inproc"``.

Time: by default every timer follows the wall clock. ``skip_time=True`` lets the durations an
execution chooses itself (waits, retry delays, wait_for_condition delays) elapse at once, while
callback timeouts keep following the wall clock (an outside caller may still answer).

Pause, resume and delete follow :meth:`LocalDurableService.pause_execution`,
:meth:`~LocalDurableService.resume_execution` and :meth:`~LocalDurableService.delete_execution`
(202; ``ExecutionTimeoutPaused`` defaults to true, as in the API); a paused execution shows
``Status`` ``PAUSING``/``PAUSED`` with ``PauseDetails`` in GetDurableExecution and in listings.

Store: in memory by default; :meth:`DurableHttpServer.attach_store` keeps executions in a
:class:`~lambda_durable.testing.sqlite_store.SqliteExecutionStore`, saved before each call is
acknowledged, so a server killed at any moment and started again on the same store continues
its running executions.
"""
from __future__ import annotations

import datetime
import json
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from ..limits import INVOKE_PAYLOAD_LIMIT_BYTES
from ..testing.errors import (
    DurableExecutionAlreadyStartedException,
    DurableServiceError,
    InvalidParameterValueException,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    ServiceException,
    TooManyRequestsException,
)
from ..testing.service import LocalDurableService, _resolve_function_name, is_durable_handler
from ..testing.store import ExecutionStatus, LambdaContext

if TYPE_CHECKING:  # pragma: no cover
    from ..testing.sqlite_store import SqliteExecutionStore

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9014
#: Largest request body accepted: the 6 MiB synchronous invoke payload limit plus a margin for
#: JSON framing. Larger bodies are answered 413 RequestTooLargeException.
MAX_REQUEST_BYTES = 6 * 1024 * 1024 + 64 * 1024
#: Largest Event (asynchronous) invoke payload (1 MiB, as a chained invoke's input).
MAX_EVENT_PAYLOAD_BYTES = INVOKE_PAYLOAD_LIMIT_BYTES
DEFAULT_EXECUTION_TIMEOUT = 3600.0
DEFAULT_MAX_RUNNING_EXECUTIONS = 1000

_API = "2025-12-01"
_INVOKE_API = "2015-03-31"
_EXECUTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_STATUSES = {s.value for s in ExecutionStatus}


class _MethodNotAllowed(DurableServiceError):
    code = "MethodNotAllowedException"
    http_status = 405


# error shapes whose message member is "Message" in the service model (the others: "message")
_CAPITAL_MESSAGE = {
    "ResourceNotFoundException",
    "ServiceException",
    "CallbackTimeoutException",
    "DurableExecutionAlreadyStartedException",
}


def _to_wire(value: Any) -> Any:
    """A response value with datetimes as epoch seconds (rest-json body timestamps)."""
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_to_wire(v) for v in value]
    return value


def _bool_param(query: dict[str, list[str]], name: str, default: bool) -> bool:
    values = query.get(name)
    if not values:
        return default
    text = values[-1].lower()
    if text not in ("true", "false"):
        raise InvalidParameterValueException(f"{name} must be true or false")
    return text == "true"


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    values = query.get(name)
    if not values:
        return default
    try:
        number = int(values[-1])
    except ValueError:
        raise InvalidParameterValueException(f"{name} must be an integer") from None
    if not low <= number <= high:
        raise InvalidParameterValueException(f"{name} must be between {low} and {high}")
    return number or default


def _time_param(query: dict[str, list[str]], name: str) -> datetime.datetime | None:
    values = query.get(name)
    if not values:
        return None
    text = values[-1]
    try:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return datetime.datetime.fromtimestamp(float(text), tz=datetime.timezone.utc)
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameterValueException(f"{name} must be an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def _page(items: list[Any], query: dict[str, list[str]]) -> tuple[list[Any], str | None]:
    """One page of ``items`` per the ``Marker`` / ``MaxItems`` query parameters."""
    max_items = _int_param(query, "MaxItems", 100, 0, 1000)
    marker = (query.get("Marker") or [""])[-1]
    offset = 0
    if marker:
        if not marker.isdigit() or int(marker) > len(items):
            raise InvalidParameterValueException(f"Invalid marker: {marker}")
        offset = int(marker)
    page = items[offset : offset + max_items]
    end = offset + len(page)
    return page, (str(end) if end < len(items) else None)


def _json_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        raise InvalidParameterValueException("The request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidParameterValueException("The request body must be a JSON object")
    return value


class DurableHttpServer:
    """The HTTP emulator: a :class:`LocalDurableService` behind a ThreadingHTTPServer.

    Args:
        host, port: where to listen (port 0 = an ephemeral port; see :attr:`url`).
        skip_time: let waits and retry delays elapse at once (callback timeouts follow the
            wall clock); False (default): every timer follows the wall clock.
        execution_timeout: wall-clock seconds each execution started by ``Invoke`` may run.
        handler_transport: ``"http"`` (default): invoked handlers checkpoint through a boto3
            client pointed at this server; ``"inproc"``: through the service directly.
        max_running_executions: more running executions than this make ``Invoke`` answer 429.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        skip_time: bool = False,
        execution_timeout: float = DEFAULT_EXECUTION_TIMEOUT,
        handler_transport: str = "http",
        max_running_executions: int = DEFAULT_MAX_RUNNING_EXECUTIONS,
        region: str = "us-east-1",
        service: LocalDurableService | None = None,
    ) -> None:
        if handler_transport not in ("http", "inproc"):
            raise ValueError("handler_transport must be 'http' or 'inproc'")
        self.service = service or LocalDurableService(skip_time=skip_time, region=region)
        self.execution_timeout = execution_timeout
        self.max_running_executions = max_running_executions
        self.handler_transport = handler_transport
        self._functions: dict[str, tuple[Callable[..., Any], bool]] = {}
        self._drivers: dict[str, threading.Thread] = {}
        self._restored: list[Any] = []  # running executions from the store, to drive at start
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._httpd = ThreadingHTTPServer((host, port), _handler_class(self))
        self._httpd.daemon_threads = True

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        if ":" in str(host):
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def register_function(
        self, name: str, handler: Callable[..., Any], spec: str | None = None
    ) -> None:
        """Make ``handler`` invokable as ``name`` (durable handlers start durable executions);
        ``spec`` (``FILE.py:HANDLER``) is kept in the store, if any."""
        durable = is_durable_handler(handler)
        self._functions[name] = (handler, durable)
        self.service.register_function(
            name, handler, durable=durable, execution_timeout=self.execution_timeout, spec=spec
        )

    def attach_store(
        self,
        store: SqliteExecutionStore,
        load_handler: Callable[[str], Callable[..., Any]] | None = None,
    ) -> int:
        """Keep executions in ``store`` (:meth:`LocalDurableService.attach_store`); the running
        executions it holds continue (re-invoked) once the server starts. Register the functions
        first. Returns how many running executions will continue."""
        restored = self.service.attach_store(store, load_handler)
        roots = [ex for ex in restored if ex.parent is None]
        for ex in roots:
            ex.background = True
        self._restored.extend(roots)
        return len(roots)

    def _start_restored(self) -> None:
        restored, self._restored = self._restored, []
        for execution in restored:
            self._spawn_driver(execution)

    def start(self) -> "DurableHttpServer":
        """Serve in a background thread; returns self."""
        self._install_handler_client()
        self._start_restored()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="lambda-durable-http", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`close` (or KeyboardInterrupt)."""
        self._install_handler_client()
        self._start_restored()
        self._httpd.serve_forever()

    def close(self) -> None:
        """Stop serving and stop the drivers (running executions stay as they are)."""
        self.service.close()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> "DurableHttpServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _install_handler_client(self) -> None:
        if self.handler_transport != "http":
            return
        import boto3
        from botocore.config import Config

        self.service.client = boto3.client(
            "lambda",
            endpoint_url=self.url,
            region_name=self.service.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 1}, read_timeout=900),
        )

    # -- Invoke -------------------------------------------------------------------------------

    def invoke(self, function_name: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        invocation_type = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            raise InvalidParameterValueException(
                f"Invalid InvocationType {invocation_type!r}: RequestResponse, Event or DryRun"
            )
        if invocation_type == "Event" and len(body) > MAX_EVENT_PAYLOAD_BYTES:
            raise RequestTooLargeException(
                f"Request must be smaller than {MAX_EVENT_PAYLOAD_BYTES} bytes for the Event "
                "invocation type"
            )
        bare, qualified = _resolve_function_name(function_name)
        entry = self._functions.get(qualified) or self._functions.get(bare)
        if entry is None:
            raise ResourceNotFoundException(
                f"Function not found: arn:aws:lambda:{self.service.region}:"
                f"{self.service.account_id}:function:{bare}"
            )
        handler, durable = entry
        try:
            text = body.decode("utf-8") if body else None
            if text is not None and text.strip():
                json.loads(text)
        except ValueError:
            raise InvalidParameterValueException("Could not parse request body into json") from None
        if invocation_type == "DryRun":
            return 204, {}, b""
        if not durable:
            if invocation_type == "Event":  # queued: run in the background, answer 202 at once
                threading.Thread(
                    target=self._invoke_plain, args=(bare, handler, text),
                    name=f"lambda-durable-event-{bare}", daemon=True,
                ).start()
                return 202, {}, b""
            return self._invoke_plain(bare, handler, text)
        name = headers.get("X-Amz-Durable-Execution-Name") or str(uuid.uuid4())
        if not _EXECUTION_NAME.fullmatch(name):
            raise InvalidParameterValueException(
                "DurableExecutionName must be 1..64 characters of [a-zA-Z0-9-_]"
            )
        with self.service.lock:
            running = sum(1 for ex in self.service.executions.values() if ex.running)
            if running >= self.max_running_executions:
                raise TooManyRequestsException(
                    f"Rate exceeded: {running} durable executions are running"
                )
            input_payload = text if text and text.strip() else None
            execution = None
            for ex in self.service.executions.values():
                if ex.parent is None and ex.function_name == bare and ex.name == name:
                    if ex.input_payload != input_payload:
                        raise DurableExecutionAlreadyStartedException(
                            f"Durable execution {name!r} of function {bare} has already been "
                            "started with another payload"
                        )
                    execution = ex  # the same request again: idempotent, the same execution
                    break
            if execution is None:
                execution = self.service.start_execution(
                    handler,
                    input_payload,
                    function_name=bare,
                    execution_name=name,
                    execution_timeout=self.execution_timeout,
                    tenant_id=headers.get("X-Amz-Tenant-Id"),
                )
                execution.background = True
                self._spawn_driver(execution)
        out_headers = {
            "X-Amz-Durable-Execution-Arn": execution.arn,
            "X-Amz-Executed-Version": "$LATEST",
        }
        if invocation_type == "Event":
            return 202, out_headers, b""
        with self.service.cond:  # its driver notifies when it ends (or the server closes)
            while execution.running and not self.service.closed:
                self.service.cond.wait()
            status, result, error = execution.status, execution.result, execution.error
        if status is ExecutionStatus.SUCCEEDED:
            return 200, out_headers, (result or "null").encode("utf-8")
        if status is ExecutionStatus.RUNNING:  # the server is shutting down
            raise ServiceException("The server stopped before the execution ended")
        out_headers["X-Amz-Function-Error"] = "Unhandled"
        error = error or {}
        payload = {
            "errorType": error.get("ErrorType") or f"Execution{status.value.title()}",
            "errorMessage": error.get("ErrorMessage") or f"The execution ended {status.value}",
        }
        return 200, out_headers, json.dumps(payload).encode("utf-8")

    def _spawn_driver(self, execution: Any) -> threading.Thread:
        thread = threading.Thread(
            target=self._drive, args=(execution,), name=f"lambda-durable-drive-{execution.name}",
            daemon=True,
        )
        with self._lock:
            self._drivers[execution.arn] = thread
        thread.start()
        return thread

    def forget_driver(self, arn: str) -> None:
        """Drop the driver thread record of execution ``arn`` (deleted)."""
        with self._lock:
            self._drivers.pop(arn, None)

    def _drive(self, execution: Any) -> None:
        try:
            self.service.drive(execution, wall_clock=True)
        except BaseException as error:  # noqa: BLE001 - report, never kill the server
            print(f"lambda-durable serve: driver of {execution.arn} failed: {error!r}", file=sys.stderr)

    def _invoke_plain(
        self, name: str, handler: Callable[..., Any], text: str | None
    ) -> tuple[int, dict[str, str], bytes]:
        event = json.loads(text) if text and text.strip() else {}
        context = LambdaContext(
            name,
            region=self.service.region,
            account_id=self.service.account_id,
            timeout_seconds=self.service.invocation_timeout,
        )
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        try:
            value = handler(event, context)
        except Exception as error:  # noqa: BLE001 - user code
            if threading.current_thread().name.startswith("lambda-durable-event-"):
                print(f"lambda-durable serve: function {name} failed: {error!r}", file=sys.stderr)
            headers["X-Amz-Function-Error"] = "Unhandled"
            body = {"errorType": type(error).__name__, "errorMessage": str(error)}
            return 200, headers, json.dumps(body).encode("utf-8")
        return 200, headers, json.dumps(value).encode("utf-8")

    # -- durable APIs --------------------------------------------------------------------------

    def list_by_function(self, function_name: str, query: dict[str, list[str]]) -> dict[str, Any]:
        bare, _ = _resolve_function_name(function_name)
        if bare not in self._functions and not any(
            ex.function_name == bare for ex in list(self.service.executions.values())
        ):
            raise ResourceNotFoundException(f"Function not found: {bare}")
        statuses = set(query.get("Statuses") or [])
        unknown = statuses - _STATUSES
        if unknown:
            raise InvalidParameterValueException(f"Invalid Statuses: {sorted(unknown)}")
        name = (query.get("DurableExecutionName") or [None])[-1]
        after = _time_param(query, "StartedAfter")
        before = _time_param(query, "StartedBefore")
        oldest_first = _bool_param(query, "ReverseOrder", False)
        with self.service.lock:
            found = [
                ex
                for ex in self.service.executions.values()
                if ex.function_name == bare
                and (not statuses or ex.api_status in statuses)
                and (name is None or ex.name == name)
                and (after is None or ex.start >= after)
                and (before is None or ex.start <= before)
            ]
            found.sort(key=lambda ex: ex.start, reverse=not oldest_first)
            items = []
            for ex in found:
                item = {
                    "DurableExecutionArn": ex.arn,
                    "DurableExecutionName": ex.name,
                    "FunctionArn": f"{ex.function_arn}:$LATEST",
                    "Status": ex.api_status,
                    "StartTimestamp": ex.start,
                }
                if ex.end is not None:
                    item["EndTimestamp"] = ex.end
                items.append(item)
        page, next_marker = _page(items, query)
        out: dict[str, Any] = {"DurableExecutions": page}
        if next_marker:
            out["NextMarker"] = next_marker
        return out

    def history(self, arn: str, query: dict[str, list[str]]) -> dict[str, Any]:
        include = _bool_param(query, "IncludeExecutionData", True)
        events = self.service.get_history(arn, include)
        if _bool_param(query, "ReverseOrder", False):
            events.reverse()
        page, next_marker = _page(events, query)
        out: dict[str, Any] = {"Events": page}
        if next_marker:
            out["NextMarker"] = next_marker
        return out


def _handler_class(server: DurableHttpServer) -> type[BaseHTTPRequestHandler]:
    service = server.service

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "lambda-durable"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        # -- plumbing ---------------------------------------------------------------------

        def _read_body(self) -> bytes:
            length_text = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self.close_connection = True
                raise InvalidParameterValueException("Chunked request bodies are not supported")
            try:
                length = int(length_text or 0)
            except ValueError:
                self.close_connection = True
                raise InvalidParameterValueException("Invalid Content-Length") from None
            if length < 0:
                self.close_connection = True
                raise InvalidParameterValueException("Invalid Content-Length")
            if length > MAX_REQUEST_BYTES:
                self.close_connection = True  # do not read (or keep) the oversized body
                raise RequestTooLargeException(
                    f"Request must be smaller than {MAX_REQUEST_BYTES} bytes"
                )
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> None:
            self.send_response(status)
            request_id = str(uuid.uuid4())
            self.send_header("x-amzn-RequestId", request_id)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)

        def _send_json(self, value: Any, status: int = 200) -> None:
            self._send(status, json.dumps(_to_wire(value)).encode("utf-8"))

        def _send_error(self, error: DurableServiceError) -> None:
            key = "Message" if error.code in _CAPITAL_MESSAGE else "message"
            body = {"Type": "Service" if error.http_status >= 500 else "User", key: error.message}
            self._send(
                error.http_status,
                json.dumps(body).encode("utf-8"),
                {"X-Amzn-ErrorType": error.code},
            )

        def _handle(self, method: str) -> None:
            try:
                body = self._read_body()
                self._route(method, body)
            except DurableServiceError as error:
                self._send_error(error)
            except Exception as error:  # noqa: BLE001 - a bug: answer 500, keep serving
                self._send_error(ServiceException(f"{type(error).__name__}: {error}"))

        # -- routing ----------------------------------------------------------------------

        def _route(self, method: str, body: bytes) -> None:
            parts = urlsplit(self.path)
            segments = [unquote(s) for s in parts.path.split("/")[1:]]
            query = parse_qs(parts.query, keep_blank_values=True)
            if not segments or segments[0] not in (_API, _INVOKE_API):
                raise ResourceNotFoundException(f"Unknown path: {parts.path}")
            version, rest = segments[0], segments[1:]

            def expect(wanted: str) -> None:
                if method != wanted:
                    raise _MethodNotAllowed(f"{method} is not allowed on {parts.path}")

            if version == _INVOKE_API:
                if len(rest) == 3 and rest[0] == "functions" and rest[2] == "invocations":
                    expect("POST")
                    status, headers, payload = server.invoke(rest[1], self.headers, body)
                    self._send(status, payload, headers)
                    return
                raise ResourceNotFoundException(f"Unknown path: {parts.path}")

            if rest[:1] == ["durable-executions"] and len(rest) in (2, 3):
                arn = rest[1]
                action = rest[2] if len(rest) == 3 else None
                if action is None and method == "DELETE":
                    deleted = service.delete_execution(arn)
                    server.forget_driver(arn)
                    self._send_json({"DeletionRequestTimestamp": deleted}, 202)
                elif action is None:
                    expect("GET")
                    include = _bool_param(query, "IncludeExecutionData", True)
                    self._send_json(service.describe_execution(arn, include))
                elif action in ("pause", "resume"):
                    expect("POST")
                    request = _json_body(body)
                    if action == "pause":
                        service.pause_execution(
                            arn,
                            request.get("Reason"),
                            request.get("ExecutionTimeoutPaused", True),
                            request.get("ClientToken"),
                        )
                    else:
                        service.resume_execution(
                            arn, request.get("Reason"), request.get("ClientToken")
                        )
                    self._send(202, b"")
                elif action == "checkpoint":
                    expect("POST")
                    request = _json_body(body)
                    updates = request.get("Updates")
                    if updates is not None and not isinstance(updates, list):
                        raise InvalidParameterValueException("Updates must be a list")
                    self._send_json(
                        service.checkpoint(
                            arn,
                            request.get("CheckpointToken"),
                            updates,
                            request.get("ClientToken"),
                        )
                    )
                elif action == "state":
                    expect("GET")
                    token = (query.get("CheckpointToken") or [None])[-1]
                    marker = (query.get("Marker") or [None])[-1]
                    max_items = _int_param(query, "MaxItems", 0, 0, 1000)
                    self._send_json(service.get_state(arn, token, marker or None, max_items or None))
                elif action == "history":
                    expect("GET")
                    self._send_json(server.history(arn, query))
                elif action == "stop":
                    expect("POST")
                    error = _json_body(body) or None
                    stopped = service.stop_execution(arn, error)
                    self._send_json({"StopTimestamp": stopped})
                else:
                    raise ResourceNotFoundException(f"Unknown path: {parts.path}")
                return

            if rest[:1] == ["durable-execution-callbacks"] and len(rest) == 3:
                expect("POST")
                callback_id, action = rest[1], rest[2]
                if action == "succeed":
                    service.send_callback_success(callback_id, body if body else None)
                elif action == "fail":
                    service.send_callback_failure(callback_id, _json_body(body) or None)
                elif action == "heartbeat":
                    service.send_callback_heartbeat(callback_id)
                else:
                    raise ResourceNotFoundException(f"Unknown path: {parts.path}")
                self._send_json({})
                return

            if (
                rest[:1] == ["functions"]
                and len(rest) == 3
                and rest[2] == "durable-executions"
            ):
                expect("GET")
                self._send_json(server.list_by_function(rest[1], query))
                return
            raise ResourceNotFoundException(f"Unknown path: {parts.path}")

    return Handler


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DurableHttpServer",
    "MAX_REQUEST_BYTES",
    "ResourceConflictException",
]
