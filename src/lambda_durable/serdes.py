"""Serialization of operation results and state (``SerDes``) and the extended type envelope.

Every value a durable operation checkpoints (step results, child-context results, map/parallel
``BatchResult`` s, wait_for_condition state, invoke payloads, callback results) travels to the
service as a string ``Payload`` and comes back, on replay, through the same :class:`SerDes`.

Built-in serdes (protocol reference section 6):

* :class:`ExtendedTypeSerDes` (:data:`EXTENDED_TYPES_SERDES`, the default for step, child context,
  map/parallel and wait_for_condition values). Wire format, **byte-identical** to the official SDK
  3.0.0 (checkpoint compatibility, [PY]):

  - *fast path*: ``None``, ``str``, ``int``, ``float``, ``bool`` and lists (nested lists included)
    holding only those are written as compact JSON (``","``/``":"`` separators, ASCII escaping):
    ``1``, ``"x"``, ``null``, ``[1,2,"a"]``;
  - anything else is an *envelope* ``{"t": <tag>, "v": <value>}`` in which every nested value is
    itself an envelope, primitives included: ``{"a": 1}`` ->
    ``{"t":"m","v":{"a":{"t":"i","v":1}}}``. Tags: see :class:`TypeTag`.
  - floats NaN/Infinity are written as the bare JavaScript tokens ``NaN``/``Infinity`` and ints of
    any size as bare digits, exactly as Python's ``json`` module (and the official SDK) does.

* :class:`JsonSerDes` (:data:`DEFAULT_JSON_SERDES`): plain ``json.dumps``/``json.loads`` with the
  default separators (``{"a": 1}``); the official SDK's choice for invoke payloads and results.
* :class:`PassThroughSerDes`: identity on strings (callback results).

The module functions :func:`serialize`/:func:`deserialize` pick :data:`EXTENDED_TYPES_SERDES`
when no serdes is given and classify failures: :class:`~lambda_durable.exceptions.SerDesError`
(permanent, the operation fails) and
:class:`~lambda_durable.exceptions.RetryableSerDesError` (the invocation is retried) pass
through unchanged, any other exception raised by a serdes is wrapped in ``SerDesError``.

Codec classes (:class:`TypeCodec`, :class:`ContainerCodec`, ...) are the public building blocks
of the envelope with the official SDK's interface; :class:`ExtendedTypeSerDes` itself uses a
single-pass private encoder/decoder that produces and accepts exactly the same JSON.
"""

from __future__ import annotations

import binascii
import importlib
import json
import logging
import re
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from lambda_durable.exceptions import (
    DurableExecutionsError,
    RetryableSerDesError,
    SerDesError,
)

try:  # runtime dependency, used only where it gives results identical to ``json``
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _orjson = None

