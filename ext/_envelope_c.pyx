# cython: language_level=3, binding=False, embedsignature=True
"""Extended-type envelope encoder/decoder, compiled twin of ``lambda_durable._envelope_py`` (same
interface, same output byte for byte, same errors; protocol.md section 6.1).

``encode`` walks the value once, dispatching on exact types (subclasses and the rarer extended
types in the pure twin's order), and writes compact ASCII JSON straight into a C buffer: strings
escaped as ``json.encoder.encode_basestring_ascii`` does, ints as ``int.__repr__``, floats as
``float.__repr__`` (``PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0)``) or
``NaN``/``Infinity``/``-Infinity``, i.e. what ``json.dumps(x, separators=(",", ":"))`` writes for
the envelope tree of the pure twin.

``decode`` parses the canonical form every writer of the envelope produces (the official SDK and
both twins: ASCII, compact, ``{"t":...,"v":...}`` in that order) directly into the decoded value,
without building the intermediate JSON tree: strings with every JSON escape, ints up to 19 digits,
floats (``PyOS_string_to_double``: correctly rounded, as ``float(str)`` in ``json`` and orjson).

Exactness: whatever the fast paths do not cover is handed to the pure twin, which then decides
the result or the error (raised afresh, not chained), so behaviour never differs:

* encode: any exception (an unsupported type, a tuple or other unsupported dict key, an int too
  large for ``str``, whatever ``BatchResult.to_dict`` raises...), an ``isoformat()`` that returns
  no str, more than 255 nested containers (a cycle);
* decode: a non-str or non-ASCII input, anything but the canonical shape (an envelope with other
  members or another member order, raw values nested in ``m``/``l``/``t``, a root object that is
  not an envelope; whitespace is fine), a value of another JSON type than the tag's own (the pure
  twin coerces or rejects it), an unknown tag, ints of 20+ digits, NaN/Infinity and overflowing
  floats, lone surrogates, invalid JSON, more than 256 nested containers, any exception (a bad
  UUID/date/Decimal/base64, ``BatchResult.from_dict``...).

The only difference left is by design: up to 256 nested containers the compiled twin never
recurses in Python, where the pure twin may run into RecursionError first (it needs 2-4 Python
frames per level, so where depends on the caller's stack).

BatchResult (``br``) values go through the pure twin's helpers (``_is_batch_result``,
``_batch_result_from_dict``: the class is looked up by ``_envelope_py._BATCH_RESULT_MODULE``).
"""
from cpython.conversion cimport PyOS_double_to_string, PyOS_string_to_double, Py_DTSF_ADD_DOT_0
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_FromLongLong, PyLong_FromUnsignedLongLong
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.unicode cimport (
    PyUnicode_1BYTE_DATA,
    PyUnicode_1BYTE_KIND,
    PyUnicode_4BYTE_KIND,
    PyUnicode_DATA,
    PyUnicode_FromKindAndData,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
    PyUnicode_READ,
)
from libc.string cimport memcpy, strlen, strncmp

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)

cdef extern from *:
    """
    #if PY_VERSION_HEX < 0x030C0000
    #define __pyx_envelope_str_ready(o) PyUnicode_READY(o)
    #else
    #define __pyx_envelope_str_ready(o) 0
    #endif
    """
    # a str built by the legacy (wchar_t) API is made canonical before its data is read (< 3.12)
    int _str_ready "__pyx_envelope_str_ready"(object o) except -1

import binascii
import sys
from datetime import date, datetime

from lambda_durable._envelope_py import _batch_result_from_dict, _is_batch_result
from lambda_durable._envelope_py import decode as _py_decode
from lambda_durable._envelope_py import encode as _py_encode

__all__ = ["decode", "encode"]

cdef object _b2a_base64 = binascii.b2a_base64
cdef object _a2b_base64 = binascii.a2b_base64
cdef object _int_repr = int.__repr__
cdef object _datetime = datetime
cdef object _fromisoformat_dt = datetime.fromisoformat
cdef object _fromisoformat_d = date.fromisoformat
cdef object _BYTES_TYPES = (bytes, bytearray, memoryview)
cdef dict _MODULES = sys.modules


