"""The SQLite store of the local service: saved before acknowledged, only what changed, and
executions that continue after the process holding them is killed (issue #6, #8)."""
from __future__ import annotations

import datetime
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from lambda_durable import DurableContext, durable_execution
from lambda_durable.cli import main
from lambda_durable.testing import DurableFunctionTestRunner
from lambda_durable.testing.service import LocalDurableService
from lambda_durable.testing.sqlite_store import (
    SqliteExecutionStore,
    StoreError,
    StoreLockedError,
    dumps,
    loads,
)

CLI = [sys.executable, "-m", "lambda_durable.cli"]


def _counting_handler(log: list[str]):
    @durable_execution
    def handler(event, context: DurableContext):
        first = context.step(lambda _: log.append("first") or 1, name="first")
        answer = context.wait_for_callback(lambda cid, ctx: None, name="approval")
        second = context.step(lambda _: log.append("second") or 2, name="second")
        return {"first": first, "answer": json.loads(answer), "second": second}

    return handler


def test_values_round_trip_with_aware_datetimes():
    when = datetime.datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    value = {"StartTimestamp": when, "Nested": [{"At": when}], "Text": "é\u2028", "N": 1.5}
    assert loads(dumps(value)) == value
    with pytest.raises(TypeError, match="set"):
        dumps({"bad": {1}})


def test_a_run_waiting_on_a_callback_continues_in_a_new_runner_without_rerunning(tmp_path):
    path = tmp_path / "store.db"
    log: list[str] = []
    handler = _counting_handler(log)
    with DurableFunctionTestRunner(handler, store=path, stop_on_unanswered_callback=True) as runner:
        pending = runner.run(input='{"n": 1}')
        assert pending.status.value == "PENDING"
        arn = pending.execution_arn
        callback_id = pending.open_callbacks[0].callback_id
    assert log == ["first"]

    with DurableFunctionTestRunner(handler, store=path) as runner:
        runner.send_callback_success(callback_id, b'{"ok": true}')
        result = runner.wait_for_result(arn)
        assert result.status.value == "SUCCEEDED"
        assert json.loads(result.result) == {"first": 1, "answer": {"ok": True}, "second": 2}
        ids = [event["EventId"] for event in result.history]
        assert ids == list(range(1, len(ids) + 1))  # the history went on where it stopped
    assert log == ["first", "second"]  # 'first' was not run again

    with DurableFunctionTestRunner(handler, store=path) as runner:  # and it is all still there
        kept = runner.get_result(arn)
        assert kept.status.value == "SUCCEEDED" and kept.result == result.result


def test_a_store_is_held_by_one_process_at_a_time(tmp_path):
    path = tmp_path / "store.db"
    with SqliteExecutionStore(path):
        with pytest.raises(StoreLockedError, match="in use by another process"):
            SqliteExecutionStore(path)
    SqliteExecutionStore(path).close()  # released on close


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the bytes of a SQLite database" * 100)
    with pytest.raises(StoreError, match="is not a lambda_durable store"):
        SqliteExecutionStore(path)
    other = tmp_path / "newer.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema', '99')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema 99"):
        SqliteExecutionStore(other)


def test_each_checkpoint_writes_only_what_it_changed(tmp_path):
    """The rows one checkpoint writes do not grow with the history (no rewrite of old data)."""
    store = SqliteExecutionStore(tmp_path / "store.db")
    changes: dict[int, int] = {}

    @durable_execution
    def handler(event, context: DurableContext):
        for i in range(200):
            context.step(lambda _: i, name=f"s{i}")
            if i in (10, 190):
                before = store._conn.total_changes
                context.step(lambda _: "probe", name=f"probe{i}")
                changes[i] = store._conn.total_changes - before
        return "done"

    service = LocalDurableService()
    service.attach_store(store)
    execution = service.start_execution(handler, "{}")
    service.drive(execution)
    assert execution.status.value == "SUCCEEDED"
    assert changes[10] == changes[190] and changes[10] <= 6, changes
    store.close()


