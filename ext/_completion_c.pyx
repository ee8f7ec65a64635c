# cython: language_level=3, binding=False, embedsignature=True
"""Completion policy of map/parallel, compiled twin of ``lambda_durable._completion_py`` (same
interface and results; protocol.md 5.9, B16, B17).

The thresholds live in C fields (``long long`` counts with a "None" flag, the percentage as a
``double`` with a flag) and :meth:`CompletionPolicy.decide` -- called by the coordinator on every
item transition -- runs in C and returns cached result tuples.

Exactness: the C path is taken only where C arithmetic gives Python's results bit for bit, i.e.
when ``total``, ``min_successful``, ``tolerated_failure_count`` and the counts passed in are exact
``int`` objects with ``|value| <= 2**53`` and ``tolerated_failure_percentage`` is an exact
``float`` or such an ``int``. There ``failed / total * 100 > pct`` in C doubles is the same IEEE
computation Python does (int / int converts both to double and divides; ``* 100`` and the
comparison are double operations), quirks included: 7 of 100 gives 7.000000000000001 > 7.
Anything else (a bool, an int subclass, a float count, a huge int, a Fraction...) is handed to
a pure-Python twin built from the same fields, so behaviour never differs.

The :class:`~lambda_durable.config.CompletionStatus` handed to a ``should_complete`` predicate is
the same frozen-dataclass value, its fields stored directly instead of through the generated
``__init__`` (three times faster) while the class stays a plain five-field dataclass (checked at
import; otherwise the constructor is called).
"""
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_CheckExact
from cpython.object cimport PyObject_GenericSetAttr
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_CheckExact

import dataclasses

from lambda_durable._completion_py import CompletionPolicy as _PyCompletionPolicy
from lambda_durable._completion_reason import CompletionReason
from lambda_durable.config import CompletionDecision, CompletionOutcome, CompletionStatus
from lambda_durable.exceptions import ValidationError

__all__ = ["CompletionPolicy"]

cdef object _TOLERANCE = CompletionReason.FAILURE_TOLERANCE_EXCEEDED
cdef object _CUSTOM_OK = CompletionReason.CUSTOM_COMPLETION_SUCCEEDED
cdef object _CUSTOM_FAILED = CompletionReason.CUSTOM_COMPLETION_FAILED
cdef object _ALL = CompletionReason.ALL_COMPLETED
cdef object _MIN = CompletionReason.MIN_SUCCESSFUL_REACHED
cdef object _OUTCOME_FAILED = CompletionOutcome.FAILED
cdef object _Decision = CompletionDecision
cdef object _Status = CompletionStatus

# decide() results (tuples are immutable: one of each is enough)
cdef tuple _CONTINUE = (False, None)
cdef tuple _END_TOLERANCE = (True, _TOLERANCE)
cdef tuple _END_CUSTOM_OK = (True, _CUSTOM_OK)
cdef tuple _END_CUSTOM_FAILED = (True, _CUSTOM_FAILED)
cdef tuple _END_ALL = (True, _ALL)
cdef tuple _END_MIN = (True, _MIN)


cdef object _object_new = object.__new__


cdef bint _plain_status_class(object cls):
    """True when ``cls`` is a dataclass with exactly the five fields, no ``__post_init__``, no
    slots and no custom ``__new__``: then its ``__init__`` only stores the fields with
    ``object.__setattr__`` and :func:`_status` may do that itself (3x faster)."""
    try:
        fields = dataclasses.fields(cls)
        generated_init = cls.__dataclass_params__.init
    except (TypeError, AttributeError):
        return False
    names = tuple(f.name for f in fields if f.init)
    return (
        generated_init
        and len(fields) == 5
        and names == ("success_count", "failure_count", "completed_count", "total_count", "items")
        and not hasattr(cls, "__post_init__")
        and "__slots__" not in cls.__dict__
        and cls.__new__ is object.__new__
    )


cdef bint _STATUS_PLAIN = _plain_status_class(CompletionStatus)


cdef object _status(object succeeded, object failed, object total, object items):
    """``CompletionStatus(succeeded, failed, succeeded + failed, total, tuple(items))``."""
    cdef object status
    completed = succeeded + failed
    items = tuple(items)
    if not _STATUS_PLAIN:
        return _Status(succeeded, failed, completed, total, items)
    status = _object_new(_Status)
    # the dataclass __init__ stores each field with object.__setattr__: so do we, without the
    # Python-level calls
    PyObject_GenericSetAttr(status, "success_count", succeeded)
    PyObject_GenericSetAttr(status, "failure_count", failed)
    PyObject_GenericSetAttr(status, "completed_count", completed)
    PyObject_GenericSetAttr(status, "total_count", total)
    PyObject_GenericSetAttr(status, "items", items)
    return status


