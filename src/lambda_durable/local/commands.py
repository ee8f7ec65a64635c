"""The ``serve``, ``history`` and ``callback`` subcommands of ``lambda-durable``.

``serve`` runs the HTTP emulator (:mod:`lambda_durable.local.server`) on a SQLite store
(:mod:`lambda_durable.testing.sqlite_store`, ``.lambda-durable/executions.db`` unless told
otherwise), continuing the running executions the store holds. ``history`` and ``callback`` are
thin boto3 clients of any endpoint speaking the durable APIs (the emulator by default) or, with
``--store PATH``, work on a store directly: ``callback ... --store`` answers a callback of a run
left waiting by ``lambda-durable run --store`` and continues that run in this process.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any, Callable

from ..testing.sqlite_store import DEFAULT_STORE_PATH
from .server import DEFAULT_EXECUTION_TIMEOUT, DEFAULT_HOST, DEFAULT_PORT

DEFAULT_ENDPOINT = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_parsers(sub: Any) -> None:
    """Add ``serve``, ``history`` and ``callback`` to the ``lambda-durable`` subparsers."""
    serve = sub.add_parser(
        "serve",
        help="serve the durable execution APIs over HTTP",
        description="Serve the Lambda durable execution APIs and Invoke at their real REST paths, "
        "so boto3.client('lambda', endpoint_url=...) and the AWS CLI (--endpoint-url) can start "
        "and drive durable executions locally. Executions are kept in a SQLite store, saved "
        "before each call is acknowledged: stop the server at any moment, start it again on the "
        "same store (with the same --function options) and its running executions continue.",
    )
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to bind (default: {DEFAULT_HOST}; anything else exposes an "
                       "unauthenticated API and prints a warning)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"port (default: {DEFAULT_PORT}; 0 = any free port)")
    serve.add_argument("--function", action="append", default=[], metavar="NAME=FILE.py[:HANDLER]",
                       help="register a function invokable as NAME; repeatable")
    serve.add_argument("--skip-time", action="store_true",
                       help="let waits and retry delays elapse at once (callback timeouts still "
                       "follow the wall clock)")
    serve.add_argument("--store", default=DEFAULT_STORE_PATH, metavar="PATH",
                       help=f"the SQLite store (default: {DEFAULT_STORE_PATH}); ':memory:' keeps "
                       "executions in memory only (lost when the server stops)")
    serve.add_argument("--execution-timeout", type=float, default=DEFAULT_EXECUTION_TIMEOUT,
                       metavar="SECONDS", help="wall-clock seconds each execution may run "
                       f"(default: {DEFAULT_EXECUTION_TIMEOUT:g})")

    history = sub.add_parser("history", help="print the history of a durable execution")
    history.add_argument("arn", metavar="ARN")
    history.add_argument("--endpoint-url", default=DEFAULT_ENDPOINT,
                         help=f"the durable API endpoint (default: {DEFAULT_ENDPOINT})")
    history.add_argument("--json", action="store_true", dest="as_json",
                         help="print the events as JSON")
    history.add_argument("--store", default=None, metavar="PATH",
                         help="read the execution from this SQLite store instead of an endpoint")

    callback = sub.add_parser("callback", help="answer a callback: succeed, fail or heartbeat")
    callback.add_argument("action", choices=["succeed", "fail", "heartbeat"])
    callback.add_argument("callback_id", metavar="ID")
    callback.add_argument("--result", default=None, metavar="JSON",
                          help="succeed: the result (JSON text)")
    callback.add_argument("--error-type", default=None, help="fail: the error type")
    callback.add_argument("--error-message", default=None, help="fail: the error message")
    callback.add_argument("--endpoint-url", default=DEFAULT_ENDPOINT,
                          help=f"the durable API endpoint (default: {DEFAULT_ENDPOINT})")
    callback.add_argument("--store", default=None, metavar="PATH",
                          help="answer a callback of a run kept in this SQLite store ('run "
                          "--store') and continue that run here until it ends or waits again "
                          "(exit codes as for run)")


COMMANDS = ("serve", "history", "callback")


def dispatch(args: argparse.Namespace, load_handler: Callable[[str], Any], error: type[Exception]) -> int:
    """Run one of :data:`COMMANDS`; ``error`` is the CLI's one-line user-error exception."""
    if args.command == "serve":
        return _serve(args, load_handler, error)
    if args.store is not None:
        return _store_command(args, load_handler, error)
    return _client_command(args, error)