def test_cli_run_store_then_callback_store_from_another_directory(tmp_path, capsys, monkeypatch):
    flow = tmp_path / "flow.py"
    flow.write_text(textwrap.dedent("""
        import json
        from lambda_durable import DurableContext, durable_execution

        @durable_execution
        def handler(event, context: DurableContext):
            first = context.step(lambda _: open(event["log"], "a").write("first\\n") and 1, name="first")
            got = context.wait_for_callback(lambda cid, ctx: None, name="approval")
            return {"first": first, "got": json.loads(got)}
    """))
    log = tmp_path / "steps.log"
    store = tmp_path / "runs" / "store.db"
    monkeypatch.chdir(tmp_path)
    code = main(["run", "flow.py", "--input", json.dumps({"log": str(log)}), "--store", str(store)])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    callback_id = re.search(r"callback succeed (\S+) --store", captured.err).group(1)
    arn = re.search(r"execution: (\S+)", captured.out).group(1)

    monkeypatch.chdir(tmp_path / "runs")  # "another shell": a different working directory
    code = main(["callback", "succeed", callback_id, "--store", str(store), "--result", '{"ok": 1}'])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "SUCCEEDED" in captured.out and '"ok": 1' in captured.out
    assert log.read_text() == "first\n"

    assert main(["callback", "succeed", callback_id, "--store", str(store)]) == 1
    assert "already completed" in capsys.readouterr().err
    assert main(["history", arn, "--store", str(store)]) == 0
    table = capsys.readouterr().out
    assert "CallbackSucceeded" in table and "ExecutionSucceeded" in table
    assert main(["history", "arn:nope", "--store", str(store)]) == 1
    assert "no execution arn:nope" in capsys.readouterr().err


# -- killing the process that holds the store ------------------------------------------------------

STEPS_SCRIPT = """
import sys
from lambda_durable import DurableContext, durable_execution
from lambda_durable.testing import DurableFunctionTestRunner

LOG = sys.argv[2]

def work(i):
    def body(_):
        with open(LOG, "a") as f:
            f.write(f"{i}\\n")
        print(i, flush=True)  # step i - 1 is acknowledged (eager checkpoints) when i prints
        return i
    return body

@durable_execution
def handler(event, context: DurableContext):
    return sum(context.step(work(i), name=f"s{i}") for i in range(60))

with DurableFunctionTestRunner(handler, store=sys.argv[1]) as runner:
    stored = list(runner.service.executions)
    if stored:
        print("result", runner.wait_for_result(stored[0]).result, flush=True)
    else:
        print("result", runner.run(input="{}").result, flush=True)
"""


