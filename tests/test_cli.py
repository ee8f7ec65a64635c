"""``lambda-durable run``: output, exit codes, callbacks, invoke targets and error reporting."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from lambda_durable.cli import format_history_table, main

pytest.importorskip("lambda_durable.execution")

ORDER = """
from lambda_durable.execution import durable_execution
from lambda_durable.config import Duration, WaitForCallbackConfig


@durable_execution
def handler(event, context):
    checked = context.step(lambda _: {"valid": True, "order": event["order_id"]}, name="validate")
    approval = context.wait_for_callback(
        lambda callback_id, ctx: None,
        name="approval",
        config=WaitForCallbackConfig(timeout=Duration.from_hours(1)),
    )
    context.wait(Duration.from_days(7), name="cooling-off")
    print("handler output that is not the result")
    return {"order_id": event["order_id"], "status": "confirmed", "checked": checked, "approval": approval}
"""

INVOKER = """
from lambda_durable.execution import durable_execution


@durable_execution
def handler(event, context):
    results = [context.invoke("pay", {"amount": a}, name=f"pay-{a}") for a in event["amounts"]]
    doubled = context.invoke("double", {"n": 4}, name="double")
    return {"payments": results, "doubled": doubled}
"""

PAY = """
def lambda_handler(event, context):
    return {"paid": event["amount"], "by": context.function_name}
"""

DOUBLE = """
from lambda_durable.execution import durable_execution


@durable_execution
def double_it(event, context):
    return context.step(lambda _: event["n"] * 2, name="double")
"""

FAILING = """
from lambda_durable.execution import durable_execution


@durable_execution
def handler(event, context):
    context.step(lambda _: 1, name="ok")
    raise ValueError("order rejected")
