# cython: language_level=3, binding=False, embedsignature=True
"""Checkpoint-state operation table, compiled twin of ``lambda_durable._table_py`` (same interface
and behaviour; see that module for the contract).

Records are stored by reference in a plain ``dict`` (:attr:`OperationTable.operations`). The loops
over an event's operations, a page or a checkpoint response run in C: exact ``dict`` records are
read with borrowed ``PyDict_GetItemWithError`` lookups, a new Id costs one probe of the table
(``PyDict_SetDefault``), records without a parent are indexed in a list of their own, and the
``Type`` test compares an exact ``str`` by length and contents without creating a bool; anything
else (a mapping that is not an exact ``dict``, a ``Type`` that is not a ``str``) goes through the
generic protocols with the same results.
"""
from cpython.dict cimport PyDict_SetItem, PyDict_Next, PyDict_Size
from cpython.list cimport PyList_Append, PyList_GET_SIZE, PyList_GetSlice
from cpython.object cimport PyObject, PyObject_RichCompareBool, Py_EQ, Py_NE, PyObject_GetItem

__all__ = ["OperationTable"]

cdef extern from "Python.h":
    PyObject* PyDict_GetItemWithError(object d, object key) except? NULL
    PyObject* PyDict_SetDefault(object d, object key, object default) except NULL
    bint PyDict_CheckExact(object o)
    bint PyUnicode_CheckExact(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    int PyUnicode_Compare(object a, object b) except? -1
    bint PyList_CheckExact(object o)
    PyObject* PyList_GET_ITEM(object o, Py_ssize_t i)

cdef str _EXECUTION = "EXECUTION"
cdef str _ID = "Id"
cdef str _TYPE = "Type"
cdef str _PARENT = "ParentId"
cdef str _STATUS = "Status"


cdef inline bint _equals_execution(object value) except -1:
    """``value == "EXECUTION"`` (an exact str is compared by length first, no bool objects)."""
    if value is _EXECUTION:
        return True
    if PyUnicode_CheckExact(value):
        return PyUnicode_GET_LENGTH(value) == 9 and PyUnicode_Compare(value, _EXECUTION) == 0
    return PyObject_RichCompareBool(value, _EXECUTION, Py_EQ)


cdef inline object _field(object op, str key):
    """``op.get(key)`` (a new reference; ``None`` when absent)."""
    cdef PyObject* v
    if PyDict_CheckExact(op):
        v = PyDict_GetItemWithError(op, key)
        if v is NULL:
            return None
        return <object>v
    return op.get(key)


cdef inline bint _is_history(object op) except -1:
    """``op.get("Type") != "EXECUTION"``."""
    return not _equals_execution(_field(op, _TYPE))


cdef class OperationTable:
    """Operations of one execution keyed by ``Id`` (wire dicts, stored as received)."""

    cdef dict _ops
    cdef dict _children  # parent Id -> [child Id, ...]
    cdef list _roots     # the children of None: records without a ParentId
    cdef Py_ssize_t _history

    def __init__(self, operations=None):
        """``operations``: an existing ``Id -> record`` dict to adopt (not copied: it becomes
        :attr:`operations`) and index; ``None`` starts empty."""
        cdef Py_ssize_t pos = 0
        cdef PyObject* key
        cdef PyObject* value
        self._ops = {}
        self._children = {}
        self._roots = []
        self._history = 0
        if operations is None:
            return
        if type(operations) is not dict:
            raise TypeError(
                f"OperationTable() takes a dict of operations, not {type(operations).__name__}"
            )
        self._ops = <dict>operations
        while PyDict_Next(self._ops, &pos, &key, &value):
            if _is_history(<object>value):
                self._history += 1
            self._index_child(_field(<object>value, _PARENT), <object>key)

    cdef inline int _index_child(self, object parent, object op_id) except -1:
        """Append ``op_id`` to ``parent``'s children."""
        cdef PyObject* siblings
        if parent is None:
            PyList_Append(self._roots, op_id)
            return 0
        siblings = PyDict_GetItemWithError(self._children, parent)
        if siblings is NULL:
            self._children[parent] = [op_id]
        else:
            PyList_Append(<list>siblings, op_id)
        return 0

    cdef int _move_child(self, object op_id, object old_parent, object parent) except -1:
        """Move ``op_id`` from ``old_parent``'s children to the end of ``parent``'s (rare: a
        record replaced with another ParentId)."""
        cdef PyObject* found
        cdef list siblings
        if old_parent is None:
            siblings = self._roots
        else:
            found = PyDict_GetItemWithError(self._children, old_parent)
            siblings = <list>found if found is not NULL else None
        if siblings is not None:
            try:
                siblings.remove(op_id)
            except ValueError:  # the index always lists a stored record
                pass
            if PyList_GET_SIZE(siblings) == 0 and old_parent is not None:
                del self._children[old_parent]
        self._index_child(parent, op_id)
        return 0

    # -- building and merging ----------------------------------------------------------------

    def load(self, operations):
        """Store every operation of ``operations`` (the invocation event's list), by ``Id``."""
        self._store(operations, False)

    def add_page(self, operations):
        """Store one ``GetDurableExecutionState`` page (merged by ``Id``)."""
        self._store(operations, False)

    def merge(self, operations):
        """Merge a checkpoint response's changed operations (each replaces the whole record with
        its ``Id``); returns them as a new list, in order. O(len(operations))."""
        return self._store(operations, True)

    cdef list _store(self, object operations, bint collect):
        cdef list stored = [] if collect else None
        cdef Py_ssize_t i = 0
        cdef object op
        if PyList_CheckExact(operations):
            while i < PyList_GET_SIZE(operations):  # re-read: the list could change meanwhile
                op = <object>PyList_GET_ITEM(operations, i)
                self._store_one(op, stored)
                i += 1
        else:
            for op in operations:
                self._store_one(op, stored)
        return stored

    cdef int _store_one(self, object op, list stored) except -1:
        cdef PyObject* idp
        cdef PyObject* prev
        cdef PyObject* field
        cdef object op_id, old, parent, old_parent
        cdef bint was, now
        cdef Py_ssize_t before = PyDict_Size(self._ops)
        cdef bint plain = PyDict_CheckExact(op)
        if plain:
            idp = PyDict_GetItemWithError(op, _ID)
            if idp is NULL:
                raise KeyError(_ID)
            op_id = <object>idp
        else:
            op_id = PyObject_GetItem(op, _ID)
        # one probe of the table for a new Id (setdefault), a second one only to replace
        prev = PyDict_SetDefault(self._ops, op_id, op)
        if stored is not None:
            PyList_Append(stored, op)
        if PyDict_Size(self._ops) != before:  # a new Id
            if plain:  # inlined _is_history / _field for the common case
                field = PyDict_GetItemWithError(op, _TYPE)
                if field is NULL or not _equals_execution(<object>field):
                    self._history += 1
                field = PyDict_GetItemWithError(op, _PARENT)
                if field is NULL:
                    PyList_Append(self._roots, op_id)
                else:
                    self._index_child(<object>field, op_id)
            else:
                if _is_history(op):
                    self._history += 1
                self._index_child(_field(op, _PARENT), op_id)
            return 0
        if prev == <PyObject*>op:  # the very record already stored: nothing changes
            return 0
        old = <object>prev
        PyDict_SetItem(self._ops, op_id, op)
        was = _is_history(old)
        now = _is_history(op)
        if was != now:
            self._history += -1 if was else 1
        parent = _field(op, _PARENT)
        old_parent = _field(old, _PARENT)
        if old_parent is not parent and PyObject_RichCompareBool(old_parent, parent, Py_NE):
            self._move_child(op_id, old_parent, parent)
        return 0

    # -- lookups -----------------------------------------------------------------------------

    @property
    def operations(self):
        """The ``Id -> record`` dict itself (live; never copied)."""
        return self._ops

    def get(self, operation_id):
        """The record with this ``Id``, or ``None``."""
        cdef PyObject* found = PyDict_GetItemWithError(self._ops, operation_id)
        if found is NULL:
            return None
        return <object>found

    def status(self, operation_id):
        """The ``Status`` of the record with this ``Id`` (``None`` when absent)."""
        cdef PyObject* found = PyDict_GetItemWithError(self._ops, operation_id)
        if found is NULL:
            return None
        return _field(<object>found, _STATUS)

    def has_history(self):
        """True when any operation other than an EXECUTION one is stored (replay). O(1)."""
        return self._history > 0

    @property
    def history_count(self):
        """How many stored operations are not of ``Type`` EXECUTION."""
        return self._history

    def children(self, parent_id):
        """Ids of the operations whose ``ParentId`` is ``parent_id`` (``None``: without a parent),
        in the order they were first stored (a new list)."""
        cdef PyObject* found
        if parent_id is None:
            return PyList_GetSlice(self._roots, 0, PyList_GET_SIZE(self._roots))
        found = PyDict_GetItemWithError(self._children, parent_id)
        if found is NULL:
            return []
        return PyList_GetSlice(<list>found, 0, PyList_GET_SIZE(<list>found))

    def __len__(self):
        return len(self._ops)

    def __contains__(self, operation_id):
        return operation_id in self._ops

    def __iter__(self):
        return iter(self._ops)

    def __repr__(self):
        return f"<OperationTable: {len(self._ops)} operations, {self._history} not EXECUTION>"