def test_store_killed_mid_execution_keeps_every_acknowledged_step(tmp_path):
    """SIGKILL while steps checkpoint: after reopening, every step acknowledged before the kill
    is SUCCEEDED in the store and is not run again; the execution finishes."""
    script = tmp_path / "steps.py"
    script.write_text(STEPS_SCRIPT)
    store, log = str(tmp_path / "store.db"), str(tmp_path / "steps.log")
    proc = subprocess.Popen([sys.executable, str(script), store, log], stdout=subprocess.PIPE, text=True)
    acknowledged = -1
    try:
        for line in proc.stdout:
            started = int(line)
            acknowledged = started - 1
            if started >= 20:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    assert acknowledged >= 19
    with SqliteExecutionStore(store) as reopened:
        assert reopened._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        state = reopened.load()
    names = {op.get("Name"): op["Status"] for op in state.executions[0].operations}
    assert all(names[f"s{i}"] == "SUCCEEDED" for i in range(acknowledged + 1))

    done = subprocess.run([sys.executable, str(script), store, log], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"result {sum(range(60))}" in done.stdout
    runs = [int(x) for x in open(log).read().split()]
    assert sorted(set(runs)) == list(range(60))
    repeated = [i for i in set(runs) if runs.count(i) > 1]
    # only a step in flight at the kill (not acknowledged) may have run twice
    assert all(i > acknowledged for i in repeated) and len(repeated) <= 1, repeated


SERVED = """
import json
from lambda_durable import DurableContext, durable_execution
from lambda_durable.config import Duration

def note(path, text):
    with open(path, "a") as f:
        f.write(text + "\\n")
    return text

@durable_execution
def handler(event, context: DurableContext):
    log = event["log"]
    a = context.step(lambda _: note(log, "reserve"), name="reserve")
    context.wait(Duration.from_seconds(1), name="settle")
    approval = context.wait_for_callback(lambda cid, ctx: None, name="approval")
    b = context.step(lambda _: note(log, "ship"), name="ship")
    return {"a": a, "approval": json.loads(approval), "b": b}
"""


def _serve(tmp_path, store):
    proc = subprocess.Popen(
        CLI + ["serve", "--port", "0", "--skip-time", "--store", store,
               "--function", f"orders={tmp_path / 'orders.py'}"],
        stderr=subprocess.PIPE, text=True,
    )
    line = proc.stderr.readline()
    match = re.search(r"listening on (http://\S+)", line)
    assert match, line
    return proc, match.group(1), line


def _client(url):
    import boto3
    from botocore.config import Config

    return boto3.client("lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))


def _poll(fn, predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while True:
        value = fn()
        if predicate(value):
            return value
        assert time.monotonic() < deadline, f"condition not reached; last value: {value!r}"
        time.sleep(0.05)


def test_server_killed_and_restarted_on_its_store_continues_the_execution(tmp_path):
    pytest.importorskip("boto3")
    (tmp_path / "orders.py").write_text(SERVED)
    store, log = str(tmp_path / "store.db"), tmp_path / "steps.log"
    proc, url, _ = _serve(tmp_path, store)
    try:
        lam = _client(url)
        arn = lam.invoke(FunctionName="orders", InvocationType="Event",
                         Payload=json.dumps({"log": str(log)}).encode())["DurableExecutionArn"]
        started = _poll(
            lambda: [e for e in lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
                     if e["EventType"] == "CallbackStarted"],
            bool,
        )
        callback_id = started[0]["CallbackStartedDetails"]["CallbackId"]
        before = lam.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=1000)["Events"]
    finally:
        proc.send_signal(signal.SIGKILL)  # no chance to flush or clean up
        proc.wait(10)

    proc, url, banner = _serve(tmp_path, store)
    try:
        assert "1 running execution(s) continue" in banner
        lam = _client(url)
        kept = lam.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=1000)["Events"]
        assert kept[: len(before)] == before  # nothing acknowledged was lost
        lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=b'{"by": "ops"}')
        done = _poll(lambda: lam.get_durable_execution(DurableExecutionArn=arn),
                     lambda r: r["Status"] != "RUNNING")
        assert done["Status"] == "SUCCEEDED", done
        assert json.loads(done["Result"]) == {"a": "reserve", "approval": {"by": "ops"}, "b": "ship"}
        assert log.read_text().split() == ["reserve", "ship"]  # nothing ran twice
        events = lam.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=1000)["Events"]
        assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
        assert [e["EventType"] for e in events].count("WaitSucceeded") == 1
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_pause_is_kept_in_the_store_and_resume_goes_on_after_a_restart(tmp_path):
    path = tmp_path / "store.db"
    log: list[str] = []
    handler = _counting_handler(log)
    with DurableFunctionTestRunner(handler, store=path, stop_on_unanswered_callback=True) as runner:
        pending = runner.run(input="{}")
        arn, callback_id = pending.execution_arn, pending.open_callbacks[0].callback_id
        runner.pause_execution(arn)
        runner.send_callback_success(callback_id, b'"late"')  # completes while paused
    with DurableFunctionTestRunner(handler, store=path) as runner:
        assert runner.service.describe_execution(arn)["Status"] == "PAUSED"
        runner.resume_execution(arn)
        result = runner.wait_for_result(arn)
        assert result.status.value == "SUCCEEDED" and json.loads(result.result)["answer"] == "late"
        kinds = [event["EventType"] for event in result.history]
        assert kinds.count("ExecutionPaused") == 1 and kinds.count("ExecutionResumed") == 1
    assert log == ["first", "second"]