"""


def write(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


def test_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "run" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["run", "--help"])
    assert info.value.code == 0
    assert "--callback NAME=JSON" in capsys.readouterr().out


def test_usage_error_exits_1(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run"])
    assert info.value.code == 1
    assert "error" in capsys.readouterr().err


def test_run_prints_progress_status_and_result(tmp_path, capsys):
    path = write(tmp_path, "order.py", ORDER)
    code = main(["run", path, "--input", '{"order_id": "o-1"}', "--callback", 'approval={"approved": true}'])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert "  step 'validate' succeeded (attempt 1): {\"valid\": true, \"order\": \"o-1\"}" in lines
    assert any(line.startswith("  callback 'approval create callback id' answered") for line in lines)
    assert any(line.startswith("  wait_for_callback 'approval' succeeded") for line in lines)
    assert "  wait 'cooling-off' elapsed (604800 s)" in lines
    assert sum(line.startswith("invocation ") for line in lines) == 3
    assert "status: SUCCEEDED" in lines
    result_text = out.split("result:\n", 1)[1]
    assert json.loads(result_text) == {
        "order_id": "o-1", "status": "confirmed", "checked": {"valid": True, "order": "o-1"},
        "approval": '{"approved": true}',
    }
    assert "history:" not in out


def test_run_history_table(tmp_path, capsys):
    path = write(tmp_path, "order.py", ORDER)
    code = main(["run", f"{path}:handler", "--input", '{"order_id": 2}', "--callback", "approval=1", "--history"])
    out = capsys.readouterr().out
    assert code == 0
    table = out.split("history:\n", 1)[1].splitlines()
    assert table[0].split() == ["#", "EVENT", "T+SECONDS", "OPERATION", "DETAILS"]
    assert table[1].split()[:2] == ["1", "ExecutionStarted"]
    assert any("WaitSucceeded" in row and "cooling-off" in row and "604800" in row for row in table)
    assert table[-1].split()[1] == "ExecutionSucceeded"
    assert format_history_table([]) == "  (no events)\n"


def test_run_json_document_only(tmp_path, capsys):
    path = write(tmp_path, "order.py", ORDER)
    code = main(["run", path, "--input", '{"order_id": 3}', "--callback", 'approval="yes"', "--json"])
    captured = capsys.readouterr()
    assert code == 0
    document = json.loads(captured.out)  # exactly one JSON document
    assert set(document) == {"status", "result", "error", "history"}
    assert document["status"] == "SUCCEEDED"
    assert document["result"]["order_id"] == 3 and document["result"]["approval"] == '"yes"'
    assert document["error"] is None
    events = document["history"]
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["EventType"] == "ExecutionStarted"
    assert isinstance(events[0]["EventTimestamp"], str)
    assert "handler output that is not the result" in captured.err


def test_unanswered_callback_exits_2_and_says_how_to_answer(tmp_path, capsys):
    path = write(tmp_path, "order.py", ORDER)
    code = main(["run", path, "--input", '{"order_id": 4}'])
    captured = capsys.readouterr()
    assert code == 2
    assert "status: PENDING" in captured.out
    assert "waiting for callback 'approval'" in captured.err
    assert "--callback 'approval={}'" in captured.err

    code = main(["run", path, "--input", '{"order_id": 4}', "--json"])
    captured = capsys.readouterr()
    assert code == 2
    document = json.loads(captured.out)
    assert document["status"] == "PENDING"
    assert document["waiting_for"][0]["name"] == "approval"
    assert "--callback 'approval={}'" in captured.err


def test_unnamed_callback_hint_and_wildcard(tmp_path, capsys):
    path = write(tmp_path, "anon.py", """
        from lambda_durable.execution import durable_execution

        @durable_execution
        def handler(event, context):
            return context.create_callback().result()
    """)
    assert main(["run", path]) == 2
    assert "--callback '*={}'" in capsys.readouterr().err
    assert main(["run", path, "--callback", "*=[1, 2]", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == "[1, 2]"


def test_invoke_targets_plain_and_durable(tmp_path, capsys):
    main_path = write(tmp_path, "invoker.py", INVOKER)
    pay = write(tmp_path, "pay.py", PAY)
    double = write(tmp_path, "double.py", DOUBLE)
    code = main(["run", main_path, "--input", '{"amounts": [1, 2]}', "--function", f"pay={pay}",
                 "--function", f"double={double}:double_it", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads(captured.out)
    assert document["result"] == {
        "payments": [{"paid": 1, "by": "pay"}, {"paid": 2, "by": "pay"}],
        "doubled": 8,
    }


def test_missing_invoke_target_fails(tmp_path, capsys):
    main_path = write(tmp_path, "invoker.py", INVOKER)
    code = main(["run", main_path, "--input", '{"amounts": [1]}'])
    out = capsys.readouterr().out
    assert code == 1
    assert "status: FAILED" in out
    assert "invoke 'pay-1' failed: ResourceNotFoundException: Function not found: pay" in out


def test_failed_execution_exits_1(tmp_path, capsys):
    path = write(tmp_path, "failing.py", FAILING)
    code = main(["run", path])
    out = capsys.readouterr().out
    assert code == 1
    assert "status: FAILED" in out
    assert "error: ValueError: order rejected" in out
    code = main(["run", path, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert document["status"] == "FAILED"
    assert document["error"] == {"ErrorMessage": "order rejected", "ErrorType": "ValueError"}
    assert document["result"] is None


def one_line_error(capsys):
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "Traceback" not in captured.err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("lambda-durable: error: ")
    return err


def test_bad_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.py")]) == 1
    assert "no such file" in one_line_error(capsys)


def test_missing_handler(tmp_path, capsys):
    path = write(tmp_path, "empty.py", "x = 1\n")
    assert main(["run", path]) == 1
    assert "defines no 'handler' or 'lambda_handler'" in one_line_error(capsys)
    assert main(["run", f"{path}:nope"]) == 1
    assert "has no handler 'nope'" in one_line_error(capsys)
    assert main(["run", f"{path}:x"]) == 1
    assert "is not callable" in one_line_error(capsys)


def test_lambda_handler_fallback_and_plain_handler_rejected(tmp_path, capsys):
    durable = write(tmp_path, "fallback.py", """
        from lambda_durable.execution import durable_execution

        @durable_execution
        def lambda_handler(event, context):
            return event
    """)
    assert main(["run", durable, "--input", '{"a": 1}', "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == {"a": 1}
    plain = write(tmp_path, "plain.py", PAY)
    assert main(["run", plain]) == 1
    assert "is not a durable handler" in one_line_error(capsys)


def test_bad_input_json(tmp_path, capsys):
    path = write(tmp_path, "order.py", ORDER)
    assert main(["run", path, "--input", "{not json"]) == 1
    assert "--input is not valid JSON" in one_line_error(capsys)
    assert main(["run", path, "--callback", "approval={bad"]) == 1
    assert "--callback approval is not valid JSON" in one_line_error(capsys)
    assert main(["run", path, "--callback", "no-equals-sign"]) == 1
    assert "expected NAME=JSON" in one_line_error(capsys)
    assert main(["run", path, "--function", "pay"]) == 1
    assert "expected NAME=FILE.py" in one_line_error(capsys)


def test_broken_modules(tmp_path, capsys):
    syntax = write(tmp_path, "syntax.py", "def handler(:\n")
    assert main(["run", syntax]) == 1
    err = one_line_error(capsys)
    assert "SyntaxError" in err and "line 1" in err
    raising = write(tmp_path, "raising.py", "raise ImportError('no such dependency')\n")
    assert main(["run", raising]) == 1
    assert "ImportError: no such dependency" in one_line_error(capsys)


def test_entry_point_in_a_subprocess(tmp_path):
    path = write(tmp_path, "order.py", ORDER)
    completed = subprocess.run(
        [sys.executable, "-m", "lambda_durable.cli", "run", path, "--input", '{"order_id": 9}',
         "--callback", "approval=true", "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["result"]["approval"] == "true"


EXAMPLES = __import__("pathlib").Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.skipif(not (EXAMPLES / "order_processing.py").exists(), reason="examples not present")
def test_order_processing_example(capsys):
    order = '{"order_id": "o-1001", "items": [{"sku": "book", "qty": 2}, {"sku": "pen", "qty": 5}]}'
    code = main(["run", str(EXAMPLES / "order_processing.py"), "--input", order,
                 "--callback", 'payment-approval={"approved": true, "approver": "finance"}', "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0, document["error"]
    assert document["result"]["order_id"] == "o-1001"
    assert document["result"]["status"] == "confirmed"
    assert main(["run", str(EXAMPLES / "order_processing.py"), "--input", order]) == 2
    assert "--callback 'payment-approval={}'" in capsys.readouterr().err


@pytest.mark.skipif(not (EXAMPLES / "lambda_invoke_map.py").exists(), reason="examples not present")
def test_lambda_invoke_map_example(capsys):
    code = main(["run", str(EXAMPLES / "lambda_invoke_map.py"),
                 "--input", '{"payments": [{"id": "a", "amount": 10}, {"id": "b", "amount": 25.5}]}',
                 "--function", f"payment-processor={EXAMPLES / 'payment_processor.py'}", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0, document["error"]
    invokes = [e for e in document["history"] if e["EventType"] == "ChainedInvokeSucceeded"]
    assert len(invokes) == 2
