"""The default boto3 ``lambda`` client, created on first use and reused across warm invocations
(boto3 is imported only here, lazily, so importing lambda_durable stays cheap)."""
from __future__ import annotations

import threading
from typing import Any

_CLIENT: Any = None
_LOCK = threading.Lock()


def default_lambda_client() -> Any:
    """``boto3.client("lambda")`` with the official SDK's timeouts (connect 5 s, read 50 s)."""
    global _CLIENT
    if _CLIENT is None:
        with _LOCK:
            if _CLIENT is None:
                import boto3
                from botocore.config import Config

                from . import __version__

                _CLIENT = boto3.client(
                    "lambda",
                    config=Config(
                        connect_timeout=5,
                        read_timeout=50,
                        user_agent_extra=f"lambda-durable/{__version__}",
                    ),
                )
    return _CLIENT


class DefaultLambdaClient:
    """Stands for :func:`default_lambda_client` until a call needs it: the client is created
    at the first API call (after the invocation event was checked), so a handler called with a
    payload that is not a durable invocation event reports that, not a missing AWS region."""

    __slots__ = ()

    def checkpoint_durable_execution(self, **kwargs: Any) -> Any:
        return default_lambda_client().checkpoint_durable_execution(**kwargs)

    def get_durable_execution_state(self, **kwargs: Any) -> Any:
        return default_lambda_client().get_durable_execution_state(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(default_lambda_client(), name)

    def __repr__(self) -> str:
        return "DefaultLambdaClient()"


#: The one :class:`DefaultLambdaClient` (stateless).
DEFAULT_CLIENT = DefaultLambdaClient()
