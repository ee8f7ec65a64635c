"""``lambda-durable serve``: the HTTP emulator driven by the real boto3 client over loopback."""
from __future__ import annotations

import json
import socket
import textwrap
import time
import urllib.request

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from lambda_durable.cli import _load_handler, main  # noqa: E402
from lambda_durable.local.server import MAX_REQUEST_BYTES, DurableHttpServer  # noqa: E402

pytest.importorskip("lambda_durable.execution")

WORKFLOW = """
import json

from lambda_durable.execution import durable_execution
from lambda_durable.config import CallbackConfig, Duration, StepConfig
from lambda_durable.retries import RetryDecision

ATTEMPTS = []


def retry_once(error, attempts_made):
    return RetryDecision.retry(Duration(5)) if attempts_made < 2 else RetryDecision.no_retry()


def flaky(_):
    ATTEMPTS.append(1)
    if len(ATTEMPTS) < 2:
        raise RuntimeError("first attempt fails")
    return "charged"


@durable_execution
def handler(event, context):
    charged = context.step(flaky, name="charge", config=StepConfig(retry_strategy=retry_once))
    context.wait(Duration.from_seconds(30), name="cool-off")
    callback = context.create_callback(
        name="approval", config=CallbackConfig(timeout=Duration.from_hours(1))
    )
    approval = json.loads(callback.result())  # create_callback passes the raw text through
    return {"order": event["order"], "charged": charged, "approval": approval}
"""

QUICK = """
from lambda_durable.execution import durable_execution


@durable_execution
def handler(event, context):
    return context.step(lambda _: event.get("n", 0) * 2, name="double")
"""


def client(url: str):
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def server(tmp_path):
    (tmp_path / "order_flow.py").write_text(textwrap.dedent(WORKFLOW))
    (tmp_path / "quick_flow.py").write_text(textwrap.dedent(QUICK))
    srv = DurableHttpServer("127.0.0.1", 0, skip_time=True, execution_timeout=60)
    srv.register_function("orders", _load_handler(str(tmp_path / "order_flow.py"))[0])
    srv.register_function("quick", _load_handler(str(tmp_path / "quick_flow.py"))[0])
    with srv:
        yield srv


def poll(fn, predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while True:
        value = fn()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached; last value: {value!r}")
        time.sleep(0.02)


def test_full_workflow_over_http_with_a_callback_answered_by_another_client(server):
    lam = client(server.url)
    started = lam.invoke(
        FunctionName="orders",
        InvocationType="Event",
        DurableExecutionName="order-1",
        Payload=json.dumps({"order": 7}).encode(),
    )
    assert started["StatusCode"] == 202
    arn = started["DurableExecutionArn"]
    assert "/durable-execution/order-1/" in arn

    def callback_ids():
        events = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        return [e["CallbackStartedDetails"]["CallbackId"] for e in events if e["EventType"] == "CallbackStarted"]

    (callback_id,) = poll(callback_ids, bool)
    running = lam.get_durable_execution(DurableExecutionArn=arn)
    assert running["Status"] == "RUNNING" and running["DurableExecutionName"] == "order-1"

    other = client(server.url)  # the outside world answering the callback
    other.send_durable_execution_callback_success(
        CallbackId=callback_id, Result=json.dumps({"approved": True}).encode()
    )
    done = poll(
        lambda: lam.get_durable_execution(DurableExecutionArn=arn),
        lambda d: d["Status"] != "RUNNING",
    )
    assert done["Status"] == "SUCCEEDED", done
    assert json.loads(done["Result"]) == {"order": 7, "charged": "charged", "approval": {"approved": True}}
    assert done["StartTimestamp"].tzinfo is not None and done["EndTimestamp"] >= done["StartTimestamp"]

    events = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    types = [e["EventType"] for e in events]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    for expected in ("StepFailed", "StepSucceeded", "WaitStarted", "WaitSucceeded",
                     "CallbackStarted", "CallbackSucceeded"):
        assert expected in types, types
    assert [e["EventId"] for e in events] == sorted(e["EventId"] for e in events)
    newest_first = lam.get_durable_execution_history(DurableExecutionArn=arn, ReverseOrder=True)
    assert newest_first["Events"][0]["EventType"] == "ExecutionSucceeded"
    page = lam.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=2)
    assert len(page["Events"]) == 2 and page["NextMarker"]
    rest = lam.get_durable_execution_history(DurableExecutionArn=arn, Marker=page["NextMarker"])
    assert len(page["Events"]) + len(rest["Events"]) == len(events)

    listed = lam.list_durable_executions_by_function(FunctionName="orders")["DurableExecutions"]
    assert [(x["DurableExecutionArn"], x["Status"]) for x in listed] == [(arn, "SUCCEEDED")]
    assert lam.list_durable_executions_by_function(FunctionName="orders", Statuses=["RUNNING"])[
        "DurableExecutions"
    ] == []

    # a second answer: the callback is no longer open
    with pytest.raises(ClientError) as info:
        other.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"1")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_request_response_invoke_waits_for_the_end(server):
    lam = client(server.url)
    out = lam.invoke(FunctionName="quick", Payload=b'{"n": 21}', DurableExecutionName="q1")
    assert out["StatusCode"] == 200
    assert json.loads(out["Payload"].read()) == 42
    assert out["DurableExecutionArn"].split("/")[-2] == "q1"
    with pytest.raises(lam.exceptions.DurableExecutionAlreadyStartedException):
        lam.invoke(FunctionName="quick", Payload=b"{}", DurableExecutionName="q1")


