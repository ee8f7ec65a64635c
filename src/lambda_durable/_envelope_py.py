"""Extended-type envelope encoder/decoder, pure-Python twin of ``lambda_durable._envelope_c``.

``encode(value) -> str`` and ``decode(data) -> value`` are the wire format of
:class:`~lambda_durable.serdes.ExtendedTypeSerDes` (protocol.md section 6.1), byte-identical to the
official SDK 3.0.0; ``lambda_durable._envelope`` picks the compiled twin when it is built and
allowed, else this module. Both raise the same errors: :class:`SerDesError` for unsupported types,
tuple keys, a malformed envelope, an unknown tag or a container of the wrong shape; anything else
(json's ``TypeError`` for another dict key type, ``ValueError`` of an oversized int or a bad
UUID/date/Decimal, ``RecursionError`` for a cycle, ``json.JSONDecodeError``...) propagates as
raised and is wrapped by :mod:`lambda_durable.serdes`.

This module is also the reference of the compiled twin, which hands it every input its fast paths
do not cover (errors included). The leaf conversions below are also used by the codec classes of
:mod:`lambda_durable.serdes`.
"""

from __future__ import annotations

import binascii
import importlib
import json
import re
import sys
from datetime import date, datetime
from typing import Any

from lambda_durable.exceptions import SerDesError

try:  # runtime dependency, used only where it gives results identical to ``json``
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _orjson = None

__all__ = ["decode", "encode"]

#: Module and class name of the BatchResult the ``br`` tag stands for. Imported lazily so that
#: this module has no import-time dependency on the concurrency package.
_BATCH_RESULT_MODULE = "lambda_durable.concurrency.models"


# --------------------------------------------------------------------------------------------
# Leaf conversions shared by the codec classes and the envelope encoder/decoder
# --------------------------------------------------------------------------------------------


def _b64encode(obj: Any) -> str:
    """bytes / bytearray / memoryview -> standard base64 with padding (``base64.b64encode``)."""
    return binascii.b2a_base64(bytes(obj), newline=False).decode("ascii")


def _b64decode(value: Any) -> bytes:
    """Inverse of :func:`_b64encode`; like the official SDK it is lenient about non-alphabet
    characters (``binascii`` default)."""
    return binascii.a2b_base64(value.encode("utf-8"))  # = base64.b64decode(value)


def _parse_datetime(value: Any) -> datetime:
    """ISO-8601 datetime; a trailing ``Z`` (UTC, as other writers emit it) is accepted."""
    if isinstance(value, str) and value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value)


# ``decimal`` and ``uuid`` are imported only when a payload holds such a value (``decimal`` is
# otherwise not needed at start-up; ``uuid`` is usually already loaded by orjson). A UUID or
# Decimal instance cannot exist before its module has been imported, so looking the class up in
# ``sys.modules`` is an exact isinstance guard.


def _is_uuid(obj: Any) -> bool:
    mod = sys.modules.get("uuid")
    return mod is not None and isinstance(obj, mod.UUID)


def _is_decimal(obj: Any) -> bool:
    mod = sys.modules.get("decimal")
    return mod is not None and isinstance(obj, mod.Decimal)


def _to_uuid(value: Any) -> Any:
    import uuid  # noqa: PLC0415 - lazy, see above

    return uuid.UUID(value)


def _to_decimal(value: Any) -> Any:
    from decimal import Decimal  # noqa: PLC0415 - lazy, see above

    return Decimal(value)


def _batch_result_class() -> type | None:
    """The project's BatchResult class if its module has been imported, else ``None``.

    No instance of the class can exist before its module is imported, so looking it up in
    ``sys.modules`` is an exact, import-free ``isinstance`` guard."""
    mod = sys.modules.get(_BATCH_RESULT_MODULE)
    return getattr(mod, "BatchResult", None) if mod is not None else None


def _is_batch_result(obj: Any) -> bool:
    cls = _batch_result_class()
    return cls is not None and isinstance(obj, cls)


def _batch_result_from_dict(data: Any) -> Any:
    """Build a BatchResult from the decoded ``br`` object (``{"all": [...],
    "completionReason": ...}``) via ``lambda_durable.concurrency.models.BatchResult.from_dict``."""
    try:
        batch_result = importlib.import_module(_BATCH_RESULT_MODULE).BatchResult
    except (ImportError, AttributeError) as e:  # pragma: no cover - package incomplete
        raise SerDesError(f"Cannot decode a BatchResult ('br') payload: {e}") from e
    return batch_result.from_dict(data)


