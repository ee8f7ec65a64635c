# cython: language_level=3, binding=False, embedsignature=True
"""Cutting the checkpoint update queue into API calls, compiled twin of
``lambda_durable._batching_py`` (same results; see that module for the rules, protocol.md 3.3).

Sizes are bounded before they are measured: each update's JSON length is bounded from above in C
without serializing it -- a string of one-byte characters (``PyUnicode_1BYTE_KIND``) takes at most
6 bytes per character plus its quotes (``\\u00XX`` is the longest escape; every other character
of that kind is 1 or 2 UTF-8 bytes), an ``int`` of 64 bits at most 20, a ``float`` at most 32,
``true``/``false``/``null`` 5, and exact ``dict``/``list`` values add their brackets, colons and
commas. While the bounds of a batch's updates fit the byte limit the batch is cut by count (or at
an EXECUTION update) alone; only when they don't are the updates of the batch sized exactly with
``orjson.dumps``, so the cut is the one the exact greedy rule makes. Anything the bound does not
know (another type, a str or dict subclass, a wider string, a huge int, deep nesting) is sized
with ``orjson.dumps`` at once, so an update orjson rejects raises where the exact rule raises.
"""
from cpython.dict cimport PyDict_Next
from cpython.list cimport PyList_GET_SIZE, PyList_GET_ITEM, PyList_GetSlice
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.object cimport PyObject, PyObject_RichCompareBool, Py_EQ
from cpython.bytes cimport PyBytes_GET_SIZE

from orjson import dumps as _dumps

from lambda_durable.limits import MAX_BATCH_OPERATIONS as _MAX_OPS_PY
from lambda_durable.limits import MAX_BATCH_SIZE_BYTES as _MAX_BYTES_PY

__all__ = ["cut_batches", "update_size"]

