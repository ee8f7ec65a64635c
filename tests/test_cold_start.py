"""Cold start (performance.md S5): what ``import lambda_durable`` loads, and that the lazy exports
(PEP 562) behave like the eager ones they replace. Each import check runs in a fresh interpreter,
so nothing another test imported hides an eager import."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import lambda_durable
from lambda_durable.logger import DurableLogger

TESTS = Path(__file__).resolve().parent


def fresh(code: str, **env: str) -> dict:
    """Run ``code`` in a new interpreter; it must ``print(json.dumps(...))`` its answer last."""
    environ = dict(os.environ, **env)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(TESTS), *filter(None, [environ.get("PYTHONPATH")])]
    )
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


LOADED = """
import json, sys
{code}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("lambda_durable", "boto3", "botocore"))))
"""

#: never loaded by the decorator path, nor by an invocation without plugins/map/parallel/retries
COLD_START_FREE = [
    "lambda_durable.plugin",
    "lambda_durable.lambda_service",
    "lambda_durable.concurrency.models",
    "lambda_durable.concurrency.executor",
    "lambda_durable._completion",
    "lambda_durable.retries",
    "lambda_durable.waits",
]


@pytest.mark.parametrize(
    "code",
    [
        "import lambda_durable",
        "from lambda_durable import durable_execution, DurableContext\nimport lambda_durable.execution",
    ],
)
def test_import_loads_neither_boto3_nor_the_plugin_machinery(code):
    loaded = fresh(LOADED.format(code=code), DURABLE_EXECUTION_PLUGINS="")
    assert not [m for m in loaded if m.split(".")[0] in ("boto3", "botocore")]
    assert "lambda_durable.plugin" not in loaded
    assert not set(COLD_START_FREE) & set(loaded), sorted(set(COLD_START_FREE) & set(loaded))


def test_an_invocation_without_plugins_never_imports_them():
    code = """
    from fakes import FakeService
    from lambda_durable import durable_execution

    service = FakeService()

    @durable_execution(client=service)
    def handler(event, context):
        context.logger.info("hello")
        return [context.step(lambda sc: sc.attempt, name="s"), context.run_in_child_context(lambda c: 2)]

    assert handler(service.event(), None) == {"Status": "SUCCEEDED", "Result": "[1, 2]"}
    """
    loaded = fresh(LOADED.format(code=textwrap.dedent(code)), DURABLE_EXECUTION_PLUGINS="")
    assert not set(COLD_START_FREE) & set(loaded), sorted(set(COLD_START_FREE) & set(loaded))
    assert not [m for m in loaded if m.split(".")[0] in ("boto3", "botocore")]


def test_plugins_from_the_environment_still_load(monkeypatch):
    from lambda_durable import PluginLoadError, durable_execution, plugin

    from lambda_durable import execution

    assert execution._PLUGINS_VARIABLE == plugin.PLUGIN_ENVIRONMENT_VARIABLE
    monkeypatch.setenv(plugin.PLUGIN_ENVIRONMENT_VARIABLE, "  ")
    durable_execution(lambda event, context: 1)  # blank: no plugins, no error
    monkeypatch.setenv(plugin.PLUGIN_ENVIRONMENT_VARIABLE, "no-such-plugin-installed")
    with pytest.raises(PluginLoadError, match="no-such-plugin-installed"):
        durable_execution(lambda event, context: 1)
    monkeypatch.delenv(plugin.PLUGIN_ENVIRONMENT_VARIABLE)
    for bad in ("name", 5):
        with pytest.raises(PluginLoadError):
            durable_execution(lambda event, context: 1, plugins=bad)
    for empty in (None, [], ()):
        durable_execution(lambda event, context: 1, plugins=empty)


ALL_NAMES = """
import json
import lambda_durable
names = list(lambda_durable.__all__)
missing_dir = [n for n in names if n not in dir(lambda_durable)]
values = {{}}
for n in names:
    scope = {{}}
    exec(f"from lambda_durable import {{n}}", scope)
    values[n] = scope[n]
star = {{}}
exec("from lambda_durable import *", star)
checks = {{
    "missing_dir": missing_dir,
    "getattr_differs": [n for n in names if getattr(lambda_durable, n) is not values[n]],
    "star_missing": [n for n in names if star.get(n) is not values[n]],
    "extensions": lambda_durable.EXTENSIONS,
}}
import sys
checks["selectors"] = {{
    name: module.COMPILED
    for name, module in list(sys.modules.items())
    if name.startswith("lambda_durable._") and not name.endswith(("_c", "_py"))
    and isinstance(getattr(module, "COMPILED", None), bool)
}}
try:
    lambda_durable.no_such_name
except AttributeError:
    checks["unknown"] = "AttributeError"
