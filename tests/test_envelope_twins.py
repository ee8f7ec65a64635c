"""The compiled envelope encoder/decoder (``lambda_durable._envelope_c``) against its pure-Python
twin (``lambda_durable._envelope_py``): thousands of random nested values must encode to the same
text and decode to the same values (types, float bits and dict order included); random and
mutated payloads (whitespace, escapes, big numbers, NaN, lone surrogates, foreign shapes, invalid
JSON) must decode to the same value or fail with the same error; errors of ``encode`` (unsupported
types, tuple and other keys, oversized ints, cycles) must be the same.

It also checks that the compiled fast paths really cover what the SDK writes (the compiled twin
hands anything else to the pure twin, counted here). The wire-format tests with the official
vectors (run against both twins) are in ``test_serdes.py``. Skipped when the extension is not built.
"""
from __future__ import annotations

import collections
import enum
import importlib
import json
import math
import random
import struct
import sys
import uuid
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from lambda_durable import _envelope, _envelope_py

try:
    _envelope_c = importlib.import_module("lambda_durable._envelope_c")
except ImportError:  # pragma: no cover - pure-Python install
    _envelope_c = None

pytestmark = pytest.mark.skipif(_envelope_c is None, reason="_envelope_c is not built")

PY = _envelope_py
C = _envelope_c


class Color(enum.IntEnum):
    RED = 1
    BIG = 2**70


class Mode(enum.StrEnum):
    FAST = "fast"


class MyFloat(float):
    pass


class MyStr(str):
    pass


class MyInt(int):
    pass


class MyList(list):
    pass


class MyDict(dict):
    pass


Point = collections.namedtuple("Point", "x y")


