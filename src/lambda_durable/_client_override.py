"""The durable service client a local service installs for the handler it invokes.

The local service (``lambda_durable.testing``) calls the user's handler in-process; while it does,
:func:`use_client` makes every ``@durable_execution`` handler talk to it instead of boto3, whatever
client the decorator was given (like pointing the function at another endpoint).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

_OVERRIDE: ContextVar[Any] = ContextVar("lambda_durable_service_client", default=None)


def current_override() -> Any:
    """The client installed by :func:`use_client` in this context, or ``None``."""
    return _OVERRIDE.get()


@contextmanager
def use_client(client: Any) -> Iterator[None]:
    """Route durable API calls of handlers invoked inside this block to ``client``.

    ``client`` implements the boto3 Lambda client's ``checkpoint_durable_execution(**kwargs)`` and
    ``get_durable_execution_state(**kwargs)`` with the same request and response shapes.
    """
    token = _OVERRIDE.set(client)
    try:
        yield
    finally:
        _OVERRIDE.reset(token)