cdef inline bint _is_loaded_instance(object obj, str module, str cls) except -1:
    """``isinstance(obj, <module>.<cls>)`` if ``module`` is imported, else False: no instance can
    exist before (``_is_uuid`` / ``_is_decimal`` of the pure twin)."""
    mod = _MODULES.get(module)
    return mod is not None and isinstance(obj, getattr(mod, cls))


cdef object _Decimal = None
cdef object _UUID = None


cdef object _to_decimal(str text):
    global _Decimal
    if _Decimal is None:
        from decimal import Decimal  # lazy, as in the pure twin
        _Decimal = Decimal
    return _Decimal(text)


cdef object _to_uuid(str text):
    global _UUID
    if _UUID is None:
        from uuid import UUID  # lazy, as in the pure twin
        _UUID = UUID
    return _UUID(text)

# Containers nested deeper than MAX_DEPTH (+1) are handed to the pure twin (which recurses in
# Python and raises RecursionError for a cycle as it always did).
cdef enum:
    MAX_DEPTH = 255
    STACK_BYTES = 512

cdef double _INF = float("inf")


class _Bail(Exception):
    """Internal: the fast path does not cover this input; the pure twin decides."""


# --------------------------------------------------------------------------------------------
# Output buffer (ASCII bytes; a stack buffer first, then the heap)
# --------------------------------------------------------------------------------------------

cdef struct Buf:
    char* data
    Py_ssize_t len
    Py_ssize_t cap
    bint heap


cdef int _grow(Buf* b, Py_ssize_t extra) except -1:
    cdef Py_ssize_t cap = b.cap * 2
    cdef char* data
    if cap < b.len + extra:
        cap = b.len + extra
    if b.heap:
        data = <char*>PyMem_Realloc(b.data, cap)
        if data == NULL:
            raise MemoryError()
    else:
        data = <char*>PyMem_Malloc(cap)
        if data == NULL:
            raise MemoryError()
        memcpy(data, b.data, b.len)
        b.heap = True
    b.data = data
    b.cap = cap
    return 0


cdef inline int _reserve(Buf* b, Py_ssize_t extra) except -1:
    if b.len + extra > b.cap:
        _grow(b, extra)
    return 0


cdef inline int _put(Buf* b, const char* s, Py_ssize_t n) except -1:
    if b.len + n > b.cap:
        _grow(b, n)
    memcpy(b.data + b.len, s, n)
    b.len += n
    return 0


cdef inline int _puts(Buf* b, const char* s) except -1:
    return _put(b, s, strlen(s))


cdef inline int _putc(Buf* b, char c) except -1:
    if b.len + 1 > b.cap:
        _grow(b, 1)
    b.data[b.len] = c
    b.len += 1
    return 0


# --------------------------------------------------------------------------------------------
# Leaves: str (json's ensure_ascii escaping), int, float
# --------------------------------------------------------------------------------------------

cdef const char* _HEX = b"0123456789abcdef"
cdef unsigned char _SAFE[128]   # printable ASCII other than '"' and '\\' is written as is


cdef void _init_tables():
    cdef int c
    for c in range(128):
        _SAFE[c] = 0x20 <= c <= 0x7e and c != 0x22 and c != 0x5c

_init_tables()


cdef inline Py_ssize_t _u4(char* o, unsigned int c) noexcept:
    o[0] = 0x5c
    o[1] = 0x75  # u
    o[2] = _HEX[(c >> 12) & 0xf]
    o[3] = _HEX[(c >> 8) & 0xf]
    o[4] = _HEX[(c >> 4) & 0xf]
    o[5] = _HEX[c & 0xf]
    return 6


cdef inline Py_ssize_t _escape(char* o, unsigned int c) noexcept:
    """The escape json writes for a character that is not printable ASCII (at most 12 bytes)."""
    if c == 0x22 or c == 0x5c:
        o[0] = 0x5c
        o[1] = <char>c
        return 2
    if c == 0x08:
        o[0] = 0x5c
        o[1] = 0x62  # b
        return 2
    if c == 0x0c:
        o[0] = 0x5c
        o[1] = 0x66  # f
        return 2
    if c == 0x0a:
        o[0] = 0x5c
        o[1] = 0x6e  # n
        return 2
    if c == 0x0d:
        o[0] = 0x5c
        o[1] = 0x72  # r
        return 2
    if c == 0x09:
        o[0] = 0x5c
        o[1] = 0x74  # t
        return 2
    if c >= 0x10000:
        c -= 0x10000
        _u4(o, 0xd800 | ((c >> 10) & 0x3ff))
        _u4(o + 6, 0xdc00 | (c & 0x3ff))
        return 12
    return _u4(o, c)


