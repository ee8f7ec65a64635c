"""Which handler runs which conformance requirement (discovered, no central table).

Convention (several people can add handlers without touching a shared file):

- ``tests/conformance/handlers/<suite>/`` is a package per suite, named as the folders of the
  requirements directory: ``step``, ``wait``, ``child``, ``callback``, ``invoke``,
  ``wait_for_condition``, ``wait_for_callback``, ``parallel``, ``map``, ``plugin``.
- One module per requirement, named ``r`` + the requirement id with ``-`` replaced by ``_``
  (``1-13`` -> ``handlers/step/r1_13.py``), defining:

  - ``handler`` (required): the ``@durable_execution`` handler, written with lambda_durable's
    public API from the requirement's ``handler``/``invocations`` prose;
  - ``FUNCTIONS`` (optional): ``{"function name": callable}``, the chained-invoke targets this
    requirement needs; each is registered with ``DurableFunctionTestRunner.register_function``
    (a ``@durable_execution`` handler becomes a durable target, anything else a plain function
    called with the decoded payload);
  - ``RUNNER_OPTIONS`` (optional): keyword arguments for ``DurableFunctionTestRunner`` (e.g.
    ``{"invocation_timeout": 5}``) and ``execution_timeout``.

- A suite package's ``__init__.py`` may define ``FUNCTIONS`` too: targets shared by every
  requirement of the suite (the invoke suite's echo, tenant echo, error, slow and non-durable
  functions); a module's own ``FUNCTIONS`` entries win on a name clash.

:func:`handler_for` / :func:`entry_for` look a requirement up; :func:`discover` lists them all.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

__all__ = [
    "HANDLERS_PACKAGE",
    "SUITES",
    "HandlerEntry",
    "discover",
    "entry_for",
    "functions_for",
    "handler_for",
    "module_name",
    "requirement_id",
    "suite_of",
]

#: Suite folder names by the number before the dash in a requirement id.
SUITES: dict[int, str] = {
    1: "step",
    2: "wait",
    3: "child",
    4: "callback",
    5: "invoke",
    6: "wait_for_condition",
    7: "wait_for_callback",
    8: "parallel",
    9: "map",
    10: "plugin",
}

#: The package holding the suite packages (relative to this package, so it works both as
#: ``conformance.handlers`` under pytest and ``tests.conformance.handlers`` under ``python -m``).
HANDLERS_PACKAGE = f"{__package__}.handlers" if __package__ else "handlers"
_HANDLERS_DIR = Path(__file__).resolve().parent / "handlers"
_MODULE_NAME = re.compile(r"^r(\d+(?:_\d+)+)$")


def module_name(req_id: str) -> str:
    """``"1-13"`` -> ``"r1_13"``."""
    return "r" + req_id.replace("-", "_")


def requirement_id(name: str) -> str | None:
    """``"r1_13"`` -> ``"1-13"`` (``None`` for a module that is not a requirement handler)."""
    match = _MODULE_NAME.match(name)
    return match.group(1).replace("_", "-") if match else None


def suite_of(req_id: str) -> str | None:
    """The suite folder of a requirement id (``"4-3"`` -> ``"callback"``)."""
    head = req_id.split("-", 1)[0]
    return SUITES.get(int(head)) if head.isdigit() else None


@dataclass(frozen=True)
class HandlerEntry:
    """A requirement's handler module and what it declares."""

    req_id: str
    suite: str
    module: ModuleType
    handler: Callable[..., Any]
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    runner_options: dict[str, Any] = field(default_factory=dict)


def _module_index() -> dict[str, tuple[str, str]]:
    """``{req_id: (suite, module name)}`` for every handler module on disk (not imported)."""
    index: dict[str, tuple[str, str]] = {}
    if not _HANDLERS_DIR.is_dir():
        return index
    for suite_dir in sorted(p for p in _HANDLERS_DIR.iterdir() if (p / "__init__.py").is_file()):
        for info in pkgutil.iter_modules([str(suite_dir)]):
            req_id = requirement_id(info.name)
            if req_id is None:
                continue
            if req_id in index:
                other = index[req_id][0]
                raise RuntimeError(
                    f"requirement {req_id} has two handler modules: handlers/{other}/{info.name}.py "
                    f"and handlers/{suite_dir.name}/{info.name}.py"
                )
            index[req_id] = (suite_dir.name, info.name)
    return index


def discover() -> dict[str, tuple[str, str]]:
    """Every requirement id with a handler module: ``{req_id: (suite, module name)}``."""
    return _module_index()


def _suite_functions(suite: str) -> dict[str, Callable[..., Any]]:
    package = importlib.import_module(f"{HANDLERS_PACKAGE}.{suite}")
    return dict(getattr(package, "FUNCTIONS", None) or {})


def entry_for(req_id: str) -> HandlerEntry | None:
    """The handler module of ``req_id`` (imported), or ``None`` when there is none yet. An
    import error, a module without ``handler`` or a module in the wrong suite folder raises."""
    located = _module_index().get(req_id)
    if located is None:
        return None
    suite, name = located
    expected_suite = suite_of(req_id)
    if expected_suite is not None and suite != expected_suite:
        raise RuntimeError(
            f"handler module for {req_id} is in handlers/{suite}/ but belongs in "
            f"handlers/{expected_suite}/"
        )
    module = importlib.import_module(f"{HANDLERS_PACKAGE}.{suite}.{name}")
    handler = getattr(module, "handler", None)
    if not callable(handler):
        raise RuntimeError(f"{module.__name__} defines no callable `handler`")
    functions = _suite_functions(suite)
    functions.update(getattr(module, "FUNCTIONS", None) or {})
    options = dict(getattr(module, "RUNNER_OPTIONS", None) or {})
    return HandlerEntry(req_id, suite, module, handler, functions, options)


def handler_for(req_id: str) -> Callable[..., Any] | None:
    """The ``handler`` of requirement ``req_id`` (``None`` when it has no module yet)."""
    entry = entry_for(req_id)
    return entry.handler if entry is not None else None


def functions_for(req_id: str) -> dict[str, Callable[..., Any]]:
    """The chained-invoke targets requirement ``req_id`` registers (suite's, then its own)."""
    entry = entry_for(req_id)
    return dict(entry.functions) if entry is not None else {}
