"""Operation-ID generation, pure-Python twin of the compiled ``lambda_durable._ids_c``.

The scheme is the official SDK's (protocol.md section 4, checkpoint compatibility depends on it):
``operation_id(prefix, n)`` is the first 64 characters of the lowercase hex BLAKE2b digest
(default 64-byte digest) of the UTF-8 string ``"<prefix>-<n>"``, or of ``"<n>"`` at the root
(``prefix`` is ``None``). Each context owns an :class:`IdSequence` whose first operation is n=1;
map/parallel item ``i`` is ``operation_id(<map id>, i)`` with i counted from 0.
"""
from __future__ import annotations

from hashlib import blake2b

__all__ = ["IdSequence", "operation_id"]


def operation_id(prefix: str | None, n: int) -> str:
    """Return the 64-hex-character operation ID of operation ``n`` under ``prefix``."""
    key = str(n) if prefix is None else f"{prefix}-{n}"
    return blake2b(key.encode()).hexdigest()[:64]


class IdSequence:
    """The per-context operation counter (starts at 0; each ``next_id()`` increments first).

    ``prefix`` is the owning context's operation ID, ``None`` for the root context.
    """

    __slots__ = ("prefix", "count", "_peek_n", "_peek_id")

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix
        self.count = 0
        # the last ID ``peek_id()`` computed for ``count + 1``, reused by ``next_id()`` (replay
        # peeks at every next ID: without this each replayed operation would hash twice)
        self._peek_n = 0
        self._peek_id: str | None = None

    def next_id(self) -> str:
        """Consume and return the next operation ID of this context."""
        self.count += 1
        if self._peek_id is not None and self._peek_n == self.count:
            return self._peek_id
        return operation_id(self.prefix, self.count)

    def peek_id(self, ahead: int = 1) -> str:
        """Return the ID ``ahead`` positions past the last one issued, without consuming it."""
        if ahead == 1 and type(self.count) is int:
            n = self.count + 1
            if self._peek_id is None or self._peek_n != n:
                self._peek_n = n
                self._peek_id = operation_id(self.prefix, n)
            return self._peek_id
        return operation_id(self.prefix, self.count + ahead)