cdef int _w_str(Buf* b, object s) except -1:
    """A str (or subclass: its characters) as a JSON string, ASCII-escaped like json."""
    cdef Py_ssize_t n, i = 0, j
    cdef int kind
    cdef void* data
    cdef const unsigned char* p
    cdef unsigned int c
    _str_ready(s)
    n = PyUnicode_GET_LENGTH(s)
    kind = PyUnicode_KIND(s)
    data = PyUnicode_DATA(s)
    # invariant: room for the characters still to copy unescaped and the closing quote
    _reserve(b, n + 2)
    b.data[b.len] = 0x22
    b.len += 1
    if kind == PyUnicode_1BYTE_KIND:
        p = <const unsigned char*>data
        while i < n:
            j = i
            while j < n and p[j] < 128 and _SAFE[p[j]]:
                j += 1
            if j > i:
                memcpy(b.data + b.len, p + i, j - i)
                b.len += j - i
            if j == n:
                break
            _reserve(b, 12 + n - j)
            b.len += _escape(b.data + b.len, p[j])
            i = j + 1
    else:
        while i < n:
            c = <unsigned int>PyUnicode_READ(kind, data, i)
            if c < 128 and _SAFE[c]:
                b.data[b.len] = <char>c
                b.len += 1
            else:
                _reserve(b, 12 + n - i)
                b.len += _escape(b.data + b.len, c)
            i += 1
    b.data[b.len] = 0x22
    b.len += 1
    return 0


cdef int _w_ascii(Buf* b, object s) except -1:
    """An ASCII str's characters as they are (the repr of an int)."""
    return _put(b, <const char*>PyUnicode_1BYTE_DATA(s), PyUnicode_GET_LENGTH(s))


cdef int _w_int(Buf* b, object v) except -1:
    """An int (or subclass) as ``int.__repr__`` writes it."""
    cdef int overflow = 0
    cdef long long x = PyLong_AsLongLongAndOverflow(v, &overflow)
    cdef unsigned long long u
    cdef char tmp[24]
    cdef char* p = tmp + 24
    if overflow:
        return _w_ascii(b, _int_repr(v))  # ValueError beyond sys.get_int_max_str_digits()
    if x < 0:
        u = <unsigned long long>(-(x + 1)) + 1
    else:
        u = <unsigned long long>x
    while True:
        p -= 1
        p[0] = <char>(0x30 + u % 10)
        u //= 10
        if u == 0:
            break
    if x < 0:
        p -= 1
        p[0] = 0x2d
    return _put(b, p, tmp + 24 - p)


cdef int _w_float(Buf* b, double d) except -1:
    """A float as json writes it: ``float.__repr__`` or NaN / Infinity / -Infinity."""
    cdef char* s
    if d != d:
        return _put(b, b"NaN", 3)
    if d == _INF:
        return _put(b, b"Infinity", 8)
    if d == -_INF:
        return _put(b, b"-Infinity", 9)
    s = PyOS_double_to_string(d, c'r', 0, Py_DTSF_ADD_DOT_0, NULL)
    try:
        _put(b, s, strlen(s))
    finally:
        PyMem_Free(s)
    return 0


# --------------------------------------------------------------------------------------------
# Encoder
# --------------------------------------------------------------------------------------------


cdef int _w_key(Buf* b, object k) except -1:
    """A dict key as json writes it (non-str keys become strings); anything else: the pure twin
    raises json's TypeError (tuples were rejected before)."""
    if isinstance(k, str):
        return _w_str(b, k)
    _putc(b, 0x22)
    if isinstance(k, float):
        _w_float(b, PyFloat_AS_DOUBLE(k))
    elif k is True:
        _put(b, b"true", 4)
    elif k is False:
        _put(b, b"false", 5)
    elif k is None:
        _put(b, b"null", 4)
    elif isinstance(k, int):
        _w_int(b, k)
    else:
        raise _Bail
    return _putc(b, 0x22)


