"""``lambda-durable run``: --timeout (stops running handlers), --callback name checks, output
encoding, --log-level and the help text."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import pytest

from lambda_durable.cli import main
from test_cli import ORDER, one_line_error, write

pytest.importorskip("lambda_durable.execution")

LOOP = """
from lambda_durable.execution import durable_execution


@durable_execution
def loop(event, context):
    while True:
        pass
"""

SLOW_STEP = """
import time
from lambda_durable.execution import durable_execution


@durable_execution
def handler(event, context):
    return context.step(lambda _: time.sleep(3) or "slept", name="slow")
"""

SLOW_MAP = """
import time
from lambda_durable.execution import durable_execution


@durable_execution
def handler(event, context):
    fan = context.map([1, 2], lambda c, x, i, xs: c.step(lambda _: time.sleep(30), name=f"nap-{i}"), name="fan")
    return fan.get_results()
"""

UNICODE = """
from lambda_durable.execution import durable_execution


@durable_execution
def handler(event, context):
    context.logger.info("caf\\u00e9 logged")
    return context.step(lambda _: "caf\\u00e9 \\u2713", name="greet")
"""

LOGGING = """
from lambda_durable.execution import durable_execution


@durable_execution
def handler(event, context):
    context.logger.info("hello from the handler")
    context.logger.warning("careful")
    return 1
"""


def cli(*args, env=None, timeout=30):
    """Run the CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "lambda_durable.cli", *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )


# -- --timeout -------------------------------------------------------------------------------------


def test_timeout_stops_a_handler_that_loops_forever(tmp_path):
    path = write(tmp_path, "slow.py", LOOP)
    began = time.monotonic()
    completed = cli("run", f"{path}:loop", "--timeout", "1")
    assert time.monotonic() - began < 20
    assert completed.returncode == 1, completed.stderr
    assert "status: TIMED_OUT" in completed.stdout
    assert "Execution timed out after 1 seconds." in completed.stdout


def test_timeout_ends_the_process_despite_threads_the_handler_started(tmp_path):
    path = write(tmp_path, "slow_map.py", SLOW_MAP)
    began = time.monotonic()
    completed = cli("run", path, "--timeout", "0.5", "--json")
    assert time.monotonic() - began < 20  # not the 30 s the map's worker threads sleep
    assert completed.returncode == 1, completed.stderr
    assert json.loads(completed.stdout)["status"] == "TIMED_OUT"


def test_timeout_shorter_than_a_step(tmp_path, capsys):
    path = write(tmp_path, "slow_step.py", SLOW_STEP)
    began = time.monotonic()
    assert main(["run", path, "--timeout", "0.3", "--json"]) == 1
    assert time.monotonic() - began < 2.5
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "TIMED_OUT"
    assert document["error"]["ErrorType"] == "Execution.TimedOut"
    assert document["history"][0]["ExecutionStartedDetails"]["ExecutionTimeout"] == 0.3


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_timeout_must_be_positive(tmp_path, capsys, value):
    path = write(tmp_path, "order.py", ORDER)
    assert main(["run", path, f"--timeout={value}"]) == 1
    assert "--timeout must be a positive number of seconds" in one_line_error(capsys)


@pytest.mark.parametrize(("options", "expected"), [([], 900), (["--timeout", "7"], 7)])
def test_history_reports_the_execution_timeout(tmp_path, capsys, options, expected):
    path = write(tmp_path, "logging_handler.py", LOGGING)
    assert main(["run", path, "--json", *options]) == 0
    started = json.loads(capsys.readouterr().out)["history"][0]
    assert started["ExecutionStartedDetails"]["ExecutionTimeout"] == expected


# -- --callback names ------------------------------------------------------------------------------