def _unsupported(obj: Any) -> SerDesError:
    return SerDesError(
        f"Unsupported type: {type(obj)!r}. The default serdes (ExtendedTypeSerDes) handles None, "
        "str, int, float, bool, bytes/bytearray/memoryview, uuid.UUID, decimal.Decimal, "
        "datetime, date, list, tuple, dict and BatchResult; pass a custom SerDes for other types."
    )


_TUPLE_KEYS_MSG = "Tuple keys not supported: dict keys must be str, int, float, bool or None."


# --------------------------------------------------------------------------------------------
# Envelope encoder / decoder used by ExtendedTypeSerDes (same JSON as the codecs)
#
# Output must equal ``json.dumps(x, separators=(",", ":"))`` byte for byte. orjson is used only
# where it provably agrees with it; every other case falls back to the stdlib encoder:
#   * floats: orjson formats exponents differently (1e-7 vs 1e-07) and writes NaN as null, so
#     floats in envelopes are wrapped in ``_Float``, a float subclass that orjson hands to
#     ``_orjson_default`` (which emits json's exact text as an ``orjson.Fragment``) and that json
#     writes as any float; plain lists holding floats go to json directly;
#   * dict keys other than exact ``str`` and ints outside 64 bits: orjson raises -> json;
#   * non-ASCII output or DEL (0x7f): json escapes them (ensure_ascii) -> json.
# On decode, orjson reads integers beyond 64 bits as floats: a float where the tag wants another
# type (or a raw nested number) makes the decoder re-read the payload with json, which reads
# numbers as the official SDK does (see ``_LossyNumber``).
# --------------------------------------------------------------------------------------------

_PRIMITIVE_TYPES = frozenset({str, int, float, bool, type(None)})
_NON_FLOAT_PRIMITIVE_TYPES = frozenset({str, int, bool, type(None)})

# Compact, ASCII-escaping, NaN-allowing encoder: byte-identical to
# ``json.dumps(x, separators=(",", ":"))``. check_circular is off because the encoder only ever
# sees freshly built envelopes or lists already walked (a cycle fails earlier, RecursionError).
_compact_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
_encode_ascii_str = json.encoder.encode_basestring_ascii  # what json uses for a str
_float_repr = float.__repr__


class _Float(float):
    """Marks a float inside an envelope (see above); json writes it like any float."""

    __slots__ = ()


_INF = float("inf")


def _json_float_text(o: float) -> str:
    """The text json writes for a float: ``float.__repr__``, or NaN/Infinity/-Infinity."""
    if o != o:
        return "NaN"
    if o == _INF:
        return "Infinity"
    if o == -_INF:
        return "-Infinity"
    return _float_repr(o)


_Fragment = getattr(_orjson, "Fragment", None)  # orjson >= 3.10


def _orjson_default(o: Any) -> Any:
    if _Fragment is not None and type(o) is _Float:
        return _Fragment(_json_float_text(o))
    raise TypeError  # anything else: let json decide


_ENV_NONE = {"t": "n", "v": None}
_ENV_TRUE = {"t": "b", "v": True}
_ENV_FALSE = {"t": "b", "v": False}


def _is_primitive(obj: Any) -> bool:
    """True for None/str/int/float/bool (subclasses included) and lists, nested or not, of only
    those: the values written as plain JSON by the fast path."""
    if type(obj) in _PRIMITIVE_TYPES:
        return True
    if isinstance(obj, list):
        return _list_kind(obj) >= 0
    return isinstance(obj, (str, int, float))


def _list_kind(items: list) -> int:
    """-1 if ``items`` holds something other than primitives/nested lists of primitives;
    otherwise 1 if a float occurs anywhere in it, else 0."""
    kind = 0
    non_float = _NON_FLOAT_PRIMITIVE_TYPES
    for x in items:
        t = type(x)
        if t in non_float:
            continue
        if t is float:
            kind = 1
        elif isinstance(x, list):
            k = _list_kind(x)
            if k < 0:
                return -1
            kind |= k
        elif isinstance(x, float):
            kind = 1
        elif not isinstance(x, (str, int)):
            return -1
    return kind


def _dump(obj: Any) -> str:
    """JSON-ready structure without bare floats -> compact ASCII JSON (orjson when identical)."""
    if _orjson is not None:
        try:
            out = _orjson.dumps(obj, default=_orjson_default)
        except TypeError:  # non-str key, int beyond 64 bits, lone surrogate, deep nesting
            return _compact_encode(obj)
        if out.isascii() and b"\x7f" not in out:
            return out.decode("ascii")
    return _compact_encode(obj)