cdef int _w_member(Buf* b, object k, object v, int depth) except -1:
    if type(k) is not str and isinstance(k, tuple):
        raise _Bail  # the pure twin raises the SerDesError (in its order)
    _w_key(b, k)
    _putc(b, 0x3a)
    return _w_env(b, v, depth, True)


cdef int _w_dict(Buf* b, object d, int depth) except -1:
    """The value of an ``m`` envelope: the dict's items with enveloped values."""
    cdef bint first = True
    if depth > MAX_DEPTH:
        raise _Bail
    _putc(b, 0x7b)
    if type(d) is dict:
        for k, v in (<dict>d).items():
            if not first:
                _putc(b, 0x2c)
            first = False
            _w_member(b, k, v, depth)
    else:
        for k, v in d.items():
            if not first:
                _putc(b, 0x2c)
            first = False
            _w_member(b, k, v, depth)
    return _putc(b, 0x7d)


cdef int _w_seq(Buf* b, object seq, int depth) except -1:
    """The value of an ``l``/``t`` envelope: a JSON array of envelopes."""
    cdef bint first = True
    if depth > MAX_DEPTH:
        raise _Bail
    _putc(b, 0x5b)
    for x in seq:  # exact lists/tuples are indexed; subclasses iterated, as in the pure twin
        if not first:
            _putc(b, 0x2c)
        first = False
        _w_env(b, x, depth, True)
    return _putc(b, 0x5d)


cdef int _w_env(Buf* b, object obj, int depth, bint full) except -1:
    """``obj`` as an envelope ``{"t":tag,"v":value}`` (``full``) or just its value (the ``br``
    envelope holds the value of ``to_dict()``'s envelope)."""
    cdef type t = type(obj)
    if t is str:
        if full:
            _put(b, b'{"t":"s","v":', 13)
        _w_str(b, obj)
    elif t is int:
        if full:
            _put(b, b'{"t":"i","v":', 13)
        _w_int(b, obj)
    elif t is dict:
        if full:
            _put(b, b'{"t":"m","v":', 13)
        _w_dict(b, obj, depth + 1)
    elif t is bool:
        if full:
            _put(b, b'{"t":"b","v":', 13)
        if obj:
            _put(b, b"true", 4)
        else:
            _put(b, b"false", 5)
    elif obj is None:
        if full:
            _put(b, b'{"t":"n","v":', 13)
        _put(b, b"null", 4)
    elif t is float:
        if full:
            _put(b, b'{"t":"f","v":', 13)
        _w_float(b, PyFloat_AS_DOUBLE(obj))
    elif t is list:
        if full:
            _put(b, b'{"t":"l","v":', 13)
        _w_seq(b, obj, depth + 1)
    elif t is tuple:
        if full:
            _put(b, b'{"t":"t","v":', 13)
        _w_seq(b, obj, depth + 1)
    else:
        _w_env_other(b, obj, depth, full)
        return 0
    if full:
        _putc(b, 0x7d)
    return 0


cdef int _w_leaf_str(Buf* b, const char* header, object s, bint full) except -1:
    if not isinstance(s, str):
        raise _Bail  # e.g. an isoformat() override returning something else: the pure twin
    if full:
        _puts(b, header)
    _w_str(b, s)
    if full:
        _putc(b, 0x7d)
    return 0


