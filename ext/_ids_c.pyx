# cython: language_level=3
"""Operation-ID generation, compiled twin of ``lambda_durable._ids_py`` (same interface and results)."""
from hashlib import blake2b as _blake2b

__all__ = ["IdSequence", "operation_id"]


cpdef str operation_id(object prefix, long long n):
    """Return the 64-hex-character operation ID of operation ``n`` under ``prefix``."""
    cdef str key
    if prefix is None:
        key = str(n)
    else:
        key = f"{prefix}-{n}"
    return _blake2b(key.encode()).hexdigest()[:64]


cdef class IdSequence:
    """The per-context operation counter (starts at 0; each ``next_id()`` increments first)."""

    cdef public object prefix
    cdef public long long count

    def __init__(self, prefix=None):
        self.prefix = prefix
        self.count = 0

    cpdef str next_id(self):
        self.count += 1
        return operation_id(self.prefix, self.count)

    cpdef str peek_id(self, long long ahead=1):
        return operation_id(self.prefix, self.count + ahead)
