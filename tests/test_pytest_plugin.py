"""The pytest plugin (entry point ``pytest11`` -> ``lambda_durable.pytest_plugin``).

The tests at the top use nothing but the plugin's ``durable_runner`` fixture and its
``durable_execution`` marker: no conftest exists in tests/, so they pass only when pytest loaded
the plugin through the installed entry point. The error paths run in inner pytest sessions
(``pytester``), which load the plugin the same way.
"""
from __future__ import annotations

import json

import pytest

from lambda_durable import DurableContext, StepContext, durable_execution, durable_step
from lambda_durable.config import Duration, WaitForCallbackConfig
from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.testing import DurableFunctionTestRunner

pytest_plugins = ["pytester"]


@durable_step
def add(step: StepContext, a: int, b: int) -> int:
    return a + b


@durable_execution
def adder(event: dict, context: DurableContext) -> dict:
    total = context.step(add(event["a"], event["b"]))
    context.wait(Duration.from_hours(2), name="pause")
    return {"total": total}


@durable_execution
def greeter(event: dict, context: DurableContext) -> str:
    return context.step(lambda _: f"hello {event['name']}", name="greet")


@durable_execution
def approval(event: dict, context: DurableContext) -> dict:
    answer = context.wait_for_callback(
        lambda callback_id, ctx: None,
        name="approve",
        config=WaitForCallbackConfig(timeout=Duration.from_hours(1)),
    )
    return {"answer": json.loads(answer)}


def price(payload: dict, lambda_context) -> dict:  # a plain (non-durable) invoke target
    return {"sku": payload["sku"], "cents": 250 * payload["qty"]}


@durable_execution
def checkout(event: dict, context: DurableContext) -> int:
    quote = context.invoke("pricer", {"sku": event["sku"], "qty": event["qty"]}, name="quote")
    return quote["cents"]


def test_plugin_is_registered_under_its_entry_point_name(request):
    import lambda_durable.pytest_plugin as plugin

    assert request.config.pluginmanager.get_plugin("lambda_durable") is plugin