cdef int _w_env_other(Buf* b, object obj, int depth, bint full) except -1:
    """Subclasses and the non-container extended types, in the pure twin's dispatch order."""
    if isinstance(obj, str):
        return _w_leaf_str(b, b'{"t":"s","v":', obj, full)
    if isinstance(obj, int):
        if full:
            _put(b, b'{"t":"i","v":', 13)
        _w_int(b, obj)
    elif isinstance(obj, float):
        if full:
            _put(b, b'{"t":"f","v":', 13)
        _w_float(b, PyFloat_AS_DOUBLE(obj))
    elif isinstance(obj, _BYTES_TYPES):
        encoded = <bytes>_b2a_base64(obj if type(obj) is bytes else bytes(obj), newline=False)
        if full:
            _put(b, b'{"t":"B","v":', 13)
        _putc(b, 0x22)
        _put(b, <const char*>encoded, len(encoded))  # base64: ASCII, nothing to escape
        _putc(b, 0x22)
    elif _is_loaded_instance(obj, "uuid", "UUID"):
        return _w_leaf_str(b, b'{"t":"u","v":', str(obj), full)
    elif _is_loaded_instance(obj, "decimal", "Decimal"):
        return _w_leaf_str(b, b'{"t":"d","v":', str(obj), full)
    elif isinstance(obj, _datetime):
        return _w_leaf_str(b, b'{"t":"dt","v":', obj.isoformat(), full)
    elif isinstance(obj, date):
        return _w_leaf_str(b, b'{"t":"D","v":', obj.isoformat(), full)
    elif _is_batch_result(obj):
        if depth > MAX_DEPTH:
            raise _Bail
        if full:
            _put(b, b'{"t":"br","v":', 14)
        _w_env(b, obj.to_dict(), depth + 1, False)
    elif isinstance(obj, list):
        if full:
            _put(b, b'{"t":"l","v":', 13)
        _w_seq(b, obj, depth + 1)
    elif isinstance(obj, tuple):
        if full:
            _put(b, b'{"t":"t","v":', 13)
        _w_seq(b, obj, depth + 1)
    elif isinstance(obj, dict):
        if full:
            _put(b, b'{"t":"m","v":', 13)
        _w_dict(b, obj, depth + 1)
    else:
        raise _Bail  # unsupported type: the pure twin raises the SerDesError
    if full:
        _putc(b, 0x7d)
    return 0


cdef int _w_plain_list(Buf* b, object items, int depth) except -1:
    """A list of primitives and nested such lists as plain JSON (the fast path); returns 1 (with
    a partial write the caller discards) as soon as another element shows up."""
    cdef bint first = True
    cdef type t
    if depth > MAX_DEPTH:
        raise _Bail
    _putc(b, 0x5b)
    for x in items:
        if not first:
            _putc(b, 0x2c)
        first = False
        t = type(x)
        if t is str:
            _w_str(b, x)
        elif t is int:
            _w_int(b, x)
        elif x is None:
            _put(b, b"null", 4)
        elif t is bool:
            if x:
                _put(b, b"true", 4)
            else:
                _put(b, b"false", 5)
        elif t is float:
            _w_float(b, PyFloat_AS_DOUBLE(x))
        elif isinstance(x, list):
            if _w_plain_list(b, x, depth + 1):
                return 1
        elif isinstance(x, str):
            _w_str(b, x)
        elif isinstance(x, int):
            _w_int(b, x)
        elif isinstance(x, float):
            _w_float(b, PyFloat_AS_DOUBLE(x))
        else:
            return 1
    _putc(b, 0x5d)
    return 0


cdef int _w_top(Buf* b, object value) except -1:
    cdef type t = type(value)
    cdef Py_ssize_t mark
    if t is str:
        return _w_str(b, value)
    if t is int:
        return _w_int(b, value)
    if t is dict:
        _put(b, b'{"t":"m","v":', 13)
        _w_dict(b, value, 1)
        return _putc(b, 0x7d)
    if value is None:
        return _put(b, b"null", 4)
    if t is bool:
        return _put(b, b"true", 4) if value else _put(b, b"false", 5)
    if t is float:
        return _w_float(b, PyFloat_AS_DOUBLE(value))
    if isinstance(value, list):
        mark = b.len
        if _w_plain_list(b, value, 1) == 0:
            return 0
        b.len = mark
        _put(b, b'{"t":"l","v":', 13)
        _w_seq(b, value, 1)
        return _putc(b, 0x7d)
    if isinstance(value, str):  # subclasses (StrEnum, ...)
        return _w_str(b, value)
    if isinstance(value, int):  # (IntEnum, ...)
        return _w_int(b, value)
    if isinstance(value, float):
        return _w_float(b, PyFloat_AS_DOUBLE(value))
    return _w_env(b, value, 0, True)