cdef extern from "Python.h":
    PyObject* PyDict_GetItemWithError(object d, object key) except? NULL
    bint PyDict_CheckExact(object o)
    bint PyList_CheckExact(object o)
    bint PyUnicode_CheckExact(object o)
    bint PyLong_CheckExact(object o)
    bint PyFloat_CheckExact(object o)
    bint PyBytes_CheckExact(object o)
    int PyUnicode_KIND(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    int PyUnicode_Compare(object a, object b) except? -1
    int PyUnicode_1BYTE_KIND

# the limits, read once (a batch never holds more updates than this; the stack arrays below)
cdef enum:
    _CAP = 1024
cdef Py_ssize_t _MAX_OPS = _MAX_OPS_PY
cdef Py_ssize_t _MAX_BYTES = _MAX_BYTES_PY
if not 0 < _MAX_OPS <= _CAP:  # pragma: no cover - limits.py changed beyond the compiled arrays
    raise ImportError(f"_batching_c: MAX_BATCH_OPERATIONS={_MAX_OPS} outside 1..{_CAP}")

cdef str _EXECUTION = "EXECUTION"
cdef str _TYPE = "Type"


cdef inline bint _equals_execution(object value) except -1:
    """``value == "EXECUTION"`` (an exact str is compared by length first, no bool objects)."""
    if value is _EXECUTION:
        return True
    if PyUnicode_CheckExact(value):
        return PyUnicode_GET_LENGTH(value) == 9 and PyUnicode_Compare(value, _EXECUTION) == 0
    return PyObject_RichCompareBool(value, _EXECUTION, Py_EQ)
cdef int _MAX_DEPTH = 64


cdef inline Py_ssize_t _exact(object update) except -1:
    """The UTF-8 length of ``update``'s JSON (``orjson.dumps``)."""
    cdef object data = _dumps(update)
    if PyBytes_CheckExact(data):
        return PyBytes_GET_SIZE(data)
    return len(data)


cdef Py_ssize_t _bound(object value, int depth) except -2:
    """An upper bound of the length of ``value``'s JSON, or -1 when this function can't tell
    (then the caller serializes it)."""
    cdef Py_ssize_t total, part
    cdef Py_ssize_t pos = 0
    cdef PyObject* key
    cdef PyObject* item
    cdef Py_ssize_t i, n
    cdef int overflow = 0
    if PyUnicode_CheckExact(value):
        if PyUnicode_KIND(value) != PyUnicode_1BYTE_KIND:
            return -1
        return 6 * PyUnicode_GET_LENGTH(value) + 2
    if value is None:
        return 4
    if value is True or value is False:
        return 5
    if PyLong_CheckExact(value):
        PyLong_AsLongLongAndOverflow(value, &overflow)
        return -1 if overflow else 20
    if PyFloat_CheckExact(value):
        return 32
    if depth >= _MAX_DEPTH:
        return -1
    if PyDict_CheckExact(value):
        total = 2
        while PyDict_Next(value, &pos, &key, &item):
            if not PyUnicode_CheckExact(<object>key) or PyUnicode_KIND(<object>key) != PyUnicode_1BYTE_KIND:
                return -1
            part = _bound(<object>item, depth + 1)
            if part < 0:
                return -1
            total += 6 * PyUnicode_GET_LENGTH(<object>key) + 4 + part  # "key": value,
        return total
    if PyList_CheckExact(value):
        total = 2
        n = PyList_GET_SIZE(value)
        for i in range(n):
            part = _bound(<object>PyList_GET_ITEM(value, i), depth + 1)
            if part < 0:
                return -1
            total += part + 1
        return total
    return -1


cdef Py_ssize_t _update_bound(object update, bint* is_execution) except -2:
    """:func:`_bound` of one update, also telling whether its ``Type`` is EXECUTION (read during
    the same walk when the key is the interned ``"Type"``, else looked up)."""
    cdef Py_ssize_t total = 2, part
    cdef Py_ssize_t pos = 0
    cdef PyObject* key
    cdef PyObject* item
    cdef PyObject* type_value = NULL
    if not PyDict_CheckExact(update):
        is_execution[0] = _is_execution(update)
        return -1
    while PyDict_Next(update, &pos, &key, &item):
        if key == <PyObject*>_TYPE:
            type_value = item
        if total < 0:
            continue  # unboundable: only looking for the Type
        if not PyUnicode_CheckExact(<object>key) or PyUnicode_KIND(<object>key) != PyUnicode_1BYTE_KIND:
            total = -1
            continue
        if PyUnicode_CheckExact(<object>item) and PyUnicode_KIND(<object>item) == PyUnicode_1BYTE_KIND:
            part = 6 * PyUnicode_GET_LENGTH(<object>item) + 2  # the common case, inlined
        else:
            part = _bound(<object>item, 1)
            if part < 0:
                total = -1
                continue
        total += 6 * PyUnicode_GET_LENGTH(<object>key) + 4 + part
    if type_value is NULL:
        is_execution[0] = _is_execution(update)
    else:
        is_execution[0] = _equals_execution(<object>type_value)
    return total


cdef inline bint _is_execution(object update) except -1:
    """``update.get("Type") == "EXECUTION"``."""
    cdef PyObject* t
    cdef object value
    if PyDict_CheckExact(update):
        t = PyDict_GetItemWithError(update, _TYPE)
        if t is NULL:
            return False
        value = <object>t
    else:
        get = getattr(update, "get", None)
        if get is None:  # not a mapping: no Type
            return False
        value = get(_TYPE)
    return _equals_execution(value)


cdef Py_ssize_t _batch_end(list queue, Py_ssize_t start, Py_ssize_t n) except -1:
    """End (exclusive) of the batch that starts at ``start``: the exact greedy rule, sizing
    updates only when their bounds don't settle it."""
    cdef Py_ssize_t size[_CAP]
    cdef bint exact[_CAP]
    cdef Py_ssize_t end = start
    cdef Py_ssize_t k, count, b
    cdef bint is_execution = False
    cdef Py_ssize_t total = 0   # exact sizes of [start, settled) + bounds of [settled, end)
    cdef Py_ssize_t settled = start
    cdef object update
    while end < n:
        count = end - start
        if count >= _MAX_OPS:
            break
        update = <object>PyList_GET_ITEM(queue, end)
        b = _update_bound(update, &is_execution)
        if b < 0:
            size[count] = _exact(update)
            exact[count] = True
        else:
            size[count] = b
            exact[count] = False
        if count > 0 and total + size[count] > _MAX_BYTES:
            # the bounds don't fit: size the unsized updates exactly and decide on those
            for k in range(settled - start, count + 1):
                if not exact[k]:
                    total -= size[k] if k < count else 0
                    size[k] = _exact(<object>PyList_GET_ITEM(queue, start + k))
                    exact[k] = True
                    total += size[k] if k < count else 0
            settled = end
            if total + size[count] > _MAX_BYTES:
                break
        total += size[count]
        end += 1
        if is_execution:
            break
    return end


def update_size(update):
    """Size of one update as a batch counts it: the UTF-8 length of its JSON."""
    return _exact(update)


def cut_batches(queue):
    """The API calls for the FIFO ``queue`` (see ``lambda_durable._batching_py``)."""
    cdef list q
    cdef list batches
    cdef Py_ssize_t n, start, end
    if type(queue) is list:
        q = <list>queue
    else:
        q = list(queue)
    n = PyList_GET_SIZE(q)
    if n <= 1:
        return [q]
    end = _batch_end(q, 0, n)
    if end == n:
        return [q]
    batches = [PyList_GetSlice(q, 0, end)]
    start = end
    while start < n:
        end = _batch_end(q, start, n)
        batches.append(PyList_GetSlice(q, start, end))
        start = end
    return batches
