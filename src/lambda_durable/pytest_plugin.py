"""pytest plugin: the ``durable_runner`` fixture and the ``durable_execution`` marker.

Installed with the package and loaded by pytest through the ``pytest11`` entry point named
``lambda_durable`` (disable it with ``-p no:lambda_durable``), so tests need no conftest::

    import pytest
    from lambda_durable.lambda_service import InvocationStatus

    from my_app import handler


    @pytest.mark.durable_execution(handler=handler, lambda_function_name="orders")
    def test_order(durable_runner):
        with durable_runner:
            result = durable_runner.run(input={"order_id": "o-1"}, timeout=10)
        assert result.status is InvocationStatus.SUCCEEDED

This is the shape of the official examples' tests (their conftest defines the same fixture), so
they port by rewriting their imports.

The marker (on the test, its class or its module via ``pytestmark``; the closest one wins):

* ``handler``: the ``@durable_execution`` handler to run. Required, as a keyword argument (all
  arguments are keywords: pytest would take a lone positional function as the object to mark).
* ``lambda_function_name`` (str, optional): accepted for the official shape, where it selects a
  deployed function in cloud mode; the local runner does not use it.
* ``functions`` (optional): ``{name: handler}`` registered as chained-invoke targets
  (:meth:`~lambda_durable.testing.DurableFunctionTestRunner.register_function`: a durable
  handler becomes a durable execution, any other callable is called once with the payload).
* any keyword argument of :class:`~lambda_durable.testing.DurableFunctionTestRunner` but
  ``handler`` and the persistent-store ones (``store``, ``handler_spec``: each test gets its own
  in-memory service), passed on as given: ``execution_timeout``, ``invocation_timeout``,
  ``skip_time``, ``region``, ``stop_on_unanswered_callback``, ...

The fixture yields a :class:`~lambda_durable.testing.DurableFunctionTestRunner` for that handler
(function scope: one in-memory service per test) and closes it after the test; a ``with
durable_runner:`` block in the test closes it earlier, as in the official examples. A test
using the fixture without the marker, a missing or non-durable handler, an unknown marker
argument or a bad value fails at setup with a message saying what to change.

Importing this module (which pytest does at start-up) imports ``lambda_durable`` itself (the
handler decorator path, no boto3) and nothing of the local service: the runner is imported by
the fixture, the first time a test uses it.
"""
from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterator

    from .testing.runner import DurableFunctionTestRunner

__all__ = ["MARKER", "durable_runner", "pytest_configure"]

#: Name of the marker the fixture reads.
MARKER = "durable_execution"

_MARKER_HELP = (
    f"{MARKER}(handler=..., lambda_function_name=None, functions=None, **runner_options): the "
    "durable handler (and DurableFunctionTestRunner options) the durable_runner fixture of "
    "lambda_durable runs"
)
_USAGE = f"@pytest.mark.{MARKER}(handler=my_handler)"
#: marker arguments the fixture handles itself (not runner options)
_OWN_ARGUMENTS = ("handler", "lambda_function_name", "functions")
#: runner parameters the marker cannot set: the handler is ``handler=`` itself; a store (and the
#: handler spec kept in it) would outlive the test, whose runner is its own in-memory service
_NOT_OPTIONS = ("self", "handler", "store", "handler_spec")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (so ``--strict-markers`` accepts it and ``pytest --markers`` lists it)."""
    config.addinivalue_line("markers", _MARKER_HELP)


def _fail(test: str, message: str) -> NoReturn:
    pytest.fail(f"durable_runner ({test}): {message}", pytrace=False)


def _runner_options(runner_class: type) -> list[str]:
    """The keyword arguments of the runner the marker may pass on, in signature order."""
    parameters = inspect.signature(runner_class.__init__).parameters
    return [
        name
        for name, parameter in parameters.items()
        if name not in _NOT_OPTIONS
        and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    ]


@pytest.fixture
def durable_runner(request: pytest.FixtureRequest) -> Iterator[DurableFunctionTestRunner]:
    """A :class:`~lambda_durable.testing.DurableFunctionTestRunner` for the handler named by the
    test's ``@pytest.mark.durable_execution(handler=...)`` marker (see the module docstring);
    closed after the test."""
    test = request.node.nodeid
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        _fail(test, f"the test uses the durable_runner fixture but has no {MARKER} marker: add {_USAGE}")
    if marker.args:
        # pytest itself takes a lone positional function as the object to decorate
        _fail(test, f"{MARKER} takes keyword arguments only: use {_USAGE}")
    kwargs = dict(marker.kwargs)
    handler = kwargs.pop("handler", None)
    if handler is None:
        _fail(test, f"the {MARKER} marker names no handler: use {_USAGE}")
    function_name = kwargs.pop("lambda_function_name", None)
    if function_name is not None and not isinstance(function_name, str):
        _fail(test, f"lambda_function_name must be a string, got {type(function_name).__name__}")
    functions = kwargs.pop("functions", None)
    if functions is None:
        functions = {}
    if not isinstance(functions, dict) or not all(isinstance(name, str) for name in functions):
        _fail(test, "functions must be a dict {function name (str): handler}")

    # the local service is imported here, by the first test that needs it, not at pytest start
    from .testing.runner import DurableFunctionTestRunner
    from .testing.service import is_durable_handler

    allowed = _runner_options(DurableFunctionTestRunner)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        _fail(
            test,
            f"unknown {MARKER} argument(s) {', '.join(unknown)}; accepted: "
            f"{', '.join((*_OWN_ARGUMENTS, *allowed))}",
        )
    if not is_durable_handler(handler):
        what = getattr(handler, "__qualname__", None) or repr(handler)
        _fail(
            test,
            f"handler {what} is not a durable handler: decorate it with @durable_execution "
            "(the runner invokes it with the durable invocation event, not with your payload)",
        )
    for name, target in functions.items():
        if not callable(target):
            _fail(test, f"functions[{name!r}] is not callable: {target!r}")
    try:
        runner = DurableFunctionTestRunner(handler, **kwargs)
    except (TypeError, ValueError) as error:
        _fail(test, f"cannot create the runner: {error}")
    with runner:
        for name, target in functions.items():
            runner.register_function(name, target)
        yield runner