def _serve(args: argparse.Namespace, load_handler: Callable[[str], Any], error: type[Exception]) -> int:
    if not (math.isfinite(args.execution_timeout) and args.execution_timeout > 0):
        raise error("--execution-timeout must be a positive number of seconds")
    from ..cli import absolute_spec, open_store

    functions = []
    for item in args.function:
        name, sep, spec = item.partition("=")
        if not sep or not name or not spec:
            raise error(f"--function {item!r}: expected NAME=FILE.py[:HANDLER]")
        handler, display = load_handler(spec)
        functions.append((name, handler, absolute_spec(display)))
    from .server import DurableHttpServer

    if args.host not in _LOOPBACK:
        print(
            f"lambda-durable serve: WARNING: binding {args.host}: the emulator has no "
            "authentication; anyone who can reach this address can run and answer executions",
            file=sys.stderr,
        )
    try:
        server = DurableHttpServer(
            args.host, args.port, skip_time=args.skip_time, execution_timeout=args.execution_timeout
        )
    except OSError as exc:
        raise error(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    for name, handler, spec in functions:
        server.register_function(name, handler, spec=spec)
    where = "in-memory store"
    if args.store != ":memory:":
        try:
            store = open_store(args.store)
            continuing = server.attach_store(store, lambda spec: load_handler(spec)[0])
        except BaseException:
            server._httpd.server_close()
            raise
        where = f"store {args.store}, {continuing} running execution(s) continue"
    names = ", ".join(name for name, _, _ in functions) or "none"
    print(f"lambda-durable serve: listening on {server.url} (functions: {names}; {where}"
          f"{'; --skip-time' if args.skip_time else ''})", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.service.close()
        server._httpd.server_close()
    return 0


def _store_command(
    args: argparse.Namespace, load_handler: Callable[[str], Any], error: type[Exception]
) -> int:
    """``history`` or ``callback`` on a store: read it, or answer the callback and continue the
    run it belongs to (driven here, waits on the virtual clock, as ``run`` does)."""
    from ..cli import _report, open_store
    from ..testing.errors import DurableServiceError
    from ..testing.runner import execution_result
    from ..testing.service import LocalDurableService

    if os.path.isdir(args.store):
        raise error(f"--store {args.store} is a directory; give the database file")
    if not os.path.exists(args.store):
        raise error(f"no store at {args.store} ('lambda-durable run --store' or 'serve' makes one)")
    service = LocalDurableService()
    store = open_store(args.store)
    try:
        service.attach_store(store, lambda spec: load_handler(spec)[0])
        if args.command == "history":
            try:
                events = service.get_history(args.arn)
            except DurableServiceError:
                known = ", ".join(service.executions) or "none"
                raise error(f"no execution {args.arn} in {args.store} (executions: {known})") from None
            _print_history(events, args.as_json)
            return 0
        entry = service.callbacks.get(args.callback_id)
        if entry is None:
            raise error(f"no callback {args.callback_id} in {args.store}")
        root = entry[0]
        while root.parent is not None:
            root = root.parent
        if args.action != "heartbeat" and root.running and root.handler is None:
            raise error(
                f"cannot continue {root.arn} here: the store does not say which handler runs it "
                "(it was started by 'lambda-durable serve': answer the callback through the "
                "server, or restart the server on this store); nothing was changed"
            )
        try:
            if args.action == "succeed":
                if args.result is not None:
                    try:
                        json.loads(args.result)
                    except ValueError as exc:
                        raise error(f"--result is not valid JSON: {exc}") from None
                service.send_callback_success(args.callback_id, args.result)
            elif args.action == "fail":
                failure = {k: v for k, v in (("ErrorType", args.error_type),
                                             ("ErrorMessage", args.error_message)) if v is not None}
                service.send_callback_failure(args.callback_id, failure)
            else:
                service.send_callback_heartbeat(args.callback_id)
                return 0
        except DurableServiceError as exc:
            raise error(f"{exc.code}: {exc}") from None
        if root.running:
            service.drive(root, stop_on_unanswered_callback=True)
        report_args = argparse.Namespace(as_json=False, history=False, store=args.store)
        return _report(report_args, execution_result(service, root), sys.stdout, [], [])
    finally:
        service.close()
        with service.lock:
            store.close()
            service.store = None


def _print_history(events: list[dict[str, Any]], as_json: bool) -> None:
    from ..cli import format_history_table
    from ..testing.history import jsonable

    if as_json:
        print(json.dumps(jsonable(events), indent=2))
    else:
        print(format_history_table(events))


def _client(endpoint_url: str) -> Any:
    import boto3

    return boto3.client(
        "lambda",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _client_command(args: argparse.Namespace, error: type[Exception]) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = _client(args.endpoint_url)
    except ValueError as exc:  # botocore: "Invalid endpoint: ..."
        raise error(f"--endpoint-url {args.endpoint_url}: {exc}") from None
    try:
        if args.command == "history":
            events: list[dict[str, Any]] = []
            kwargs: dict[str, Any] = {"DurableExecutionArn": args.arn}
            while True:
                page = client.get_durable_execution_history(**kwargs)
                events.extend(page.get("Events", []))
                if not page.get("NextMarker"):
                    break
                kwargs["Marker"] = page["NextMarker"]
            _print_history(events, args.as_json)
            return 0
        if args.action == "succeed":
            kwargs = {"CallbackId": args.callback_id}
            if args.result is not None:
                try:
                    json.loads(args.result)
                except ValueError as exc:
                    raise error(f"--result is not valid JSON: {exc}") from None
                kwargs["Result"] = args.result.encode("utf-8")
            client.send_durable_execution_callback_success(**kwargs)
        elif args.action == "fail":
            failure = {k: v for k, v in (("ErrorType", args.error_type),
                                         ("ErrorMessage", args.error_message)) if v is not None}
            client.send_durable_execution_callback_failure(CallbackId=args.callback_id, Error=failure)
        else:
            client.send_durable_execution_callback_heartbeat(CallbackId=args.callback_id)
        return 0
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise error(f"{err.get('Code')}: {err.get('Message')}") from None
    except BotoCoreError as exc:
        raise error(str(exc)) from None