def encode(value) -> str:
    """Extended-envelope serialization, byte-identical to ``_envelope_py.encode`` (and to the
    official SDK): plain compact JSON for primitives and lists of only primitives, else the
    ``{"t","v"}`` envelope. Errors: those of ``_envelope_py.encode``."""
    cdef char stack[STACK_BYTES]
    cdef Buf b
    cdef str out
    b.data = stack
    b.len = 0
    b.cap = STACK_BYTES
    b.heap = False
    try:
        _w_top(&b, value)
        out = PyUnicode_New(b.len, 127)
        memcpy(PyUnicode_1BYTE_DATA(out), b.data, b.len)
        return out
    except Exception:
        pass  # not covered here: the pure twin decides (outside this handler: no chaining)
    finally:
        if b.heap:
            PyMem_Free(b.data)
    return _py_encode(value)


# --------------------------------------------------------------------------------------------
# Decoder of the canonical envelope text
# --------------------------------------------------------------------------------------------

cdef struct Rd:
    const unsigned char* s  # NUL-terminated (str data always is)
    Py_ssize_t i
    Py_ssize_t n


cdef inline void _ws(Rd* r) noexcept:
    cdef unsigned char c = r.s[r.i]
    while c == 0x20 or c == 0x0a or c == 0x0d or c == 0x09:
        r.i += 1
        c = r.s[r.i]


cdef inline int _expect(Rd* r, unsigned char c) except -1:
    _ws(r)
    if r.s[r.i] != c:
        raise _Bail
    r.i += 1
    return 0


cdef inline int _literal(Rd* r, const char* word, Py_ssize_t n) except -1:
    cdef Py_ssize_t k
    for k in range(n):
        if r.s[r.i + k] != <unsigned char>word[k]:  # stops at the NUL terminator
            raise _Bail
    r.i += n
    return 0


cdef inline int _hex4(Rd* r) except -1:  # 0..0xffff
    """Four hex digits at r.i (advanced past them)."""
    cdef int v = 0, k
    cdef unsigned char c
    for k in range(4):
        c = r.s[r.i + k]
        v <<= 4
        if 0x30 <= c <= 0x39:
            v |= c - 0x30
        elif 0x61 <= c <= 0x66:
            v |= c - 0x61 + 10
        elif 0x41 <= c <= 0x46:
            v |= c - 0x41 + 10
        else:
            raise _Bail
    r.i += 4
    return v


cdef str _string_escaped(Rd* r, Py_ssize_t start, Py_ssize_t end):
    """The JSON string between ``start`` and the closing quote at ``end`` (with escapes)."""
    cdef Py_UCS4* buf = <Py_UCS4*>PyMem_Malloc((end - start) * sizeof(Py_UCS4))
    cdef Py_ssize_t n = 0
    cdef unsigned int c, lo
    cdef unsigned char e
    if buf == NULL:
        raise MemoryError()
    try:
        r.i = start
        while r.i < end:
            c = r.s[r.i]
            r.i += 1
            if c == 0x5c:
                e = r.s[r.i]
                r.i += 1
                if e == 0x22 or e == 0x5c or e == 0x2f:
                    c = e
                elif e == 0x62:
                    c = 0x08
                elif e == 0x66:
                    c = 0x0c
                elif e == 0x6e:
                    c = 0x0a
                elif e == 0x72:
                    c = 0x0d
                elif e == 0x74:
                    c = 0x09
                elif e == 0x75:
                    c = _hex4(r)
                    if 0xdc00 <= c <= 0xdfff:
                        raise _Bail  # lone low surrogate
                    if 0xd800 <= c <= 0xdbff:
                        if r.s[r.i] != 0x5c or r.s[r.i + 1] != 0x75:
                            raise _Bail  # lone high surrogate
                        r.i += 2
                        lo = _hex4(r)
                        if not 0xdc00 <= lo <= 0xdfff:
                            raise _Bail
                        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00)
                else:
                    raise _Bail
            buf[n] = <Py_UCS4>c
            n += 1
        r.i = end + 1
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n)
    finally:
        PyMem_Free(buf)


cdef str _string(Rd* r):
    """A JSON string at r.i (the opening quote)."""
    cdef Py_ssize_t start = r.i + 1, j = start
    cdef unsigned char c
    cdef bint escaped = False
    cdef str out
    while True:
        c = r.s[j]
        if c == 0x22:
            break
        if c < 0x20:  # a raw control character (invalid JSON) or the end of the input
            raise _Bail
        if c == 0x5c:
            escaped = True
            j += 1
            if r.s[j] < 0x20:
                raise _Bail
        j += 1
    if escaped:
        return _string_escaped(r, start, j)
    out = PyUnicode_New(j - start, 127)
    memcpy(PyUnicode_1BYTE_DATA(out), r.s + start, j - start)
    r.i = j + 1
    return out