def same(a, b) -> bool:
    """Deep equality that also compares types, dict order, float bits (NaN, -0.0) and offsets."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return a == b


def outcome(call):
    """``("ok", value)`` or ``("raise", type, message)``."""
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - any error must match between the twins
        return ("raise", type(exc), str(exc))


def same_outcome(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "raise":
        return a == b
    return same(a[1], b[1])


@pytest.fixture
def fallbacks(monkeypatch):
    """Counts the calls the compiled twin hands to the pure twin."""
    counts = {"encode": 0, "decode": 0}

    def encode(value):
        counts["encode"] += 1
        return PY.encode(value)

    def decode(data):
        counts["decode"] += 1
        return PY.decode(data)

    monkeypatch.setattr(C, "_py_encode", encode)
    monkeypatch.setattr(C, "_py_decode", decode)
    return counts


# --------------------------------------------------------------------------------------------
# random values
# --------------------------------------------------------------------------------------------


def random_str(rng: random.Random) -> str:
    pools = [
        lambda: chr(rng.randrange(0x20, 0x7F)),  # printable ASCII (quote and backslash included)
        lambda: rng.choice('"\\/\b\f\n\r\t\x00\x1f\x7f'),
        lambda: chr(rng.randrange(0, 0x20)),
        lambda: chr(rng.randrange(0x80, 0x100)),
        lambda: chr(rng.randrange(0x100, 0xD800)),
        lambda: chr(rng.randrange(0xE000, 0x10000)),
        lambda: chr(rng.randrange(0x10000, 0x110000)),
        lambda: chr(rng.randrange(0xD800, 0xE000)),  # lone surrogates
    ]
    weights = [60, 8, 3, 6, 6, 4, 4, 1]
    n = rng.choice([0, 1, 2, 5, 10, 40])
    return "".join(rng.choices(pools, weights)[0]() for _ in range(n))


def random_float(rng: random.Random) -> float:
    pick = rng.randrange(6)
    if pick == 0:
        return struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]  # any bits, NaN too
    if pick == 1:
        return rng.choice([0.0, -0.0, 1e-7, 1e16, 1e22, 5e-324, 1.7976931348623157e308, 0.1,
                           float("inf"), float("-inf"), float("nan"), 123456789.125, 1e-5, 1e15])
    if pick == 2:
        return rng.uniform(-1e6, 1e6)
    if pick == 3:
        return float(rng.randint(-(2**60), 2**60))
    if pick == 4:
        return rng.random() * 10 ** rng.randint(-30, 30)
    return round(rng.uniform(-1000, 1000), rng.randrange(4))


def random_int(rng: random.Random) -> int:
    pick = rng.randrange(5)
    if pick == 0:
        return rng.randint(-1000, 1000)
    if pick == 1:
        return rng.choice([0, -1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1,
                           10**18, 10**19 - 1, 10**19, -(10**19) + 1, -(10**19), 2**90, -(2**90)])
    if pick == 2:
        return rng.getrandbits(rng.randrange(1, 70)) * rng.choice([1, -1])
    if pick == 3:
        return rng.randint(-(2**31), 2**31)
    return rng.getrandbits(rng.randrange(60, 200)) * rng.choice([1, -1])


def random_scalar(rng: random.Random, plain_only: bool = False):
    plain = [
        lambda: None, lambda: rng.random() < 0.5, lambda: random_int(rng),
        lambda: random_float(rng), lambda: random_str(rng), lambda: "k" + str(rng.randrange(50)),
        lambda: rng.choice([Color.RED, Mode.FAST, MyFloat(rng.random()), MyStr("s\u00e9"), MyInt(7)]),
    ]  # fmt: skip
    if plain_only:
        return rng.choice(plain)()
    extended = [
        lambda: bytes(rng.getrandbits(8) for _ in range(rng.randrange(9))),
        lambda: bytearray(rng.getrandbits(8) for _ in range(rng.randrange(5))),
        lambda: memoryview(bytes(rng.getrandbits(8) for _ in range(rng.randrange(5)))),
        lambda: uuid.UUID(int=rng.getrandbits(128)),
        lambda: rng.choice([Decimal(rng.randint(-99999, 99999)).scaleb(-rng.randrange(6)),
                            Decimal("NaN"), Decimal("-Infinity"), Decimal("1E+30"), Decimal("-0")]),
        lambda: datetime(1 + rng.randrange(9998), 1 + rng.randrange(12), 1 + rng.randrange(28),
                         rng.randrange(24), rng.randrange(60), rng.randrange(60),
                         rng.choice([0, rng.randrange(1000000)]),
                         tzinfo=rng.choice([None, timezone.utc,
                                            timezone(timedelta(minutes=rng.randrange(-900, 900)))])),
        lambda: date(1 + rng.randrange(9998), 1 + rng.randrange(12), 1 + rng.randrange(28)),
    ]  # fmt: skip
    return rng.choice(plain + extended)()


def random_key(rng: random.Random):
    return rng.choice([
        lambda: "k" + str(rng.randrange(20)), lambda: random_str(rng), lambda: rng.randint(-5, 5),
        lambda: 2**70, lambda: random_float(rng), lambda: rng.choice([True, False, None]),
        lambda: MyStr("ms"), lambda: Color.RED, lambda: Mode.FAST, lambda: "t", lambda: "v",
    ])()  # fmt: skip


def random_value(rng: random.Random, depth: int = 0):
    if depth > 4 or rng.random() < 0.35:
        return random_scalar(rng)
    n = rng.choice([0, 1, 2, 3, 5])
    kind = rng.randrange(9)
    if kind == 0:
        return [random_value(rng, depth + 1) for _ in range(n)]
    if kind == 1:
        return tuple(random_value(rng, depth + 1) for _ in range(n))
    if kind == 2:  # a plain list (the fast path), nested plain lists included
        return [random_scalar(rng, plain_only=True) if rng.random() < 0.8
                else [random_scalar(rng, plain_only=True) for _ in range(2)] for _ in range(n)]
    if kind == 3:
        return {random_key(rng): random_value(rng, depth + 1) for _ in range(n)}
    if kind == 4:
        return {"k" + str(i): random_value(rng, depth + 1) for i in range(n)}
    if kind == 5:  # subclasses of the containers
        items = [random_value(rng, depth + 1) for _ in range(n)]
        return rng.choice([
            lambda: MyList(items), lambda: Point(*items[:2]) if len(items) >= 2 else tuple(items),
            lambda: OrderedDict(("k" + str(i), x) for i, x in enumerate(items)),
            lambda: MyDict((random_key(rng), x) for x in items),
        ])()  # fmt: skip
    if kind == 6:
        return {"i": rng.randrange(10**6), "v": random_str(rng), "ok": rng.random() < 0.5}
    if kind == 7:
        return [{"t": "s", "v": "looks like an envelope"}, {"t": random_value(rng, depth + 1)}]
    return random_scalar(rng)


def decoded_equal_twins(text: str):
    c = outcome(lambda: C.decode(text))
    p = outcome(lambda: PY.decode(text))
    assert same_outcome(c, p), (text, c, p)
    return c


@pytest.mark.parametrize("seed", range(8))
def test_random_values_encode_and_decode_identically(seed):
    rng = random.Random(seed)
    for _ in range(1500):
        value = random_value(rng)
        c = outcome(lambda: C.encode(value))
        p = outcome(lambda: PY.encode(value))
        assert same_outcome(c, p), (value, c, p)
        if c[0] == "ok":
            text = c[1]
            assert type(text) is str and text.isascii()
            decoded = decoded_equal_twins(text)
            assert decoded[0] == "ok", (text, decoded)
            # and what comes back encodes identically again (the text itself may differ: keys
            # 1 and "1" collapse into one JSON key)
            assert C.encode(decoded[1]) == PY.encode(decoded[1])


def test_random_values_match_json_rules():
    # The compiled twin is json.dumps(separators=(",", ":")) of the pure twin's envelope tree.
    rng = random.Random(99)
    for _ in range(2000):
        value = random_scalar(rng, plain_only=True)
        try:
            expected = json.dumps(value, separators=(",", ":"))
        except ValueError:  # an int beyond sys.get_int_max_str_digits()
            continue
        assert C.encode(value) == expected, value
        assert C.encode([value, [value]]) == json.dumps([value, [value]], separators=(",", ":"))


@pytest.mark.parametrize("seed", range(3))
def test_canonical_payloads_stay_on_the_compiled_path(seed, fallbacks):
    """Values the SDK typically checkpoints never leave the compiled code: no fallback."""
    rng = random.Random(seed)

    def canonical(depth=0):  # no >19-digit ints, no NaN/Infinity, no lone surrogates
        if depth > 4 or rng.random() < 0.4:
            return rng.choice([
                None, True, False, rng.randint(-(10**18), 10**18), rng.uniform(-1e9, 1e9),
                "plain", "\u00e9t\u00e9 \U0001f600 \"q\" \\ \n", b"\x00\xffbytes",
                uuid.UUID(int=rng.getrandbits(128)), Decimal("12.50"),
                datetime(2026, 1, 27, 12, 30, tzinfo=timezone.utc), datetime(2020, 5, 17, 1, 2, 3, 4),
                date(2024, 2, 29), Color.RED, Mode.FAST, 1e-7, -0.0,
            ])  # fmt: skip
        n = rng.randrange(4)
        return rng.choice([
            lambda: [canonical(depth + 1) for _ in range(n)],
            lambda: tuple(canonical(depth + 1) for _ in range(n)),
            lambda: {rng.choice(["a", "b\u00e9", "c", 1, 2.5, None]): canonical(depth + 1) for _ in range(n)},
            lambda: [rng.randrange(100), "x", [1.5, None]],
        ])()  # fmt: skip

    for _ in range(500):
        value = canonical()
        text = C.encode(value)
        assert text == PY.encode(value)
        assert same(C.decode(text), PY.decode(text))
    assert fallbacks == {"encode": 0, "decode": 0}


def test_fallback_counter_sees_the_pure_twin(fallbacks):
    with pytest.raises(Exception, match="Unsupported type"):
        C.encode({"a": {1, 2}})
    assert C.decode('{"t":"i","v":123456789012345678901234567890}') == 123456789012345678901234567890
    assert fallbacks == {"encode": 1, "decode": 1}


def test_batch_result_takes_the_compiled_path(fallbacks):
    models = pytest.importorskip("lambda_durable.concurrency.models")
    data = {"all": [{"index": 0, "status": "SUCCEEDED", "result": {"x": (1, Decimal("2.5"))},
                     "error": None}], "completionReason": "ALL_COMPLETED"}  # fmt: skip
    value = models.BatchResult.from_dict(data)
    text = C.encode(value)
    assert text == PY.encode(value)
    assert text.startswith('{"t":"br","v":{"all":{"t":"l","v":[')
    back = C.decode(text)
    assert isinstance(back, models.BatchResult)
    assert same(back.to_dict(), PY.decode(text).to_dict())
    assert C.encode([value, {"k": value}]) == PY.encode([value, {"k": value}])
    assert fallbacks == {"encode": 0, "decode": 0}


# --------------------------------------------------------------------------------------------
# decode: mutated, foreign and invalid payloads
# --------------------------------------------------------------------------------------------

FOREIGN_PAYLOADS = [
    "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{}", "[]", '""', '"', '"\\"', '"\\u12"', '"\\x41"',
    "nul", "nulll", "tru", "true false", "01", "-", "-01", "1.", ".5", "1e", "1e+", "+1", "1.5e3",
    "-0", "-0.0", "0e0", "1E5", "1e400", "-1e400", "1e-400", "NaN", "-Infinity", "Infinity", "[NaN]",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "9999999999999999999", "-9999999999999999999",
    "10000000000000000000", "[1,2,[3,[4,[]]]]", '[1,{"t":"i","v":1}]', '{"t":"i"}', '{"v":1}',
    '{"t":"i","v":1}', ' {"t" : "i" , "v" : 1} ', '{"v":1,"t":"i"}', '{"t":"i","v":1,"x":2}',
    '{"t":"i","v":1,"t":"s"}', '{"t":"s","v":"a","v":"b"}', '{"t":"","v":1}', '{"t":"zz","v":1}',
    '{"t":"ss","v":"x"}', '{"t":"d\\u0074","v":"2020-01-01"}', '{"t":1,"v":1}', '{"t":null,"v":1}',
    '{"t":["s"],"v":1}', '{"t":"s","v":1}', '{"t":"s","v":1.5}', '{"t":"s","v":null}',
    '{"t":"s","v":123456789012345678901234567890}', '{"t":"d","v":123456789012345678901234567890}',
    '{"t":"d","v":1.5}', '{"t":"i","v":"12"}', '{"t":"i","v":1.9}', '{"t":"i","v":null}',
    '{"t":"i","v":-0}', '{"t":"f","v":2}', '{"t":"f","v":"NaN"}', '{"t":"f","v":NaN}',
    '{"t":"f","v":1e400}', '{"t":"b","v":1}', '{"t":"b","v":"x"}', '{"t":"n","v":5}',
    '{"t":"n","v":{"a":1}}', '{"t":"m","v":[]}', '{"t":"m","v":1.5}', '{"t":"l","v":{}}',
    '{"t":"l","v":1e400}', '{"t":"t","v":"ab"}', '{"t":"br","v":[]}', '{"t":"u","v":"nope"}',
    '{"t":"u","v":5}', '{"t":"D","v":"2020-13-01"}', '{"t":"d","v":"1.2.3"}', '{"t":"B","v":5}',
    '{"t":"B","v":"@@@"}', '{"t":"B","v":"AP8="}', '{"t":"B","v":"\\u00e9AP8="}',
    '{"t":"dt","v":"2024-01-02T03:04:05Z"}', '{"t":"dt","v":"2024-01-02T03:04:05.5+05:30"}',
    '{"t":"dt","v":"bad"}', '{"t":"D","v":"2024-02-29"}', '{"t":"m","v":{"a":1}}',
    '{"t":"m","v":{"a":1.5}}', '{"t":"m","v":{"a":{"x":1}}}', '{"t":"m","v":{"a":{"t":"i"}}}',
    '{"t":"m","v":{"a":{"t":"i","v":1},"a":{"t":"s","v":"x"}}}',
    '{"t":"m","v":{"a":{"t":"zz","v":1},"a":{"t":"i","v":2}}}',
    '{"t":"m","v":{"a":{"t":"i","v":1},}}', '{"t":"m","v":{,}}', '{"t":"m","v":{"a" {"t":"i","v":1}}}',
    '{"t":"l","v":[1,"a",null,{"x":1},123456789012345678901234567890]}',
    '{"t":"l","v":[{"t":"i","v":18446744073709551616},{"t":"f","v":1.5}]}',
    '{"t":"l","v":[{"t":"i","v":1},]}', '{"t":"s","v":"\\ud800"}', '{"t":"s","v":"\\udc00x"}',
    '{"t":"s","v":"\\ud83d\\ude00"}', '{"t":"s","v":"\\uD83D\\uDE00\\u00E9\\/\\b\\f\\n\\r\\t"}',
    '{"t":"s","v":"\\ud83d\\u0041"}', '{"t":"s","v":"\\ud83dx"}', '{"t":"s","v":"tab\there"}',
    '{"t":"s","v":"\u00e9"}', '"\u00e9"', '"\\u0000"', '{"t":"s","v":"x"} x', '{"t":"s","v":"x"}}',
    '{"t":"s","v":"x"',
]  # fmt: skip


@pytest.mark.parametrize("payload", FOREIGN_PAYLOADS, ids=repr)
def test_foreign_payloads_decode_identically(payload):
    decoded_equal_twins(payload)


def test_deep_nesting_decodes_identically():
    for depth in (50, 100, 300, 600, 1100):
        for text in ("[" * depth + "1" + "]" * depth,
                     '{"t":"l","v":[' * depth + '{"t":"i","v":1}' + "]}" * depth,
                     '{"t":"m","v":{"a":' * depth + '{"t":"n","v":null}' + "}}" * depth):  # fmt: skip
            # (compared with ==: same() would recurse too deep itself)
            assert outcome(lambda: C.decode(text)) == outcome(lambda: PY.decode(text))


def test_nesting_near_the_recursion_limit():
    """Up to 256 nested containers the compiled twin decodes without recursing in Python; the pure
    twin recurses (about 4 frames per ``l`` level) and, depending on the caller's stack, may raise
    RecursionError before: the only place where the twins may differ (the compiled one succeeds)."""
    for depth in (200, 255, 256):
        expected = 1
        for _ in range(depth):
            expected = [expected]
        text = '{"t":"l","v":[' * depth + '{"t":"i","v":1}' + "]}" * depth
        c = outcome(lambda: C.decode(text))
        p = outcome(lambda: PY.decode(text))
        assert c == ("ok", expected)
        assert p == c or p[1] is RecursionError


def mutate(rng: random.Random, text: str) -> str:
    pick = rng.randrange(8)
    i = rng.randrange(len(text) + 1)
    if pick == 0:  # whitespace anywhere
        return text[:i] + rng.choice([" ", "\n", "\t ", "\r\n"]) + text[i:]
    if pick == 1:  # drop a character
        return text[:i] + text[i + 1 :]
    if pick == 2:  # insert a token
        return text[:i] + rng.choice(['"', ",", ":", "{", "}", "[", "]", "\\", "0", "-", "e", "."]) + text[i:]
    if pick == 3:  # swap a digit run for a big number / special float
        return text.replace("1", rng.choice(["123456789012345678901", "1e400", "NaN", "1.0", "-0"]), 1)
    if pick == 4:  # an escaped character
        return text.replace("a", rng.choice(["\\u0061", "\\u0041", "\\/", "\\ud800", "\\uDBFF\\uDFFF"]), 1)
    if pick == 5:
        return text[:i]
    if pick == 6:  # non-ASCII raw character
        return text[:i] + "\u00e9" + text[i:]
    return text.replace('"v":', '"v" :', 1)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_payloads_decode_identically(seed):
    rng = random.Random(1000 + seed)
    for _ in range(1500):
        try:
            text = PY.encode(random_value(rng))
        except Exception:  # noqa: BLE001 - unsupported keys etc.: nothing to mutate
            continue
        for _ in range(2):
            text = mutate(rng, text)
        decoded_equal_twins(text)


@pytest.mark.parametrize("seed", range(2))
def test_random_json_strings_decode_identically(seed):
    rng = random.Random(2000 + seed)
    escapes = ['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000", "\\u001F",
               "\\u007f", "\\u00e9", "\\u20AC", "\\ud83d\\ude00", "\\uDBFF\\uDFFF", "\\ud800",
               "\\udfff", "\\uzzzz", "\\q", "\x01", "\x7f", "a", "Z", " ", "'"]  # fmt: skip
    for _ in range(3000):
        body = "".join(rng.choice(escapes) for _ in range(rng.randrange(6)))
        decoded_equal_twins('"' + body + '"')
        decoded_equal_twins('{"t":"s","v":"' + body + '"}')
        decoded_equal_twins('{"t":"m","v":{"' + body + '":{"t":"s","v":"' + body + '"}}}')


def test_random_numbers_decode_identically():
    rng = random.Random(7)
    for _ in range(5000):
        f = random_float(rng)
        text = rng.choice([repr(f), f"{f:.17g}", f"{f:e}", f"{f:.3E}"]) if math.isfinite(f) else "NaN"
        decoded_equal_twins(text)
        decoded_equal_twins('{"t":"f","v":' + text + "}")
        i = random_int(rng)
        decoded_equal_twins(str(i))
        decoded_equal_twins('{"t":"i","v":' + str(i) + "}")
        decoded_equal_twins("[" + str(i) + "," + text + "]")


# --------------------------------------------------------------------------------------------
# encode: errors and odd values
# --------------------------------------------------------------------------------------------


class Custom:
    pass


def _cycle_list():
    x: list = []
    x.append(x)
    return x


def _cycle_dict():
    x: dict = {}
    x["k"] = [x]
    return x


ODD_VALUES = [
    {1, 2}, frozenset(), Custom(), 1j, range(3), timedelta(1), {"a": [1, {2}]}, [object()],
    (1, Custom()), {"k": Custom()}, {(1, 2): "a"}, {"x": {(1,): 1}}, {frozenset(): 1},
    {uuid.UUID(int=1): 1}, {b"k": 1}, {date(2020, 1, 1): 1}, {frozenset(): 1, "b": {1}},
    {"b": {1}, frozenset(): 1}, [10**5000], [10**5000, {1}], [{1}, 10**5000], {"a": 10**5000},
    {10**5000: 1}, 10**5000, _cycle_list(), _cycle_dict(), [[[[[]]]]] * 3,
    [[]] * 300, "[" * 300, [1.5, [2.5, [float("nan")]]], {float("nan"): 1, float("-inf"): 2},
    {True: 1, None: 2, 1.5: 3, -0.0: 4, Color.RED: 5, Color.BIG: 6, MyStr("k"): 7, 2**64: 8},
    MyList([1, 2]), MyList([1, b"x"]), MyDict(a=1), OrderedDict(b=1, a=2), Point(1, (2,)),
    Color.BIG, Mode.FAST, MyFloat(1e16), MyInt(-5), [MyInt(3), MyFloat(2.0), MyStr("q")],
    "\ud800\udc00", "\U0001f600", "\x7f\x00", b"", bytearray(), memoryview(b"abc")[::2],
]  # fmt: skip


def _nested(depth: int, leaf):
    value = leaf
    for _ in range(depth):
        value = {"k": (value,)}
    return value


@pytest.mark.parametrize("value", ODD_VALUES + [_nested(d, 1) for d in (100, 127, 128, 200, 2000)],
                         ids=lambda v: type(v).__name__)  # fmt: skip
def test_odd_values_encode_identically(value):
    c = outcome(lambda: C.encode(value))
    p = outcome(lambda: PY.encode(value))
    assert same_outcome(c, p), (c, p)


def test_batch_result_to_dict_error_is_the_pure_twins(monkeypatch):
    models = pytest.importorskip("lambda_durable.concurrency.models")
    value = models.BatchResult.from_dict({"all": [], "completionReason": "ALL_COMPLETED"})

    def boom(self):
        raise ValueError("to_dict failed")

    monkeypatch.setattr(models.BatchResult, "to_dict", boom)
    assert same_outcome(outcome(lambda: C.encode([value])), outcome(lambda: PY.encode([value])))


def test_selector_uses_the_compiled_twin_when_allowed():
    from lambda_durable._extensions import ALLOWED

    assert _envelope.COMPILED is ALLOWED
    assert _envelope.encode is (C.encode if ALLOWED else PY.encode)
    assert _envelope.decode is (C.decode if ALLOWED else PY.decode)


def test_int_max_str_digits_is_honoured():
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        for value in (10**700, {"a": 10**700}, [10**700]):
            assert same_outcome(outcome(lambda: C.encode(value)), outcome(lambda: PY.encode(value)))
        text = '{"t":"i","v":' + "1" * 700 + "}"
        decoded_equal_twins(text)
    finally:
        sys.set_int_max_str_digits(old)
