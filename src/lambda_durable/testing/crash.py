"""Process crashes (``os._exit``) inside handlers run by the local service (protocol.md 8.3 rule 4).

On Lambda, ``os._exit(n)`` in a handler ends the process at once: the invocation ends with a
``Runtime.ExitError`` ("RequestId: <id> Error: Runtime exited with error: exit status <n>"),
nothing the SDK had queued but not yet sent reaches the service, no code after the call runs, and
the service invokes the function again. The local service runs handlers in its own process, so
it must not let them exit it. While an invocation runs (:func:`process_exit_model`), ``os._exit``
is replaced by a function that, in any thread running in the invocation's contextvars context
(the handler's worker thread and the map/parallel branch threads it starts, which copy it):

1. calls the invocation's ``on_exit(code)`` (the driver revokes the invocation's checkpoint
   tokens, so nothing sent afterwards by any thread of the invocation is applied, and ends the
   invocation at once), then
2. raises :class:`ProcessExit`, a private ``BaseException`` the SDK never catches, so the calling
   thread unwinds without running more user code and without flushing queued updates.

Called anywhere else (no invocation in the context), ``os._exit`` is the real one. Code that bound
the function before the invocation (``from os import _exit``) is not covered: call ``os._exit``.
The replacement is installed while at least one invocation runs and removed after the last.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from typing import Any, Callable, Iterator, NoReturn

__all__ = ["ProcessExit", "exit_error", "process_exit_model"]

#: ErrorType Lambda reports for a runtime that exited during an invocation.
RUNTIME_EXIT_ERROR_TYPE = "Runtime.ExitError"


class ProcessExit(BaseException):
    """Raised in place of ``os._exit(code)`` inside an invocation of the local service (not an
    ``Exception``: user and SDK code do not catch it)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"os._exit({code}) inside a durable invocation: the process exited")
        self.code = code


def exit_error(request_id: str, code: Any) -> dict[str, Any]:
    """The ErrorObject Lambda reports for a runtime that exited with status ``code``."""
    return {
        "ErrorType": RUNTIME_EXIT_ERROR_TYPE,
        "ErrorMessage": (
            f"RequestId: {request_id} Error: Runtime exited with error: exit status "
            f"{code if code is not None else 0}"
        ),
    }


_on_exit: contextvars.ContextVar[Callable[[int], None] | None] = contextvars.ContextVar(
    "lambda_durable_on_process_exit", default=None
)
_install_lock = threading.Lock()
_installed = 0
#: what ``os._exit`` was when the process imported this module (called outside invocations)
_real_exit = os._exit
#: what ``os._exit`` was when the replacement was installed (restored after the last invocation)
_saved_exit = os._exit


def _modelled_exit(code: int) -> NoReturn:
    on_exit = _on_exit.get()
    if on_exit is None:
        _real_exit(code)
        return  # type: ignore[misc]  # only when the real function was stubbed out
    on_exit(code)
    raise ProcessExit(code)


def _install() -> None:
    global _installed, _saved_exit
    with _install_lock:
        if _installed == 0 and os._exit is not _modelled_exit:
            _saved_exit = os._exit
            os._exit = _modelled_exit  # type: ignore[assignment]
        _installed += 1


def _uninstall() -> None:
    global _installed
    with _install_lock:
        _installed -= 1
        if _installed == 0 and os._exit is _modelled_exit:
            os._exit = _saved_exit  # type: ignore[assignment]


@contextlib.contextmanager
def process_exit_model(on_exit: Callable[[int], None]) -> Iterator[None]:
    """Within this block (and in threads that copy the current contextvars context), a call of
    ``os._exit(code)`` calls ``on_exit(code)`` and raises :class:`ProcessExit` instead of ending
    the process."""
    _install()
    reset = _on_exit.set(on_exit)
    try:
        yield
    finally:
        _on_exit.reset(reset)
        _uninstall()