def test_callback_name_that_matches_nothing_is_reported(tmp_path, capsys):
    path = write(tmp_path, "order.py", ORDER)
    code = main(["run", path, "--input", '{"order_id": 4}', "--callback", "aproval=true"])
    err = capsys.readouterr().err
    assert code == 2
    assert "warning: --callback 'aproval' matched no callback (did you mean 'approval'?)" in err
    assert "waiting for callback 'approval'" in err
    assert "(--callback was given for: 'aproval')" in err

    code = main(["run", path, "--input", '{"order_id": 4}', "--callback", "approval=true",
                 "--callback", "other=1", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["status"] == "SUCCEEDED"
    assert "warning: --callback 'other' matched no callback (callbacks in this run: 'approval')" in captured.err
    assert "'approval' matched" not in captured.err


def test_callback_answer_for_a_run_without_callbacks_is_reported(tmp_path, capsys):
    path = write(tmp_path, "logging_handler.py", LOGGING)
    assert main(["run", path, "--callback", "*=1"]) == 0
    assert "--callback '*' matched no callback (no callback started in this run)" in capsys.readouterr().err


def test_callback_name_given_twice_is_an_error(tmp_path, capsys):
    path = write(tmp_path, "order.py", ORDER)
    assert main(["run", path, "--callback", "approval=1", "--callback", "approval=2"]) == 1
    assert "--callback 'approval' is given twice" in one_line_error(capsys)


# -- output ----------------------------------------------------------------------------------------


def test_non_ascii_output_with_an_ascii_stream(tmp_path):
    path = write(tmp_path, "unicode.py", UNICODE)
    env = {"PYTHONIOENCODING": "ascii"}
    text = cli("run", path, "--history", env=env)
    assert text.returncode == 0, text.stderr
    assert "Traceback" not in text.stderr
    assert "caf\\xe9 \\u2713" in text.stdout
    assert "caf\\xe9 logged" in text.stderr
    document = cli("run", path, "--json", env=env)
    assert document.returncode == 0, document.stderr
    assert json.loads(document.stdout)["result"] == "caf\u00e9 \u2713"


def test_help_mentions_waiting_for_and_log_level(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "waiting_for" in out
    assert "--log-level LEVEL" in out
    assert "given twice is an error" in out


# -- logging ---------------------------------------------------------------------------------------


def test_handler_log_records_go_to_stderr(tmp_path):
    path = write(tmp_path, "logging_handler.py", LOGGING)
    completed = cli("run", path, "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["result"] == 1  # stdout: the document only
    assert "INFO lambda_durable.context: hello from the handler" in completed.stderr
    quiet = cli("run", path, "--log-level", "warning")
    assert "hello from the handler" not in quiet.stderr + quiet.stdout
    assert "WARNING lambda_durable.context: careful" in quiet.stderr


def test_logging_setup_is_undone_and_respects_existing_handlers(tmp_path, capsys, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    level = root.level
    path = write(tmp_path, "logging_handler.py", LOGGING)
    assert main(["run", path]) == 0
    assert "hello from the handler" in capsys.readouterr().err
    assert root.handlers == [] and root.level == level


def test_version_option(capsys):
    from lambda_durable import __version__

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"lambda-durable {__version__}"


def test_a_handler_name_bound_to_a_non_callable_is_reported_as_such(tmp_path, capsys):
    path = tmp_path / "numbers.py"
    path.write_text("handler = 5\n")
    assert main(["run", str(path)]) == 1
    assert "handler is not callable" in capsys.readouterr().err


def test_a_malformed_endpoint_url_is_a_one_line_error(capsys):
    assert main(["history", "arn:x", "--endpoint-url", "notaurl"]) == 1
    err = capsys.readouterr().err
    assert "--endpoint-url notaurl: Invalid endpoint" in err and "Traceback" not in err


def test_a_durable_handler_called_with_a_plain_payload_says_so_without_creating_a_client(monkeypatch):
    """No AWS region configured: the event is checked before any boto3 client is made."""
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    code = (
        "import sys\n"
        "from lambda_durable import durable_execution\n"
        "from lambda_durable.exceptions import ExecutionError\n"
        "h = durable_execution(lambda event, context: 1)\n"
        "try:\n"
        "    h({'x': 1}, None)\n"
        "except ExecutionError as e:\n"
        "    print('ExecutionError', e)\n"
        "print('boto3' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_DEFAULT_REGION", "AWS_REGION")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "durable execution enabled" in done.stdout and done.stdout.strip().endswith("False")