def test_the_same_named_request_again_is_idempotent(server):
    """The execution name is the idempotency key: the same name with the same payload is the same
    execution (a retried request), with another payload an error."""
    lam = client(server.url)
    first = lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b'{"order": 9}',
                       DurableExecutionName="o9")
    again = lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b'{"order": 9}',
                       DurableExecutionName="o9")
    assert again["StatusCode"] == 202 and again["DurableExecutionArn"] == first["DurableExecutionArn"]
    listed = lam.list_durable_executions_by_function(FunctionName="orders")["DurableExecutions"]
    assert [e["DurableExecutionName"] for e in listed].count("o9") == 1
    with pytest.raises(lam.exceptions.DurableExecutionAlreadyStartedException):
        lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b'{"order": 10}',
                   DurableExecutionName="o9")
    done = lam.invoke(FunctionName="quick", Payload=b'{"n": 1}', DurableExecutionName="q2")
    repeated = lam.invoke(FunctionName="quick", Payload=b'{"n": 1}', DurableExecutionName="q2")
    assert json.loads(repeated["Payload"].read()) == json.loads(done["Payload"].read()) == 2
    assert repeated["DurableExecutionArn"] == done["DurableExecutionArn"]


def test_stop_and_callback_failure(server):
    lam = client(server.url)
    arn = lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b'{"order": 1}')[
        "DurableExecutionArn"
    ]
    poll(
        lambda: [e for e in lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
                 if e["EventType"] == "CallbackStarted"],
        bool,
    )
    stopped = lam.stop_durable_execution(
        DurableExecutionArn=arn, Error={"ErrorType": "Cancelled", "ErrorMessage": "by test"}
    )
    assert stopped["StopTimestamp"].tzinfo is not None
    done = lam.get_durable_execution(DurableExecutionArn=arn)
    assert done["Status"] == "STOPPED" and done["Error"]["ErrorType"] == "Cancelled"


