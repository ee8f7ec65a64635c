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

__all__ = [
    "bounded_error",
    "error_dict_from_exception",
    "qualified_error_type",
    "to_datetime",
    "to_epoch_seconds",
]

_UTC = datetime.timezone.utc
_ZERO = datetime.timedelta(0)


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


#: What a shortened ErrorObject field ends with.
TRUNCATION_MARK = "... [truncated]"


def bounded_error(error: dict[str, Any], limit: int | None = None) -> dict[str, Any]:
    """``error`` (a wire ErrorObject dict) itself when its JSON fits ``limit`` UTF-8 bytes
    (default :data:`~lambda_durable.limits.ERROR_LIMIT_BYTES`, 32,768: the smallest limit a
    service applies to an ``Error``), else a copy that fits: ``StackTrace`` dropped first, then
    ``ErrorData`` and ``ErrorMessage`` cut (ending with :data:`TRUNCATION_MARK`); ``ErrorType``
    is kept. So an operation failing with a huge message fails as itself instead of getting its
    checkpoint refused."""
    import json

    from .limits import ERROR_LIMIT_BYTES

    if limit is None:
        limit = ERROR_LIMIT_BYTES
    # a character is at most 12 bytes of ASCII-escaped JSON (a surrogate pair): small errors
    # are never serialized here
    chars = sum(len(v) for v in error.values() if isinstance(v, str)) + sum(
        len(line) for line in error.get("StackTrace") or () if isinstance(line, str)
    )
    if chars * 12 + 256 <= limit or len(json.dumps(error)) <= limit:
        return error
    out = {k: v for k, v in error.items() if k != "StackTrace"}
    for key in ("ErrorData", "ErrorMessage"):
        size = len(json.dumps(out))
        if size <= limit:
            break
        text = out.get(key)
        if not isinstance(text, str):
            continue
        # cut by characters until the escaped JSON fits (at most a few passes)
        keep = len(text)
        while keep > 0 and size > limit:
            keep = max(0, keep - (size - limit) - len(TRUNCATION_MARK) - 16)
            out[key] = text[:keep] + TRUNCATION_MARK
            size = len(json.dumps(out))
    return out


def to_datetime(value: Any) -> datetime.datetime | None:
    """A wire timestamp as an aware UTC datetime: accepts ``datetime`` (boto3; naive ones are
    taken as UTC, other offsets converted), epoch milliseconds as int (invocation event), epoch
    seconds as float, or ISO-8601 strings. Anything else raises ``TypeError``/``ValueError``
    ("not a timestamp: ...")."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value if value.utcoffset() == _ZERO else value.astimezone(_UTC)
    if isinstance(value, bool):
        raise TypeError(
            f"not a timestamp: {value!r} (expected epoch milliseconds, an ISO-8601 string or a "
            "datetime)"
        )
    if isinstance(value, int):
        return datetime.datetime.fromtimestamp(value / 1000, tz=_UTC)
    if isinstance(value, float):
        return datetime.datetime.fromtimestamp(value, tz=_UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"not a timestamp: {value!r} (expected epoch milliseconds, an ISO-8601 string "
                "or a datetime)"
            ) from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=_UTC)
        return parsed if parsed.utcoffset() == _ZERO else parsed.astimezone(_UTC)
    raise TypeError(
        f"not a timestamp: {value!r} (expected epoch milliseconds, an ISO-8601 string or a "
        "datetime)"
    )


def to_epoch_seconds(value: Any) -> float | None:
    """A wire timestamp (see :func:`to_datetime`) as epoch seconds."""
    dt = to_datetime(value)
    return None if dt is None else dt.timestamp()