@pytest.mark.durable_execution(handler=adder, lambda_function_name="adder")
def test_fixture_yields_a_runner_for_the_marked_handler(durable_runner):
    assert isinstance(durable_runner, DurableFunctionTestRunner)
    assert durable_runner.handler is adder
    with durable_runner:
        result = durable_runner.run(input={"a": 2, "b": 3}, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == {"total": 5}
    assert result.get_step("add").result == "5"
    assert result.get_wait("pause").status.value == "SUCCEEDED"
    # the test's `with` block closed the runner, as the official examples expect
    with pytest.raises(RuntimeError, match="closed"):
        durable_runner.run(input={"a": 1, "b": 1})


@pytest.mark.durable_execution(handler=greeter)
def test_without_a_with_block_the_fixture_closes_the_runner(durable_runner):
    result = durable_runner.run(input={"name": "ada"})
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == "hello ada"


@pytest.mark.durable_execution(handler=adder)
class TestClassMarker:
    def test_a_class_marker_applies_to_its_tests(self, durable_runner):
        assert durable_runner.handler is adder

    @pytest.mark.durable_execution(handler=greeter)
    def test_the_closest_marker_wins(self, durable_runner):
        assert durable_runner.handler is greeter


@pytest.mark.durable_execution(
    handler=approval, stop_on_unanswered_callback=True, region="eu-west-1"
)
def test_runner_options_are_passed_on(durable_runner):
    # stop_on_unanswered_callback: run() returns PENDING instead of letting the hour elapse
    result = durable_runner.run(input={})
    assert result.status is InvocationStatus.PENDING
    assert result.execution_arn.startswith("arn:aws:lambda:eu-west-1:")
    [callback] = result.open_callbacks
    durable_runner.send_callback_success(callback.callback_id, '{"ok": true}')
    final = durable_runner.wait_for_result(result.execution_arn, timeout=10)
    assert final.status is InvocationStatus.SUCCEEDED
    assert json.loads(final.result) == {"answer": {"ok": True}}


@pytest.mark.durable_execution(handler=checkout, functions={"pricer": price})
def test_functions_are_registered_as_invoke_targets(durable_runner):
    result = durable_runner.run(input={"sku": "pen", "qty": 4})
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == 1000


# -- error paths, in inner pytest sessions ---------------------------------------------------

HEADER = """
import pytest
from lambda_durable import durable_execution


@durable_execution
def durable(event, context):
    return "ok"


def plain(event, context):
    return "ok"

"""


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("", "has no durable_execution marker: add @pytest.mark.durable_execution(handler=my_handler)"),
        ("@pytest.mark.durable_execution(lambda_function_name='x')", "names no handler"),
        ("@pytest.mark.durable_execution(handler=None)", "names no handler"),
        ("@pytest.mark.durable_execution(handler=plain)", "handler plain is not a durable handler"),
        ("@pytest.mark.durable_execution(durable, durable)", "takes keyword arguments only"),
        ("@pytest.mark.durable_execution.with_args(durable)", "takes keyword arguments only"),
        ("@pytest.mark.durable_execution(handler=durable, lambda_function_name=3)", "must be a string"),
        ("@pytest.mark.durable_execution(handler=durable, functions=['x'])", "functions must be a dict"),
        ("@pytest.mark.durable_execution(handler=durable, functions=[])", "functions must be a dict"),
        ("@pytest.mark.durable_execution(handler=durable, functions={'x': 1})", "functions['x'] is not callable"),
        ("@pytest.mark.durable_execution(handler=durable, timeout=5)", "unknown durable_execution argument(s) timeout"),
        ("@pytest.mark.durable_execution(handler=durable, store=object())", "unknown durable_execution argument(s) store"),
        (
            "@pytest.mark.durable_execution(handler=durable, invocation_timeout=0)",
            "cannot create the runner: invocation_timeout must be a positive number of seconds",
        ),
    ],
    ids=[
        "no-marker", "no-handler", "handler-none", "not-durable", "positional", "with-args",
        "bad-function-name", "functions-not-dict", "functions-empty-list", "function-not-callable",
        "unknown-option", "store", "bad-runner-option",
    ],
)
def test_setup_fails_with_a_message_saying_what_to_change(pytester, marker, message):
    pytester.makepyfile(test_marked=HEADER + marker + "\ndef test_it(durable_runner):\n    durable_runner.run(input={})\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "durable_runner (test_marked.py::test_it): " in output
    assert message in output
    assert "Traceback" not in output  # pytrace=False: the message alone


def test_unknown_option_message_lists_the_accepted_arguments(pytester):
    pytester.makepyfile(
        HEADER + "@pytest.mark.durable_execution(handler=durable, skiptime=True)\n"
        "def test_it(durable_runner):\n    pass\n"
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    accepted = result.stdout.str().split("accepted: ", 1)[1].splitlines()[0]
    names = accepted.split(", ")
    assert names[:3] == ["handler", "lambda_function_name", "functions"]
    assert {"skip_time", "execution_timeout", "region", "stop_on_unanswered_callback"} <= set(names)
    assert "store" not in names and "handler_spec" not in names


def test_module_marker_strict_markers_and_marker_help(pytester):
    pytester.makepyfile(
        HEADER
        + "pytestmark = pytest.mark.durable_execution(handler=durable)\n\n"
        "def test_one(durable_runner):\n    assert durable_runner.run(input={}).result == '\"ok\"'\n\n"
        "def test_two(durable_runner):\n    assert durable_runner.handler is durable\n"
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=2)
    listing = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.durable_execution(handler=..., lambda_function_name=None" in listing


def test_each_test_gets_its_own_runner(pytester):
    pytester.makepyfile(
        HEADER
        + "pytestmark = pytest.mark.durable_execution(handler=durable)\n"
        "seen = []\n\n"
        "def test_one(durable_runner):\n    seen.append(durable_runner)\n"
        "    durable_runner.run(input={}, execution_name='same')\n\n"
        "def test_two(durable_runner):\n    assert durable_runner is not seen[0]\n"
        "    with pytest.raises(RuntimeError, match='closed'):\n        seen[0].run(input={})\n"
        "    assert durable_runner.run(input={}, execution_name='same').result == '\"ok\"'\n"
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_disabling_the_plugin_removes_the_fixture(pytester):
    pytester.makepyfile(HEADER + "def test_it(durable_runner):\n    pass\n")
    result = pytester.runpytest("-p", "no:lambda_durable")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'durable_runner' not found*"])


def test_the_plugin_module_does_not_load_the_local_service_or_boto3(pytester):
    # a fresh interpreter: what loading the plugin imports at pytest start-up
    pytester.makepyfile(
        "import sys\n\n"
        "def test_modules():\n"
        "    assert 'lambda_durable.pytest_plugin' in sys.modules\n"
        "    loaded = [m for m in sys.modules if m.startswith(('lambda_durable.testing', 'boto3', 'botocore'))]\n"
        "    assert loaded == []\n"
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
