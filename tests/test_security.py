"""Security of the local service and of the package's data paths.

* ``lambda-durable serve`` binds the loopback interface unless ``--host`` says otherwise, and then
  warns that the API has no authentication.
* Callback IDs and checkpoint tokens come from a cryptographic source (``secrets``), never from
  the ``random`` module: unique, full length, every byte value used, unaffected by seeding
  ``random``.
* Request bodies are bounded: a body over ``MAX_REQUEST_BYTES`` is answered 413 before it is
  read, and the server keeps serving.
* No ``pickle``/``marshal``/``shelve`` import and no ``eval``/``exec`` call anywhere in the
  package (the CLI loads handler files through ``importlib``).
"""
from __future__ import annotations

import ast
import base64
import collections
import random
import socket
import urllib.request
from pathlib import Path

import pytest

import lambda_durable
from lambda_durable.limits import TOKEN_PATTERN

PACKAGE = Path(lambda_durable.__file__).parent


# =================================================================================================
# loopback by default
# =================================================================================================


def _serve_once(monkeypatch, capsys, argv):
    """Run ``lambda-durable serve ARGV`` until it is listening, then stop it; returns stderr."""
    from lambda_durable.cli import main
    from lambda_durable.local import server as server_module

    bound = []

    def serve_forever(self, *args, **kwargs):
        bound.append(self._httpd.server_address)
        raise KeyboardInterrupt  # as Ctrl-C would

    monkeypatch.setattr(server_module.DurableHttpServer, "serve_forever", serve_forever)
    assert main(["serve", "--port", "0", "--store", ":memory:", *argv]) == 0
    return capsys.readouterr().err, bound[0]


def test_serve_binds_loopback_by_default_without_a_warning(monkeypatch, capsys):
    err, address = _serve_once(monkeypatch, capsys, [])
    assert address[0] == "127.0.0.1"
    assert "listening on http://127.0.0.1:" in err
    assert "WARNING" not in err


def test_serve_on_another_address_needs_host_and_warns(monkeypatch, capsys):
    err, address = _serve_once(monkeypatch, capsys, ["--host", "0.0.0.0"])
    assert address[0] == "0.0.0.0"
    assert "WARNING" in err and "no authentication" in err


def test_the_server_class_defaults_to_loopback():
    from lambda_durable.local.server import DEFAULT_HOST, DurableHttpServer

    assert DEFAULT_HOST == "127.0.0.1"
    server = DurableHttpServer(port=0)
    try:
        assert server._httpd.server_address[0] == "127.0.0.1"
    finally:
        server.service.close()
        server._httpd.server_close()


# =================================================================================================
# callback IDs and tokens from a cryptographic source
# =================================================================================================


