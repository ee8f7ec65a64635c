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
of the envelope with the official SDK's interface; :class:`ExtendedTypeSerDes` itself uses the
single-pass encoder/decoder of ``lambda_durable._envelope`` (compiled when built, else the
pure-Python ``_envelope_py``) that produces and accepts exactly the same JSON.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from lambda_durable import _envelope
from lambda_durable._envelope_py import (
    _TUPLE_KEYS_MSG,
    _b64decode,
    _b64encode,
    _batch_result_from_dict,
    _is_batch_result,
    _is_decimal,
    _is_primitive,
    _is_uuid,
    _parse_datetime,
    _to_decimal,
    _to_uuid,
    _unsupported,
)
from lambda_durable.exceptions import (
    DurableExecutionsError,
    RetryableSerDesError,
    SerDesError,
)

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

# The envelope encoder/decoder of ExtendedTypeSerDes: ``lambda_durable._envelope`` (the compiled
# twin when built and allowed, else the pure-Python ``_envelope_py``; same output and errors).
_extended_dumps = _envelope.encode
_extended_loads = _envelope.decode


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

    Returns what the serdes returns: a ``str``, or ``None`` ("no payload"); any other return
    value raises ``SerDesError``. ``SerDesError`` and
    ``RetryableSerDesError`` propagate unchanged; any other exception becomes
    ``SerDesError("Serialization failed for id: <operation_id>, error: <e>.")`` with the
    original as ``__cause__`` (message format of the official SDK)."""
    try:
        if serdes is None or type(serdes) is ExtendedTypeSerDes:
            return _extended_dumps(value)  # the context is not used: do not build it
        data = serdes.serialize(value, SerDesContext(operation_id, durable_execution_arn))
    except (SerDesError, RetryableSerDesError):
        raise
    except Exception as e:
        logger.debug("Serialization failed for id: %s", operation_id, exc_info=True)
        raise SerDesError(f"Serialization failed for id: {operation_id}, error: {e}.") from e
    if data is not None and not isinstance(data, str):
        # a payload is text: anything else would be refused by the service (or crash later)
        raise SerDesError(
            f"Serialization failed for id: {operation_id}, error: {type(serdes).__name__}."
            f"serialize returned {type(data).__name__}; a SerDes must return a str (or None "
            "for no payload)."
        )
    return data


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