__all__ = [
    "DEFAULT_JSON_SERDES",
    "EXTENDED_TYPES_SERDES",
    "TYPE_CODEC",
    "TYPE_TOKEN",
    "VALUE_TOKEN",
    "BytesCodec",
    "Codec",
    "ContainerCodec",
    "DateTimeCodec",
    "DecimalCodec",
    "EncodedValue",
    "ExtendedTypeSerDes",
    "JsonSerDes",
    "PassThroughSerDes",
    "PrimitiveCodec",
    "SerDes",
    "SerDesContext",
    "T",
    "TypeCodec",
    "TypeTag",
    "UuidCodec",
    "deserialize",
    "serialize",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Envelope key holding the type tag.
TYPE_TOKEN: str = "t"
#: Envelope key holding the encoded value.
VALUE_TOKEN: str = "v"

#: Module and class name of the BatchResult the ``br`` tag stands for. Imported lazily so that
#: this module has no import-time dependency on the concurrency package.
_BATCH_RESULT_MODULE = "lambda_durable.concurrency.models"


class TypeTag(StrEnum):
    """Type tags of the extended envelope (wire values fixed by the official SDK, [PY])."""

    NONE = "n"
    STR = "s"
    INT = "i"
    FLOAT = "f"
    BOOL = "b"
    BYTES = "B"
    UUID = "u"
    DECIMAL = "d"
    DATETIME = "dt"
    DATE = "D"
    TUPLE = "t"
    LIST = "l"
    DICT = "m"
    BATCH_RESULT = "br"


@dataclass(frozen=True)
class EncodedValue:
    """A value encoded by a :class:`Codec`: its :class:`TypeTag` and the JSON-ready ``value``
    (for containers, a list or dict of nested :class:`EncodedValue`)."""

    tag: TypeTag
    value: Any


# --------------------------------------------------------------------------------------------
# Leaf conversions shared by the codec classes and the fast envelope walker
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
# Codecs (public building blocks, official SDK interface)
# --------------------------------------------------------------------------------------------


class Codec(Protocol):
    """Encodes one family of Python types to an :class:`EncodedValue` and back."""

    def encode(self, obj: Any) -> EncodedValue: ...

    def decode(self, tag: TypeTag, value: Any) -> Any: ...


class PrimitiveCodec:
    """``None``/``str``/``bool``/``int``/``float`` <-> tags ``n``/``s``/``b``/``i``/``f``.

    ``bool`` is checked before ``int``. Decoding coerces ``v`` with ``str``/``bool``/``int``/
    ``float`` (so ``{"t":"f","v":"NaN"}`` decodes to NaN), as the official SDK does.
    Raises :class:`SerDesError` for other types or tags."""

    def encode(self, obj: Any) -> EncodedValue:  # noqa: PLR6301
        if obj is None:
            return EncodedValue(TypeTag.NONE, None)
        if isinstance(obj, str):
            return EncodedValue(TypeTag.STR, obj)
        if isinstance(obj, bool):
            return EncodedValue(TypeTag.BOOL, obj)
        if isinstance(obj, int):
            return EncodedValue(TypeTag.INT, obj)
        if isinstance(obj, float):
            return EncodedValue(TypeTag.FLOAT, obj)
        raise SerDesError(f"Unsupported primitive type: {type(obj)!r}")

    def decode(self, tag: TypeTag, value: Any) -> Any:  # noqa: PLR6301
        if tag == TypeTag.NONE:
            return None
        if tag == TypeTag.STR:
            return str(value)
        if tag == TypeTag.BOOL:
            return bool(value)
        if tag == TypeTag.INT:
            return int(value)
        if tag == TypeTag.FLOAT:
            return float(value)
        raise SerDesError(f"Unknown primitive tag: {tag}")


class BytesCodec:
    """``bytes``/``bytearray``/``memoryview`` <-> tag ``B``, value standard base64 with padding.
    Decodes to ``bytes``. Raises :class:`SerDesError` for another tag."""

    def encode(self, obj: Any) -> EncodedValue:  # noqa: PLR6301
        return EncodedValue(TypeTag.BYTES, _b64encode(obj))

    def decode(self, tag: TypeTag, value: Any) -> Any:  # noqa: PLR6301
        if tag != TypeTag.BYTES:
            raise SerDesError(f"Expected BYTES tag, got {tag}")
        return _b64decode(value)


class UuidCodec:
    """``uuid.UUID`` <-> tag ``u``, value the canonical string. Raises :class:`SerDesError` for
    another tag."""

    def encode(self, obj: Any) -> EncodedValue:  # noqa: PLR6301
        return EncodedValue(TypeTag.UUID, str(obj))

    def decode(self, tag: TypeTag, value: Any) -> Any:  # noqa: PLR6301
        if tag != TypeTag.UUID:
            raise SerDesError(f"Expected UUID tag, got {tag}")
        return _to_uuid(value)


class DecimalCodec:
    """``decimal.Decimal`` <-> tag ``d``, value ``str(value)`` (exact digits: ``"1.10"``).
    Raises :class:`SerDesError` for another tag."""

    def encode(self, obj: Any) -> EncodedValue:  # noqa: PLR6301
        return EncodedValue(TypeTag.DECIMAL, str(obj))

    def decode(self, tag: TypeTag, value: Any) -> Any:  # noqa: PLR6301
        if tag != TypeTag.DECIMAL:
            raise SerDesError(f"Expected DECIMAL tag, got {tag}")
        return _to_decimal(value)


class DateTimeCodec:
    """``datetime`` <-> tag ``dt`` and ``date`` <-> tag ``D``, value ``isoformat()``.

    Decoding a ``dt`` also accepts a trailing ``Z`` for UTC. An aware datetime comes back with a
    fixed-offset ``timezone`` (equal instant, the zone name is not kept). Raises
    :class:`SerDesError` for other types or tags."""

    def encode(self, obj: Any) -> EncodedValue:  # noqa: PLR6301
        if isinstance(obj, datetime):
            return EncodedValue(TypeTag.DATETIME, obj.isoformat())
        if isinstance(obj, date):
            return EncodedValue(TypeTag.DATE, obj.isoformat())
        raise SerDesError(f"Unsupported datetime type: {type(obj)!r}")

    def decode(self, tag: TypeTag, value: Any) -> Any:  # noqa: PLR6301
        if tag == TypeTag.DATETIME:
            return _parse_datetime(value)
        if tag == TypeTag.DATE:
            return date.fromisoformat(value)
        raise SerDesError(f"Unknown datetime tag: {tag}")


class ContainerCodec(Codec):
    """``list`` (``l``), ``tuple`` (``t``), ``dict`` (``m``) and ``BatchResult`` (``br``), with
    every element encoded through the dispatcher (normally :data:`TYPE_CODEC`).

    Shapes: ``l``/``t`` -> list of envelopes; ``m`` -> object with the same keys and enveloped
    values (tuple keys are rejected; int/float/bool/None keys become JSON strings when the
    envelope is written); ``br`` -> the ``m`` object of ``BatchResult.to_dict()``, i.e.
    ``{"all": <l envelope>, "completionReason": <s envelope>}``.

    Decoding unwraps nested envelopes (``EncodedValue`` or ``{"t","v"}`` objects) and passes any
    other nested value through unchanged. Raises :class:`SerDesError` on a shape mismatch or
    unknown tag, :class:`DurableExecutionsError` if no dispatcher is linked."""

    def __init__(self) -> None:
        self._dispatcher: Codec | None = None

    def set_dispatcher(self, dispatcher) -> None:
        """Link the codec used for the elements (recursion)."""
        self._dispatcher = dispatcher

    @property
    def dispatcher(self):
        """The linked element codec; :class:`DurableExecutionsError` if none is linked."""
        if self._dispatcher is None:
            raise DurableExecutionsError("ContainerCodec is not linked to a TypeCodec dispatcher.")
        return self._dispatcher

    def encode(self, obj: Any) -> EncodedValue:
        enc = self.dispatcher.encode
        if _is_batch_result(obj):
            return EncodedValue(TypeTag.BATCH_RESULT, enc(obj.to_dict()).value)
        if isinstance(obj, list):
            return EncodedValue(TypeTag.LIST, [enc(v) for v in obj])
        if isinstance(obj, tuple):
            return EncodedValue(TypeTag.TUPLE, [enc(v) for v in obj])
        if isinstance(obj, dict):
            for k in obj:
                if isinstance(k, tuple):
                    raise SerDesError(_TUPLE_KEYS_MSG)
            return EncodedValue(TypeTag.DICT, {k: enc(v) for k, v in obj.items()})
        raise SerDesError(f"Unsupported container type: {type(obj)!r}")

    def decode(self, tag: TypeTag, value: Any) -> Any:
        if tag == TypeTag.BATCH_RESULT:
            return _batch_result_from_dict(self.decode(TypeTag.DICT, value))
        if tag == TypeTag.LIST or tag == TypeTag.TUPLE:
            if not isinstance(value, list):
                raise SerDesError(f"Expected list, got {type(value)}")
            items = [self._unwrap(v) for v in value]
            return items if tag == TypeTag.LIST else tuple(items)
        if tag == TypeTag.DICT:
            if not isinstance(value, dict):
                raise SerDesError(f"Expected dict, got {type(value)}")
            return {k: self._unwrap(v) for k, v in value.items()}
        raise SerDesError(f"Unknown container tag: {tag}")

    def _unwrap(self, obj: Any) -> Any:
        if isinstance(obj, EncodedValue):
            return self.dispatcher.decode(obj.tag, obj.value)
        if isinstance(obj, dict) and TYPE_TOKEN in obj and VALUE_TOKEN in obj:
            return self.dispatcher.decode(_to_tag(obj[TYPE_TOKEN]), obj[VALUE_TOKEN])
        return obj


def _to_tag(raw: Any) -> TypeTag:
    try:
        return TypeTag(raw)
    except (ValueError, TypeError):
        raise SerDesError(f'Unknown type tag: "{raw}"') from None


class TypeCodec(Codec):
    """Dispatcher over all codecs: picks the codec by Python type when encoding (order:
    primitives, bytes, UUID, Decimal, datetime/date, containers/BatchResult) and by tag when
    decoding. Raises :class:`SerDesError` naming the type for anything unsupported (sets,
    dataclasses, custom classes, ...)."""

    def __init__(self) -> None:
        self.primitive_codec = PrimitiveCodec()
        self.bytes_codec = BytesCodec()
        self.uuid_codec = UuidCodec()
        self.decimal_codec = DecimalCodec()
        self.datetime_codec = DateTimeCodec()
        self.container_codec = ContainerCodec()
        self.container_codec.set_dispatcher(self)

    def encode(self, obj: Any) -> EncodedValue:
        if obj is None or isinstance(obj, (str, int, float)):  # bool is an int
            return self.primitive_codec.encode(obj)
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return self.bytes_codec.encode(obj)
        if _is_uuid(obj):
            return self.uuid_codec.encode(obj)
        if _is_decimal(obj):
            return self.decimal_codec.encode(obj)
        if isinstance(obj, date):  # datetime is a date
            return self.datetime_codec.encode(obj)
        if isinstance(obj, (list, tuple, dict)) or _is_batch_result(obj):
            return self.container_codec.encode(obj)
        raise _unsupported(obj)

    def decode(self, tag: TypeTag, value: Any) -> Any:
        if tag in _PRIMITIVE_TAGS:
            return self.primitive_codec.decode(tag, value)
        if tag == TypeTag.BYTES:
            return self.bytes_codec.decode(tag, value)
        if tag == TypeTag.UUID:
            return self.uuid_codec.decode(tag, value)
        if tag == TypeTag.DECIMAL:
            return self.decimal_codec.decode(tag, value)
        if tag == TypeTag.DATETIME or tag == TypeTag.DATE:
            return self.datetime_codec.decode(tag, value)
        if tag in _CONTAINER_TAGS:
            return self.container_codec.decode(tag, value)
        raise SerDesError(f"Unknown type tag: {tag}")


_PRIMITIVE_TAGS = frozenset({"n", "s", "b", "i", "f"})
_CONTAINER_TAGS = frozenset({"l", "t", "m", "br"})

#: The shared dispatcher instance.
TYPE_CODEC = TypeCodec()


# --------------------------------------------------------------------------------------------
# Fast envelope encoder / decoder used by ExtendedTypeSerDes (same JSON as the codecs)
#
# Output must equal ``json.dumps(x, separators=(",", ":"))`` byte for byte. orjson is used only
# where it provably agrees with it; every other case falls back to the stdlib encoder:
#   * floats: orjson formats exponents differently (1e-7 vs 1e-07) and writes NaN as null, so
#     floats in envelopes are wrapped in ``_Float``, a float subclass that orjson hands to
#     ``_orjson_default`` (which emits json's exact text as an ``orjson.Fragment``) and that json
#     writes as any float; plain lists holding floats go to json directly;
#   * dict keys other than exact ``str`` and ints outside 64 bits: orjson raises -> json;
#   * non-ASCII output or DEL (0x7f): json escapes them (ensure_ascii) -> json.
# On decode, orjson reads integers beyond 64 bits as floats: a float where an int is expected
# makes the decoder re-read the payload with json (see ``_LossyNumber``).
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


def _extended_dumps(value: Any) -> str:
    """Extended-envelope serialization (see module docstring).

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
    """A float where the envelope needs an int (or a raw nested number): orjson may have read an
    integer beyond 64 bits as a float, so the payload is decoded again from json's reading."""


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
        raise SerDesError(f"Expected list, got {type(v)}")
    return [_dec(x) for x in v]


def _dec_tag(tag: Any, v: Any) -> Any:
    """Decode the value ``v`` of an envelope with tag ``tag`` (same coercions as the codecs)."""
    if tag == "s":
        return v if type(v) is str else str(v)
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


# A run of 19+ digits may be an integer outside 64 bits, which orjson reads as a float.
_LONG_DIGITS = re.compile(r"[0-9]{19}")


def _extended_loads(data: Any) -> Any:
    """Inverse of :func:`_extended_dumps`; accepts everything the official SDK (1.x and 3.x)
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
            return TYPE_CODEC.decode(_to_tag(obj["t"]), obj["v"])
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


# --------------------------------------------------------------------------------------------
# SerDes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SerDesContext:
    """What a serdes is told about the value: the operation Id and the execution ARN."""

    operation_id: str = ""
    durable_execution_arn: str = ""


class SerDes(ABC, Generic[T]):
    """Turns operation values into the string ``Payload`` checkpointed by the service and back.

    ``deserialize(serialize(x))`` is what the operation returns on the first run and on every
    replay, so a serdes should be deterministic. Raise
    :class:`~lambda_durable.exceptions.RetryableSerDesError` for a transient failure (the
    invocation is retried); any other exception fails the operation with ``SerDesError``.
    Returning ``None`` from ``serialize`` checkpoints no payload (replay then yields ``None``)."""

    @abstractmethod
    def serialize(self, value: T, serdes_context: SerDesContext) -> str:
        """Value -> payload string."""

    @abstractmethod
    def deserialize(self, data: str, serdes_context: SerDesContext) -> T:
        """Payload string -> value."""

    @staticmethod
    def is_primitive(obj: Any) -> bool:
        """True for ``None``/``str``/``int``/``float``/``bool`` and (nested) lists holding only
        those: the values :class:`ExtendedTypeSerDes` writes as plain JSON."""
        return _is_primitive(obj)


class PassThroughSerDes(SerDes[T]):
    """Identity: the value must already be a string (default for callback results, [PY])."""

    def serialize(self, value: T, _: SerDesContext) -> str:  # noqa: PLR6301
        return value  # type: ignore[return-value]

    def deserialize(self, data: str, _: SerDesContext) -> T:  # noqa: PLR6301
        return data  # type: ignore[return-value]


class JsonSerDes(SerDes[T]):
    """Plain JSON: ``json.dumps(value)`` with the default separators (``{"a": 1}``) and
    ``json.loads`` (default for invoke payloads/results, [PY]). Tuples become lists, non-str
    keys become strings; other types raise ``TypeError`` (wrapped in ``SerDesError`` by
    :func:`serialize`)."""

    def serialize(self, value: T, _: SerDesContext) -> str:  # noqa: PLR6301
        return json.dumps(value)

    def deserialize(self, data: str, _: SerDesContext) -> T:  # noqa: PLR6301
        return json.loads(data)


class ExtendedTypeSerDes(SerDes[T]):
    """The default serdes: JSON with type envelopes (see the module docstring and
    :class:`TypeTag`), byte-identical to the official SDK's ``ExtendedTypeSerDes``.

    Round trip: tuples, bytes (as ``bytes``), UUID, Decimal, datetime, date and BatchResult keep
    their type; dict keys that are int/float/bool/None come back as JSON strings (``{1: "a"}`` ->
    ``{"1": "a"}``). Raises :class:`SerDesError` for unsupported types (sets, dataclasses,
    custom classes...), tuple or other unsupported dict keys, invalid JSON, a malformed envelope
    or an unknown tag. The context is not used."""

    def __init__(self) -> None:
        self._codec = TYPE_CODEC

    def serialize(self, value: Any, context: SerDesContext | None = None) -> str:  # noqa: ARG002
        try:
            return _extended_dumps(value)
        except (SerDesError, RetryableSerDesError):
            raise
        except Exception as e:
            raise SerDesError(f"Serialization failed: {e}.") from e

    def deserialize(self, data: str, context: SerDesContext | None = None) -> Any:  # noqa: ARG002
        try:
            return _extended_loads(data)
        except (SerDesError, RetryableSerDesError):
            raise
        except Exception as e:
            raise SerDesError(f"Deserialization failed: {e}.") from e


DEFAULT_JSON_SERDES: SerDes[Any] = JsonSerDes()
EXTENDED_TYPES_SERDES: SerDes[Any] = ExtendedTypeSerDes()


def serialize(
    serdes: SerDes[T] | None, value: T, operation_id: str, durable_execution_arn: str
) -> str:
    """Serialize ``value`` with ``serdes`` (``None`` -> :data:`EXTENDED_TYPES_SERDES`).

    Returns whatever the serdes returns (``None`` means "no payload"). ``SerDesError`` and
    ``RetryableSerDesError`` propagate unchanged; any other exception becomes
    ``SerDesError("Serialization failed for id: <operation_id>, error: <e>.")`` with the
    original as ``__cause__`` (message format of the official SDK)."""
    try:
        if serdes is None or type(serdes) is ExtendedTypeSerDes:
            return _extended_dumps(value)  # the context is not used: do not build it
        return serdes.serialize(value, SerDesContext(operation_id, durable_execution_arn))
    except (SerDesError, RetryableSerDesError):
        raise
    except Exception as e:
        logger.debug("Serialization failed for id: %s", operation_id, exc_info=True)
        raise SerDesError(f"Serialization failed for id: {operation_id}, error: {e}.") from e


def deserialize(
    serdes: SerDes[T] | None, data: str, operation_id: str, durable_execution_arn: str
) -> T:
    """Deserialize ``data`` with ``serdes`` (``None`` -> :data:`EXTENDED_TYPES_SERDES`).

    ``SerDesError`` and ``RetryableSerDesError`` propagate unchanged; any other exception becomes
    ``SerDesError("Deserialization failed for id: <operation_id>, error: <e>.")`` with the
    original as ``__cause__``."""
    try:
        if serdes is None or type(serdes) is ExtendedTypeSerDes:
            return _extended_loads(data)  # the context is not used: do not build it
        return serdes.deserialize(data, SerDesContext(operation_id, durable_execution_arn))
    except (SerDesError, RetryableSerDesError):
        raise
    except Exception as e:
        logger.debug("Deserialization failed for id: %s", operation_id, exc_info=True)
        raise SerDesError(f"Deserialization failed for id: {operation_id}, error: {e}.") from e