@pytest.mark.parametrize("mint", ["new_callback_id", "new_token"])
def test_ids_are_unique_full_length_and_use_every_byte_value(mint):
    from lambda_durable.testing import store

    make = getattr(store, mint)
    ids = [make() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    raw = [base64.b64decode(i, validate=True) for i in ids]
    assert all(TOKEN_PATTERN.fullmatch(i) for i in ids)
    length = len(raw[0])
    assert length >= 24 and all(len(r) == length for r in raw)  # at least 192 bits each
    # sanity of the distribution: every byte value occurs, none wildly over-represented
    counts = collections.Counter(b for r in raw for b in r)
    expected = len(raw) * length / 256
    assert len(counts) == 256
    assert max(counts.values()) < expected * 1.3 and min(counts.values()) > expected * 0.7


@pytest.mark.parametrize("mint", ["new_callback_id", "new_token"])
def test_seeding_the_random_module_does_not_repeat_ids(mint):
    from lambda_durable.testing import store

    make = getattr(store, mint)
    random.seed(1234)
    first = [make() for _ in range(5)]
    random.seed(1234)
    again = [make() for _ in range(5)]
    assert not set(first) & set(again)


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_id_and_token_minting_modules_do_not_use_random():
    from lambda_durable.testing import store

    tree = ast.parse(Path(store.__file__).read_text())
    assert "random" not in _imports(tree)
    assert "secrets" in _imports(tree)


def test_callback_ids_issued_by_the_service_are_cryptographic():
    import json

    from lambda_durable import durable_execution
    from lambda_durable.testing import DurableFunctionTestRunner

    @durable_execution
    def handler(event, context):
        return [context.create_callback(name=f"cb{i}").callback_id for i in range(3)]

    issued = []
    for _ in range(2):  # two services, the random module seeded alike
        random.seed(7)
        with DurableFunctionTestRunner(handler) as runner:
            result = runner.run()
        issued.extend(json.loads(result.result))
    assert len(set(issued)) == 6
    assert all(len(base64.b64decode(i)) >= 24 for i in issued)


# =================================================================================================
# bounded request bodies
# =================================================================================================


@pytest.fixture(scope="module")
def http_server():
    from lambda_durable.local.server import DurableHttpServer

    server = DurableHttpServer("127.0.0.1", 0, skip_time=True, execution_timeout=30)
    with server:
        yield server


def _status_of(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize(
    "path",
    [
        "/2015-03-31/functions/any/invocations",
        "/2025-12-01/durable-executions/arn/checkpoint",
        "/2025-12-01/durable-execution-callbacks/id/succeed",
    ],
)
def test_oversized_request_body_is_refused_with_413_before_it_is_read(http_server, path):
    from lambda_durable.local.server import MAX_REQUEST_BYTES

    host, port = http_server.url[len("http://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        # only the headers are sent: a server that tried to read the body would wait forever
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n".encode()
        )
        reply = _status_of(sock)
    assert reply.startswith(b"HTTP/1.1 413")
    assert b"RequestTooLargeException" in reply or b"413" in reply


def test_server_keeps_serving_after_an_oversized_body(http_server):
    from lambda_durable.local.server import MAX_REQUEST_BYTES

    host, port = http_server.url[len("http://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_REQUEST_BYTES * 10}\r\n\r\n".encode())
        assert _status_of(sock).startswith(b"HTTP/1.1 413")
    try:
        urllib.request.urlopen(http_server.url + "/2025-12-01/durable-executions/nope", timeout=5)
    except urllib.error.HTTPError as error:
        assert error.code == 404  # an ordinary answer: the server is alive


def test_chunked_bodies_are_refused(http_server):
    host, port = http_server.url[len("http://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /2015-03-31/functions/any/invocations HTTP/1.1\r\nHost: x\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        reply = _status_of(sock)
    assert reply.startswith(b"HTTP/1.1 400")


# =================================================================================================
# no pickle / eval / exec on data paths
# =================================================================================================

FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "jsonpickle"}
FORBIDDEN_CALLS = {"eval", "exec"}


def _package_sources() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30  # the whole package, not an empty glob
    return files


def test_no_module_imports_a_serializer_that_runs_code():
    offenders = {}
    for path in _package_sources():
        found = _imports(ast.parse(path.read_text(), str(path))) & FORBIDDEN_MODULES
        if found:
            offenders[str(path.relative_to(PACKAGE))] = sorted(found)
    assert offenders == {}


def test_no_eval_or_exec_calls_and_no_unsafe_yaml():
    offenders = []
    for path in _package_sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in FORBIDDEN_CALLS or name in ("unsafe_load", "__import__"):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}()")
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("load", "loads")
                and isinstance(func.value, ast.Name)
                and func.value.id in FORBIDDEN_MODULES | {"yaml"}
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {func.value.id}.{func.attr}()")
    assert offenders == []


def test_the_scan_would_catch_a_forbidden_call():
    """The checks above can fail: the same scan on a small sample finds each construct."""
    sample = "import pickle\nfrom marshal import loads\nx = eval('1')\nexec('y = 2')\npickle.loads(b'')\n"
    tree = ast.parse(sample)
    assert _imports(tree) & FORBIDDEN_MODULES == {"pickle", "marshal"}
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
    names = {f.id if isinstance(f, ast.Name) else f.attr for f in calls}
    assert {"eval", "exec", "loads"} <= names


def test_cli_loads_handler_files_with_importlib():
    cli = ast.parse((PACKAGE / "cli.py").read_text())
    assert "importlib" in _imports(cli)
    attrs = {n.attr for n in ast.walk(cli) if isinstance(n, ast.Attribute)}
    assert "spec_from_file_location" in attrs and "exec_module" in attrs