print(json.dumps(checks))
"""


@pytest.mark.parametrize("no_extensions", ["", "1"])
def test_every_public_name_resolves_lazily(no_extensions):
    checks = fresh(ALL_NAMES.format(), LAMBDA_DURABLE_NO_EXTENSIONS=no_extensions)
    assert checks["missing_dir"] == []
    assert checks["getattr_differs"] == []
    assert checks["star_missing"] == []
    assert checks["unknown"] == "AttributeError"
    # True exactly when every accelerated module (selector) loaded its compiled twin
    assert {"lambda_durable._ids", "lambda_durable._completion"} <= set(checks["selectors"])
    assert checks["extensions"] is all(checks["selectors"].values())
    if no_extensions:
        assert checks["extensions"] is False


def test_public_names_are_the_defining_modules_objects():
    from lambda_durable import config, context, exceptions, execution, retries, types
    from lambda_durable.concurrency import models

    where = {
        "BatchResult": models,
        "StepContext": types,
        "WithRetryConfig": retries,
        "with_retry": retries,
        "ParallelBranch": config,
        "complete_batch": config,
        "durable_execution": execution,
        "DurableContext": context,
        "BatchCompletionError": exceptions,
        "StepError": exceptions,
    }
    for name, module in where.items():
        assert getattr(lambda_durable, name) is getattr(module, name), name
    assert set(lambda_durable.__all__) <= set(dir(lambda_durable))


def test_lazy_submodule_attributes():
    import lambda_durable.concurrency as concurrency
    from lambda_durable import execution, lambda_service, limits, plugin
    from lambda_durable.concurrency import executor, models
    from lambda_durable.concurrency._scope import ScopedState

    assert execution.InvocationStatus is lambda_service.InvocationStatus
    assert execution.ErrorObject is lambda_service.ErrorObject
    assert execution.PluginExecutor is plugin.PluginExecutor
    assert execution.load_configured_plugins is plugin.load_configured_plugins
    star: dict = {}
    exec("from lambda_durable.execution import *", star)
    assert set(execution.__all__) <= set(star)
    for name in concurrency.__all__:
        assert getattr(concurrency, name) is getattr(models, name)
    assert set(concurrency.__all__) <= set(dir(concurrency))
    assert executor.ScopedState is ScopedState
    assert limits.ID_PATTERN.fullmatch("a" * 64) and not limits.ID_PATTERN.fullmatch("a" * 65)
    assert limits.CLIENT_TOKEN_PATTERN.fullmatch("!~") and not limits.CLIENT_TOKEN_PATTERN.fullmatch(" ")
    assert limits.TOKEN_PATTERN.fullmatch("dG9rZW4=") and not limits.TOKEN_PATTERN.fullmatch("a==b")
    for module in (execution, concurrency, limits):
        with pytest.raises(AttributeError):
            module.no_such_name


# -- the engine's wire helpers (lambda_durable._wire) ---------------------------------------------


def test_error_dict_is_the_error_object_dict():
    from lambda_durable import _wire, lambda_service
    from lambda_durable.exceptions import (
        CallbackTimeoutError,
        ChildContextError,
        RetryableSerDesError,
        SerDesError,
        StepError,
    )

    class Custom(Exception):
        pass

    errors = [
        ValueError("bad"),
        KeyError("k"),
        Custom(),
        StepError("failed", data='{"a": 1}', stack_trace=["frame"]),
        StepError(None),
        ChildContextError("child"),
        CallbackTimeoutError("late"),
        SerDesError("cannot"),
        RetryableSerDesError("again"),
    ]
    for error in errors:
        expected = dict(lambda_service.ErrorObject.from_exception(error).to_dict())
        got = _wire.error_dict_from_exception(error)
        assert got == expected and list(got) == list(expected), error
    assert lambda_service.error_dict_from_exception is _wire.error_dict_from_exception
    assert lambda_service.to_datetime is _wire.to_datetime
    assert lambda_service.to_epoch_seconds is _wire.to_epoch_seconds


# -- the per-operation logger ------------------------------------------------------------------


class _Recorder:
    def __init__(self):
        self.calls = []

    def __getattr__(self, method):
        return lambda msg, *args, **kwargs: self.calls.append((method, msg, args, kwargs))


FIELD_CASES = [
    {"executionArn": "arn", "parentId": None, "operationId": "op", "operationName": None, "attempt": 1},
    {"executionArn": "arn", "parentId": "p", "operationId": "op", "operationName": "n", "attempt": 2},
    {"executionArn": "arn", "parentId": None},
    {"a": None},
]


@pytest.mark.parametrize("fields", FIELD_CASES)
def test_deferred_logger_is_the_eager_logger(fields):
    eager_target, lazy_target = _Recorder(), _Recorder()
    eager = DurableLogger(eager_target, dict(fields))
    lazy = DurableLogger._deferred(lazy_target, tuple(fields), tuple(fields.values()))
    clean = {k: v for k, v in fields.items() if v is not None}
    assert eager.fields == lazy.fields == clean and list(lazy.fields) == list(clean)
    for logger in (eager, lazy):
        logger.info("m %s", 1)
        logger.warning("w", extra={"mine": 2, "parentId": "x"})
        logger.exception("e", exc_info=False)
    assert lazy_target.calls == eager_target.calls
    assert [list(c[3].get("extra", {})) for c in lazy_target.calls] == [
        list(c[3].get("extra", {})) for c in eager_target.calls
    ]
    merged_eager = eager.with_fields(attempt=None, extra_key="v")
    merged_lazy = lazy.with_fields(attempt=None, extra_key="v")
    assert merged_eager.fields == merged_lazy.fields
    assert list(merged_eager.fields) == list(merged_lazy.fields)


def test_logger_keeps_its_own_copy_of_the_fields():
    fields = {"executionArn": "arn", "parentId": None}
    logger = DurableLogger(logging.getLogger("x"), fields)
    fields["executionArn"] = "changed"
    fields["late"] = 1
    assert logger.fields == {"executionArn": "arn"}
    assert DurableLogger().logger is logging.getLogger("lambda_durable.context")
    assert DurableLogger._deferred(None, (), ()).logger is logging.getLogger("lambda_durable.context")