def _env(obj: Any) -> Any:
    """Python value -> JSON-ready envelope ``{"t": tag, "v": ...}`` (nested values enveloped).
    Dict keys are kept as they are; json turns int/float/bool/None keys into strings."""
    t = type(obj)
    if t is str:
        return {"t": "s", "v": obj}
    if t is int:
        return {"t": "i", "v": obj}
    if t is dict:
        return {"t": "m", "v": _env_dict(obj)}
    if t is bool:
        return _ENV_TRUE if obj else _ENV_FALSE
    if obj is None:
        return _ENV_NONE
    if t is float:
        return {"t": "f", "v": _Float(obj)}
    if t is list:
        return {"t": "l", "v": [_env(x) for x in obj]}
    if t is tuple:
        return {"t": "t", "v": [_env(x) for x in obj]}
    return _env_other(obj)


def _env_dict(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if type(k) is not str and isinstance(k, tuple):
            raise SerDesError(_TUPLE_KEYS_MSG)
        out[k] = _env(v)
    return out


def _env_other(obj: Any) -> Any:
    """Subclasses and the non-container extended types, in the official dispatch order."""
    if isinstance(obj, str):
        return {"t": "s", "v": obj}
    if isinstance(obj, int):  # bool cannot be subclassed; an int subclass is an int
        return {"t": "i", "v": obj}
    if isinstance(obj, float):
        return {"t": "f", "v": _Float(obj)}
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return {"t": "B", "v": _b64encode(obj)}
    if _is_uuid(obj):
        return {"t": "u", "v": str(obj)}
    if _is_decimal(obj):
        return {"t": "d", "v": str(obj)}
    if isinstance(obj, datetime):
        return {"t": "dt", "v": obj.isoformat()}
    if isinstance(obj, date):
        return {"t": "D", "v": obj.isoformat()}
    if _is_batch_result(obj):
        return {"t": "br", "v": _env(obj.to_dict())["v"]}
    if isinstance(obj, list):
        return {"t": "l", "v": [_env(x) for x in obj]}
    if isinstance(obj, tuple):
        return {"t": "t", "v": [_env(x) for x in obj]}
    if isinstance(obj, dict):
        return {"t": "m", "v": _env_dict(obj)}
    raise _unsupported(obj)


def encode(value: Any) -> str:
    """Extended-envelope serialization (protocol.md 6.1): ``None``/``str``/``int``/``float``/
    ``bool`` and lists of only those (nested lists included) as plain compact JSON, anything else
    as a ``{"t","v"}`` envelope; ASCII, compact, byte-identical to the official SDK.

    Raises :class:`SerDesError` for unsupported types and tuple keys; other failures propagate
    as raised (json's ``TypeError`` for another unsupported dict key, ``ValueError`` for an int
    beyond ``sys.get_int_max_str_digits()``, ``RecursionError`` for a cycle, or whatever
    ``BatchResult.to_dict()`` raises) and are wrapped by the callers."""
    t = type(value)
    if t is str:
        return _encode_ascii_str(value)
    if t is int:
        return int.__repr__(value)
    if t is dict:
        return _dump({"t": "m", "v": _env_dict(value)})
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is float:
        return _compact_encode(value)
    if isinstance(value, list):
        kind = _list_kind(value)
        if kind == 0:
            return _dump(value)
        if kind == 1:
            return _compact_encode(value)
        return _dump({"t": "l", "v": [_env(x) for x in value]})
    if isinstance(value, (str, int, float)):  # subclasses (StrEnum, IntEnum, ...)
        return _compact_encode(value)
    return _dump(_env(value))


class _LossyNumber(Exception):
    """A float where the envelope needs another type (or a raw nested number): orjson may have
    read an integer beyond 64 bits as a float, so the payload is decoded again from json's
    reading."""


def _dec(x: Any) -> Any:
    """Decode one nested element: an envelope object (a JSON object with both ``t`` and ``v``)
    is decoded, anything else passes through (the official SDK never writes raw nested values;
    other writers might)."""
    if type(x) is dict:
        try:
            tag = x["t"]
            val = x["v"]
        except KeyError:
            return x
        return _dec_tag(tag, val)
    if type(x) is float:
        raise _LossyNumber
    return x


def _dec_map(v: Any) -> dict:
    """Decode the value of an ``m`` envelope (inlines the common str/int members)."""
    if type(v) is not dict:
        if type(v) is float:
            raise _LossyNumber
        raise SerDesError(f"Expected dict, got {type(v)}")
    out = {}
    for k, x in v.items():
        if type(x) is dict:
            try:
                tag = x["t"]
                val = x["v"]
            except KeyError:
                out[k] = x
                continue
            if tag == "s" and type(val) is str:
                out[k] = val
            elif tag == "i" and type(val) is int:
                out[k] = val
            else:
                out[k] = _dec_tag(tag, val)
        elif type(x) is float:
            raise _LossyNumber
        else:
            out[k] = x
    return out


def _dec_list(v: Any) -> list:
    if type(v) is not list:
        if type(v) is float:
            raise _LossyNumber
        raise SerDesError(f"Expected list, got {type(v)}")
    return [_dec(x) for x in v]


def _dec_tag(tag: Any, v: Any) -> Any:
    """Decode the value ``v`` of an envelope with tag ``tag`` (same coercions as the codecs)."""
    if tag == "s":
        if type(v) is str:
            return v
        if type(v) is float:
            raise _LossyNumber
        return str(v)
    if tag == "i":
        if type(v) is int:
            return v
        if type(v) is float:
            raise _LossyNumber
        return int(v)
    if tag == "m":
        return _dec_map(v)
    if tag == "f":
        return v if type(v) is float else float(v)
    if tag == "b":
        return v if type(v) is bool else bool(v)
    if tag == "n":
        return None
    if tag == "l":
        return _dec_list(v)
    if tag == "t":
        return tuple(_dec_list(v))
    if type(v) is float:  # json may have read an int here (the error, if any, names its type)
        raise _LossyNumber
    if tag == "dt":
        return _parse_datetime(v)
    if tag == "d":
        return _to_decimal(v)
    if tag == "u":
        return _to_uuid(v)
    if tag == "B":
        return _b64decode(v)
    if tag == "D":
        return date.fromisoformat(v)
    if tag == "br":
        return _batch_result_from_dict(_dec_map(v))
    raise SerDesError(f'Unknown type tag: "{tag}"')


def _exact_decode(tag: Any, v: Any) -> Any:
    """Decode the root envelope from json's exact reading with the codec classes (same results
    and errors as the walker above, without its lossy-number checks)."""
    from lambda_durable.serdes import TYPE_CODEC, _to_tag  # noqa: PLC0415 - import cycle

    return TYPE_CODEC.decode(_to_tag(tag), v)


# A run of 19+ digits may be an integer outside 64 bits, which orjson reads as a float.
_LONG_DIGITS = re.compile(r"[0-9]{19}")


def decode(data: Any) -> Any:
    """Inverse of :func:`encode`; accepts everything the official SDK (1.x and 3.x)
    wrote.

    Raises :class:`SerDesError` for a malformed envelope (root not primitive and not an object
    with ``t`` and ``v``), an unknown tag or a container of the wrong shape; other failures
    propagate as raised (``json.JSONDecodeError``, ``ValueError`` of a bad UUID/date/Decimal,
    ``binascii.Error``, whatever ``BatchResult.from_dict`` raises) and are wrapped by the
    callers."""
    if _orjson is not None and type(data) is str:
        try:
            obj = _orjson.loads(data)
            exact = False
        except _orjson.JSONDecodeError:  # NaN/Infinity, lone surrogates, deep nesting, invalid
            obj = json.loads(data)
            exact = True
    else:
        obj = json.loads(data)
        exact = True

    t = type(obj)
    if t is dict:
        if "t" not in obj or "v" not in obj:
            raise SerDesError('Malformed envelope: missing "t" or "v" at root.')
        try:
            return _dec_tag(obj["t"], obj["v"])
        except _LossyNumber:
            if not exact:
                obj = json.loads(data)  # ints of any size
            return _exact_decode(obj["t"], obj["v"])
    if t in _PRIMITIVE_TYPES:
        kind = 1 if t is float else 0
    elif t is list:
        kind = _list_kind(obj)
        if kind < 0:
            raise SerDesError('Malformed envelope: missing "t" or "v" at root.')
    else:  # pragma: no cover - JSON has no other types
        raise SerDesError('Malformed envelope: missing "t" or "v" at root.')
    if kind and not exact and _LONG_DIGITS.search(data) is not None:
        return json.loads(data)  # a float here may be a >64-bit int read by orjson
    return obj