# -- what a new user gets wrong ---------------------------------------------------------------------


def test_store_commands_refuse_a_missing_store_or_a_directory_without_creating_anything(tmp_path, capsys):
    missing = tmp_path / "nope.db"
    assert main(["history", "arn:x", "--store", str(missing)]) == 1
    assert "no store at" in capsys.readouterr().err
    assert main(["callback", "succeed", "abc", "--store", str(missing)]) == 1
    assert "no store at" in capsys.readouterr().err
    assert not missing.exists() and not (tmp_path / "nope.db.lock").exists()
    assert main(["history", "arn:x", "--store", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err
    with pytest.raises(StoreError, match="is a directory"):
        SqliteExecutionStore(tmp_path)


def test_callback_store_on_an_execution_without_a_recorded_handler_changes_nothing(tmp_path, capsys):
    """An execution `serve` started records only its function name: `callback --store` cannot run
    it, so it must refuse before answering the callback (not answer it and then fail)."""
    path = tmp_path / "store.db"
    service = LocalDurableService()
    with SqliteExecutionStore(path) as store:
        service.attach_store(store)
        execution = service.start_execution(_counting_handler([]), "{}", function_name="orders")
        service.drive(execution, stop_on_unanswered_callback=True)
        callback_id = next(iter(service.callbacks))
        service.close()
    assert main(["callback", "succeed", callback_id, "--store", str(path), "--result", "1"]) == 1
    assert "nothing was changed" in capsys.readouterr().err
    with SqliteExecutionStore(path) as store:
        stored = store.load().executions[0]
    callback = next(op for op in stored.operations if op["Type"] == "CALLBACK")
    assert callback["Status"] == "STARTED"


def test_the_waiting_hint_names_the_store_by_its_absolute_path(tmp_path, capsys, monkeypatch):
    flow = tmp_path / "flow.py"
    flow.write_text(textwrap.dedent("""
        from lambda_durable import durable_execution

        @durable_execution
        def handler(event, context):
            return context.wait_for_callback(lambda cid, ctx: None, name="approval")
    """))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "flow.py", "--store", "rel/store.db"]) == 2
    assert f"--store {tmp_path / 'rel' / 'store.db'} --result" in capsys.readouterr().err


def test_pending_timers_are_kept_and_dropped_with_their_operations(tmp_path):
    from lambda_durable.config import Duration

    @durable_execution
    def handler(event, context: DurableContext):
        context.wait(Duration.from_hours(1), name="hour")
        return context.wait_for_callback(lambda cid, ctx: None, name="approval",
                                         config=_callback_config())

    path = tmp_path / "store.db"
    service = LocalDurableService(skip_time=False)
    with SqliteExecutionStore(path) as store:
        service.attach_store(store)
        execution = service.start_execution(handler, "{}")
        service._invoke(execution, execution)  # one invocation: the wait starts, then suspends
        service._commit()
        kinds = {(t[1], t[3]) for t in store.load().executions[0].timers}
        assert kinds == {("wait", 3600)}
        service.advance_time(3600)
        service.drive(execution, stop_on_unanswered_callback=True)  # the wait fires, the callback starts
        kinds = {(t[1], t[3]) for t in store.load().executions[0].timers}
        assert kinds == {("callback-timeout", 600)}
        service.close()


def _callback_config():
    from lambda_durable.config import Duration, WaitForCallbackConfig

    return WaitForCallbackConfig(timeout=Duration.from_minutes(10))
