"""The few wire helpers the replay engine needs at run time, without the typed model.

:mod:`lambda_durable.lambda_service` defines the official SDK's typed view of the API shapes (two
dozen dataclasses and enums, ~15 ms to import); the engine works on the wire dicts and only needs
these functions, so it imports them from here and a handler's cold start never builds that model.
``lambda_service`` re-exports them (same objects).
"""
from __future__ import annotations

import datetime
from typing import Any

from .exceptions import (
    OFFICIAL_EXCEPTIONS_MODULE,
    DurableOperationError,
    SerDesError,
    _qualified_name,
)

__all__ = ["error_dict_from_exception", "qualified_error_type", "to_datetime", "to_epoch_seconds"]

_UTC = datetime.timezone.utc


def qualified_error_type(exception: BaseException) -> str:
    """``ErrorType`` of ``exception``: its fully qualified class name (builtins bare)."""
    cls = type(exception)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return _qualified_name(cls)


def error_dict_from_exception(exception: BaseException) -> dict[str, Any]:
    """The wire ErrorObject dict of ``exception`` (keys with ``None`` omitted), exactly
    ``dict(ErrorObject.from_exception(exception).to_dict())``: SDK errors keep their stored
    fields; every :class:`SerDesError` is written as the base SerDesError."""
    if isinstance(exception, SerDesError):
        fields = (
            exception.message,
            f"{OFFICIAL_EXCEPTIONS_MODULE}.SerDesError",
            exception.data,
            exception.stack_trace,
        )
    elif isinstance(exception, DurableOperationError):
        fields = (
            exception.message,
            qualified_error_type(exception),
            exception.data,
            exception.stack_trace,
        )
    else:
        return {"ErrorMessage": str(exception), "ErrorType": qualified_error_type(exception)}
    message, error_type, data, stack_trace = fields
    out: dict[str, Any] = {}
    if message is not None:
        out["ErrorMessage"] = message
    if error_type is not None:
        out["ErrorType"] = error_type
    if data is not None:
        out["ErrorData"] = data
    if stack_trace is not None:
        out["StackTrace"] = stack_trace
    return out


def to_datetime(value: Any) -> datetime.datetime | None:
    """A wire timestamp as an aware UTC datetime: accepts ``datetime`` (boto3), epoch
    milliseconds as int (invocation event), epoch seconds as float, or ISO-8601 strings."""
    if value is None or isinstance(value, datetime.datetime):
        if isinstance(value, datetime.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value
    if isinstance(value, bool):
        raise TypeError(f"not a timestamp: {value!r}")
    if isinstance(value, int):
        return datetime.datetime.fromtimestamp(value / 1000, tz=_UTC)
    if isinstance(value, float):
        return datetime.datetime.fromtimestamp(value, tz=_UTC)
    if isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)
    raise TypeError(f"not a timestamp: {value!r}")


def to_epoch_seconds(value: Any) -> float | None:
    """A wire timestamp (see :func:`to_datetime`) as epoch seconds."""
    dt = to_datetime(value)
    return None if dt is None else dt.timestamp()