cdef object _number(Rd* r, int want):
    """A JSON number at r.i: an int (``want`` 1: only an int), a float (``want`` 2: only a
    float) or either (``want`` 0). Ints of 20+ digits, overflowing floats: the pure twin."""
    cdef Py_ssize_t start = r.i, digits = 1
    cdef const unsigned char* s = r.s
    cdef bint neg = False, is_float = False
    cdef unsigned long long u = 0
    cdef char* end
    cdef double d
    if s[r.i] == 0x2d:
        neg = True
        r.i += 1
    if s[r.i] == 0x30:
        r.i += 1
    elif 0x31 <= s[r.i] <= 0x39:
        digits = r.i
        while 0x30 <= s[r.i] <= 0x39:
            u = u * 10 + (s[r.i] - 0x30)
            r.i += 1
        digits = r.i - digits
    else:
        raise _Bail
    if s[r.i] == 0x2e:
        is_float = True
        r.i += 1
        if not 0x30 <= s[r.i] <= 0x39:
            raise _Bail
        while 0x30 <= s[r.i] <= 0x39:
            r.i += 1
    if s[r.i] == 0x65 or s[r.i] == 0x45:
        is_float = True
        r.i += 1
        if s[r.i] == 0x2b or s[r.i] == 0x2d:
            r.i += 1
        if not 0x30 <= s[r.i] <= 0x39:
            raise _Bail
        while 0x30 <= s[r.i] <= 0x39:
            r.i += 1
    if is_float:
        if want == 1:
            raise _Bail
        d = PyOS_string_to_double(<const char*>(s + start), &end, NULL)
        if <const unsigned char*>end != s + r.i or d == _INF or d == -_INF:
            raise _Bail
        return d
    if want == 2:
        raise _Bail
    if digits > 19:
        raise _Bail
    if neg:
        if u > 9223372036854775808ULL:
            raise _Bail
        if u == 0:
            return 0
        return PyLong_FromLongLong(-<long long>(u - 1) - 1)
    return PyLong_FromUnsignedLongLong(u)


cdef object _plain(Rd* r, int depth):
    """A root primitive or a (nested) list of primitives."""
    cdef unsigned char c
    cdef list out
    _ws(r)
    c = r.s[r.i]
    if c == 0x22:
        return _string(r)
    if c == 0x2d or 0x30 <= c <= 0x39:
        return _number(r, 0)
    if c == 0x74:
        _literal(r, b"true", 4)
        return True
    if c == 0x66:
        _literal(r, b"false", 5)
        return False
    if c == 0x6e:
        _literal(r, b"null", 4)
        return None
    if c != 0x5b or depth > MAX_DEPTH:
        raise _Bail  # an object in a root list (malformed), NaN, invalid JSON...
    r.i += 1
    out = []
    _ws(r)
    if r.s[r.i] == 0x5d:
        r.i += 1
        return out
    while True:
        out.append(_plain(r, depth + 1))
        _ws(r)
        c = r.s[r.i]
        r.i += 1
        if c == 0x5d:
            return out
        if c != 0x2c:
            raise _Bail


cdef dict _map(Rd* r, int depth):
    """The value of an ``m`` envelope: an object of envelopes."""
    cdef dict out = {}
    cdef unsigned char c
    if depth > MAX_DEPTH:
        raise _Bail
    _expect(r, 0x7b)
    _ws(r)
    if r.s[r.i] == 0x7d:
        r.i += 1
        return out
    while True:
        _ws(r)
        if r.s[r.i] != 0x22:
            raise _Bail
        key = _string(r)
        _expect(r, 0x3a)
        out[key] = _env(r, depth + 1)
        _ws(r)
        c = r.s[r.i]
        r.i += 1
        if c == 0x7d:
            return out
        if c != 0x2c:
            raise _Bail