# integers up to 2**53 convert to double exactly, so C and Python arithmetic agree on them
cdef long long _EXACT = 9007199254740992


cdef inline bint _exact_int(object value, long long *out) noexcept:
    """True (``*out`` set) when ``value`` is an exact ``int`` with ``|value| <= 2**53``."""
    cdef int overflow = 0
    cdef long long v
    if not PyLong_CheckExact(value):
        return False
    v = PyLong_AsLongLongAndOverflow(value, &overflow)
    if overflow != 0 or v > _EXACT or v < -_EXACT:
        return False
    out[0] = v
    return True


cdef class CompletionPolicy:
    """Completion criteria of one batch of ``total`` items (fields as
    :class:`~lambda_durable.config.CompletionConfig`; build with :meth:`from_config`).

    Immutable. ``decide(succeeded, failed, items)`` is the hot-path call: it runs the predicate
    at most once and returns ``(complete, reason)``. The official SDK's finer-grained methods
    (``evaluate``, ``is_complete``, ``reason``, ``should_continue``) are offered too.
    """

    # the fields as given (repr, ==, hash, pickling and the generic path use these)
    cdef readonly object total
    cdef readonly object min_successful
    cdef readonly object tolerated_failure_count
    cdef readonly object tolerated_failure_percentage
    cdef readonly object should_complete
    cdef readonly bint _fail_fast
    # their C mirrors
    cdef long long _total
    cdef long long _min
    cdef long long _count
    cdef double _pct
    cdef bint _has_min
    cdef bint _has_count
    cdef bint _has_pct
    cdef bint _has_predicate
    cdef bint _fast  # every field fits the exact C path
    cdef object _twin_policy  # pure-Python twin for the generic path (built on demand)

    def __init__(
        self,
        total,
        min_successful=None,
        tolerated_failure_count=None,
        tolerated_failure_percentage=None,
        should_complete=None,
    ):
        cdef bint fast
        cdef long long pct_int = 0
        self.total = total
        self.min_successful = min_successful
        self.tolerated_failure_count = tolerated_failure_count
        self.tolerated_failure_percentage = tolerated_failure_percentage
        self.should_complete = should_complete
        self._has_min = min_successful is not None
        self._has_count = tolerated_failure_count is not None
        self._has_pct = tolerated_failure_percentage is not None
        self._has_predicate = should_complete is not None
        self._fail_fast = not (
            self._has_predicate or self._has_min or self._has_count or self._has_pct
        )
        self._twin_policy = None
        self._total = self._min = self._count = 0
        self._pct = 0.0
        fast = _exact_int(total, &self._total)
        if fast and self._has_min:
            fast = _exact_int(min_successful, &self._min)
        if fast and self._has_count:
            fast = _exact_int(tolerated_failure_count, &self._count)
        if fast and self._has_pct:
            if PyFloat_CheckExact(tolerated_failure_percentage):
                self._pct = PyFloat_AS_DOUBLE(tolerated_failure_percentage)
            elif _exact_int(tolerated_failure_percentage, &pct_int):
                self._pct = <double>pct_int
            else:
                fast = False
        self._fast = fast

    def __setattr__(self, name, value):
        raise AttributeError(f"CompletionPolicy is immutable (cannot set {name!r})")

    @classmethod
    def from_config(cls, total, config):
        """The policy of a batch of ``total`` items under ``config`` (None = fail-fast)."""
        if config is None:
            return cls(total)
        return cls(
            total,
            config.min_successful,
            config.tolerated_failure_count,
            config.tolerated_failure_percentage,
            config.should_complete,
        )

    cdef object _twin(self):
        """The pure-Python policy with the same fields (generic path)."""
        if self._twin_policy is None:
            self._twin_policy = _PyCompletionPolicy(
                self.total,
                self.min_successful,
                self.tolerated_failure_count,
                self.tolerated_failure_percentage,
                self.should_complete,
            )
        return self._twin_policy

    @property
    def has_criteria(self):
        """True when any threshold (min_successful or a tolerance) is configured."""
        return self._has_min or self._has_count or self._has_pct

    cdef bint _exceeded(self, long long failed) noexcept:
        """``is_tolerance_exceeded`` on the C path."""
        if self._has_predicate:
            return False
        if self._fail_fast:
            return failed > 0
        if self._has_count and failed > self._count:
            return True
        if self._has_pct and self._total > 0:
            # protocol.md 5.9 as written, IEEE doubles as in Python (7 of 100: 7.000000000000001)
            return <double>failed / <double>self._total * 100.0 > self._pct
        return False

    cpdef object is_tolerance_exceeded(self, object failed):
        """True when ``failed`` failures exceed the tolerance (never with a predicate)."""
        cdef long long f
        if self._fast and _exact_int(failed, &f):
            return self._exceeded(f)
        return self._twin().is_tolerance_exceeded(failed)

    cpdef object should_continue(self, object failed):
        """True while more items may be scheduled (tolerance not exceeded)."""
        return not self.is_tolerance_exceeded(failed)

    def status(self, succeeded, failed, items=()):
        """The :class:`CompletionStatus` snapshot the predicate receives."""
        return _status(succeeded, failed, self.total, items)

    cpdef object evaluate(self, object succeeded, object failed, object items=()):
        """Run the ``should_complete`` predicate once; None when there is none (or it returned
        None). Raises ``ValidationError`` when it returns something other than a
        ``CompletionDecision``."""
        predicate = self.should_complete
        if predicate is None:
            return None
        decision = predicate(_status(succeeded, failed, self.total, items))
        if decision is None or isinstance(decision, _Decision):
            return decision
        msg = (
            "CompletionConfig.should_complete must return a CompletionDecision "
            f"(continue_batch() or complete_batch(outcome)), got: {decision!r}"
        )
        raise ValidationError(msg)

    cpdef object is_complete(
        self, object succeeded, object failed, object items=(), object decision=None
    ):
        """True when the predicate fired, every item finished, or ``min_successful`` was reached.
        ``decision``: the result of :meth:`evaluate` (evaluated here when None and a predicate
        exists). Does not look at tolerance (see :meth:`should_continue`)."""
        cdef long long s, f
        if not (self._fast and _exact_int(succeeded, &s) and _exact_int(failed, &f)):
            return self._twin().is_complete(succeeded, failed, items, decision)
        if self._has_predicate:
            if decision is None:
                decision = self.evaluate(succeeded, failed, items)
            if decision is not None and decision.complete:
                return True
        if s + f >= self._total:
            return True
        return self._has_min and s >= self._min

    cpdef object reason(
        self, object succeeded, object failed, object items=(), object decision=None
    ):
        """The completion reason by priority; ALL_COMPLETED when nothing else applies.
        ``decision`` as in :meth:`is_complete`."""
        complete, why = self.decide(succeeded, failed, items, decision)
        return why if complete else _ALL

    cpdef tuple decide(
        self, object succeeded, object failed, object items=(), object decision=None
    ):
        """``(True, reason)`` when the batch must end now (tolerance exceeded counts as an end),
        else ``(False, None)``. Runs the predicate at most once (not at all when ``decision`` is
        given)."""
        cdef long long s, f
        if not (self._fast and _exact_int(succeeded, &s) and _exact_int(failed, &f)):
            return self._twin().decide(succeeded, failed, items, decision)
        if self._has_predicate:
            if decision is None:
                decision = self.evaluate(succeeded, failed, items)
            if decision is not None and decision.complete:
                return _END_CUSTOM_FAILED if decision.outcome is _OUTCOME_FAILED else _END_CUSTOM_OK
        elif self._exceeded(f):
            return _END_TOLERANCE
        if s + f >= self._total:
            return _END_ALL
        if self._has_min and s >= self._min:
            return _END_MIN
        return _CONTINUE

    def __reduce__(self):
        return (
            type(self),
            (
                self.total,
                self.min_successful,
                self.tolerated_failure_count,
                self.tolerated_failure_percentage,
                self.should_complete,
            ),
        )

    def __repr__(self):
        return (
            f"CompletionPolicy(total={self.total!r}, min_successful={self.min_successful!r}, "
            f"tolerated_failure_count={self.tolerated_failure_count!r}, "
            f"tolerated_failure_percentage={self.tolerated_failure_percentage!r}, "
            f"should_complete={self.should_complete!r})"
        )

    def __eq__(self, other):
        cdef CompletionPolicy o
        if type(other) is not type(self):
            return NotImplemented
        o = <CompletionPolicy>other
        return (
            self.total,
            self.min_successful,
            self.tolerated_failure_count,
            self.tolerated_failure_percentage,
            self.should_complete,
        ) == (
            o.total,
            o.min_successful,
            o.tolerated_failure_count,
            o.tolerated_failure_percentage,
            o.should_complete,
        )

    def __hash__(self):
        return hash((self.total, self.min_successful, self.tolerated_failure_count,
                     self.tolerated_failure_percentage, id(self.should_complete)))