def test_error_shapes(server):
    lam = client(server.url)
    unknown = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/x/y"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as info:
        lam.get_durable_execution(DurableExecutionArn=unknown)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert unknown in info.value.response["Error"]["Message"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_durable_execution_history(DurableExecutionArn=unknown)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="nope", Payload=b"{}")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.send_durable_execution_callback_heartbeat(CallbackId="AAAA")
    # bad requests: a stale checkpoint token, an invalid JSON payload
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as info:
        lam.checkpoint_durable_execution(DurableExecutionArn=unknown, CheckpointToken="abc")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.invoke(FunctionName="quick", Payload=b"{not json")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.invoke(FunctionName="quick", Payload=b"{}", DurableExecutionName="bad name!")


def _raw(url: str, method: str, path: str, body: bytes = b"", headers=None):
    request = urllib.request.Request(url + path, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_raw_error_shape_and_body_limit(server):
    status, headers, body = _raw(server.url, "GET", "/2025-12-01/durable-executions/nope")
    assert status == 404
    assert headers["X-Amzn-ErrorType"] == "ResourceNotFoundException"
    assert json.loads(body)["Type"] == "User"
    # an oversized body is refused before it is read
    host, port = server.url[len("http://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /2015-03-31/functions/quick/invocations HTTP/1.1\r\nHost: x\r\n"
            + f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n".encode()
        )
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413") and b"RequestTooLargeException" in reply


def test_cli_serve_refuses_no_function_files(tmp_path, capsys):
    assert main(["serve", "--function", "x=" + str(tmp_path / "missing.py"), "--port", "0"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_cli_serve_history_and_callback_commands(tmp_path):
    """``lambda-durable serve`` in its own process; ``callback succeed`` and ``history`` as clients."""
    import re
    import subprocess
    import sys

    (tmp_path / "order_flow.py").write_text(textwrap.dedent(WORKFLOW))
    cli = [sys.executable, "-m", "lambda_durable.cli"]
    proc = subprocess.Popen(
        cli + ["serve", "--port", "0", "--skip-time", "--store", str(tmp_path / "store.db"),
               "--function", f"orders={tmp_path / 'order_flow.py'}"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stderr.readline()
        url = re.search(r"listening on (http://\S+)", line).group(1)
        lam = client(url)
        arn = lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b'{"order": 3}')[
            "DurableExecutionArn"
        ]
        events = poll(
            lambda: [e for e in lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
                     if e["EventType"] == "CallbackStarted"],
            bool,
        )
        callback_id = events[0]["CallbackStartedDetails"]["CallbackId"]
        answered = subprocess.run(
            cli + ["callback", "succeed", callback_id, "--result", '{"approved": true}', "--endpoint-url", url],
            capture_output=True, text=True, timeout=30,
        )
        assert answered.returncode == 0, answered.stderr
        poll(lambda: lam.get_durable_execution(DurableExecutionArn=arn)["Status"], lambda s: s == "SUCCEEDED")
        shown = subprocess.run(cli + ["history", arn, "--endpoint-url", url],
                               capture_output=True, text=True, timeout=30)
        assert shown.returncode == 0, shown.stderr
        assert "CallbackSucceeded" in shown.stdout or "callback" in shown.stdout.lower()
        again = subprocess.run(
            cli + ["callback", "heartbeat", callback_id, "--endpoint-url", url],
            capture_output=True, text=True, timeout=30,
        )
        assert again.returncode == 1 and "InvalidParameterValueException" in again.stderr
    finally:
        proc.terminate()
        proc.wait(10)


def test_event_invoke_of_a_plain_function_is_queued_with_202(server):
    ran = []
    server.register_function("plain", lambda event, context: ran.append(event) or {"ok": True})
    lam = client(server.url)
    queued = lam.invoke(FunctionName="plain", InvocationType="Event", Payload=b'{"n": 1}')
    assert queued["StatusCode"] == 202 and queued["Payload"].read() == b""
    poll(lambda: list(ran), lambda seen: seen == [{"n": 1}])
    answered = lam.invoke(FunctionName="plain", Payload=b'{"n": 2}')
    assert answered["StatusCode"] == 200 and json.loads(answered["Payload"].read()) == {"ok": True}