cdef list _seq(Rd* r, int depth):
    """The value of an ``l``/``t`` envelope: an array of envelopes."""
    cdef list out = []
    cdef unsigned char c
    if depth > MAX_DEPTH:
        raise _Bail
    _expect(r, 0x5b)
    _ws(r)
    if r.s[r.i] == 0x5d:
        r.i += 1
        return out
    while True:
        out.append(_env(r, depth + 1))
        _ws(r)
        c = r.s[r.i]
        r.i += 1
        if c == 0x5d:
            return out
        if c != 0x2c:
            raise _Bail


cdef str _str_value(Rd* r):
    _ws(r)
    if r.s[r.i] != 0x22:
        raise _Bail  # the pure twin coerces (or rejects) other values
    return _string(r)


cdef object _env(Rd* r, int depth):
    """An envelope ``{"t":tag,"v":value}`` (exactly these two members, in this order) decoded."""
    cdef unsigned char t0, t1
    cdef object value
    cdef str text
    if strncmp(<const char*>(r.s + r.i), b'{"t":"', 6) == 0:  # compact (stops at the NUL)
        r.i += 6
    else:
        _expect(r, 0x7b)
        _expect(r, 0x22)
        _literal(r, b't"', 2)
        _expect(r, 0x3a)
        _expect(r, 0x22)
    t0 = r.s[r.i]
    if t0 < 0x20 or t0 == 0x22:  # the end of the input, a control character, an empty tag
        raise _Bail
    t1 = r.s[r.i + 1]
    if t1 == 0x22:
        r.i += 2
        t1 = 0
    elif t1 >= 0x20 and r.s[r.i + 2] == 0x22:
        r.i += 3
    else:
        raise _Bail
    if strncmp(<const char*>(r.s + r.i), b',"v":', 5) == 0:
        r.i += 5
    else:
        _expect(r, 0x2c)
        _expect(r, 0x22)
        _literal(r, b'v"', 2)
        _expect(r, 0x3a)
        _ws(r)
    if t1 == 0:
        if t0 == 0x73:  # s
            value = _str_value(r)
        elif t0 == 0x69:  # i
            value = _number(r, 1)
        elif t0 == 0x6d:  # m
            value = _map(r, depth)
        elif t0 == 0x66:  # f
            value = _number(r, 2)
        elif t0 == 0x62:  # b
            if r.s[r.i] == 0x74:
                _literal(r, b"true", 4)
                value = True
            else:
                _literal(r, b"false", 5)
                value = False
        elif t0 == 0x6e:  # n
            _literal(r, b"null", 4)
            value = None
        elif t0 == 0x6c:  # l
            value = _seq(r, depth)
        elif t0 == 0x74:  # t
            value = tuple(_seq(r, depth))
        elif t0 == 0x44:  # D
            value = _fromisoformat_d(_str_value(r))
        elif t0 == 0x64:  # d
            value = _to_decimal(_str_value(r))
        elif t0 == 0x75:  # u
            value = _to_uuid(_str_value(r))
        elif t0 == 0x42:  # B
            value = _a2b_base64(_str_value(r).encode("utf-8"))
        else:
            raise _Bail
    elif t0 == 0x64 and t1 == 0x74:  # dt
        text = _str_value(r)
        if text.endswith("Z"):
            text = text[:len(text) - 1] + "+00:00"
        value = _fromisoformat_dt(text)
    elif t0 == 0x62 and t1 == 0x72:  # br
        value = _batch_result_from_dict(_map(r, depth))
    else:
        raise _Bail
    _expect(r, 0x7d)
    return value


cdef object _decode_ascii(str data):
    cdef Rd r
    cdef object value
    r.s = PyUnicode_1BYTE_DATA(data)
    r.i = 0
    r.n = PyUnicode_GET_LENGTH(data)
    _ws(&r)
    if r.s[r.i] == 0x7b:
        value = _env(&r, 0)
    else:
        value = _plain(&r, 0)
    _ws(&r)
    if r.i != r.n:
        raise _Bail
    return value


def decode(data):
    """Inverse of :func:`encode`, same results and errors as ``_envelope_py.decode`` (which
    decides every input the fast parser does not cover)."""
    if type(data) is str and _str_ready(data) == 0 and PyUnicode_IS_ASCII(data):
        try:
            return _decode_ascii(<str>data)
        except Exception:
            pass  # the pure twin decides (outside this handler: no exception chaining)
    return _py_decode(data)
