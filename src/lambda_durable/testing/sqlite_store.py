"""A persistent store for the local service: executions, operations, history and timers in SQLite.

:class:`SqliteExecutionStore` keeps what the local durable execution service needs to continue
its executions after a restart: each execution's record (status, input, result, error, what it
owes a chained invoke), its operations (the service's ``Operation`` dicts, in start order), its
history events and its pending timers, plus the service clock's offset from the wall clock.

Writes are transactional: :meth:`SqliteExecutionStore.save` writes everything one service call
changed in one SQLite transaction, and the service calls it *before* it acknowledges the call
(a checkpoint, a callback answer, a started execution). Kill the process at any moment and reopen
the store: every acknowledged change is there and nothing half-written is (SQLite's write-ahead
log with ``synchronous=FULL``: a commit is on disk when it returns). Only what changed is written:
the operations an update touched, the events appended since the last save, the execution's
timers of those operations — never the whole history.

Values are JSON (aware ``datetime`` values tagged ``{"$t": ISO-8601}``), never pickled. One
process at a time may open a store: a second one gets :class:`StoreLockedError`.

The default location is ``.lambda-durable/executions.db`` (:data:`DEFAULT_STORE_PATH`) under the
current directory; ``":memory:"`` gives a throw-away in-memory database.
"""
from __future__ import annotations

import datetime
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import orjson

if TYPE_CHECKING:  # pragma: no cover
    from .store import LocalExecution

#: Where ``lambda-durable serve`` and ``run --store`` keep executions unless told otherwise.
DEFAULT_STORE_PATH = os.path.join(".lambda-durable", "executions.db")

SCHEMA_VERSION = 1

#: The kinds of :class:`~lambda_durable.testing.store.Timer` an operation can have.
TIMER_KINDS = ("wait", "retry", "callback-timeout", "callback-heartbeat")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY,
    parent_arn TEXT,
    status TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS operations (
    arn TEXT NOT NULL,
    op_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (arn, op_id)
);
CREATE TABLE IF NOT EXISTS events (
    arn TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (arn, event_id)
);
CREATE TABLE IF NOT EXISTS timers (
    arn TEXT NOT NULL,
    op_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    due REAL NOT NULL,
    seconds INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (arn, op_id, kind)
);
"""


class StoreError(Exception):
    """The store cannot be opened or read (wrong file, newer schema, corrupt data)."""


class StoreLockedError(StoreError):
    """Another process has the store open."""


def _encode_default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {"$t": value.isoformat()}
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def _decode_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$t" in obj:
        return datetime.datetime.fromisoformat(obj["$t"])
    return obj


def dumps(value: Any) -> str:
    """JSON text of ``value``; aware datetimes become ``{"$t": ISO-8601}`` (lossless)."""
    return orjson.dumps(
        value, default=_encode_default, option=orjson.OPT_PASSTHROUGH_DATETIME
    ).decode("utf-8")


def loads(text: str) -> Any:
    """The value :func:`dumps` wrote."""
    return json.loads(text, object_hook=_decode_hook)


@dataclass
class StoredExecution:
    """One execution as read back: its record, operations (start order), events, timers."""

    record: dict[str, Any]
    operations: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    timers: list[tuple[str, str, float, int, int]] = field(default_factory=list)  # op, kind, due, seconds, seq


@dataclass
class StoredState:
    """Everything in a store: executions (parents before children) and the clock offset."""

    executions: list[StoredExecution]
    clock_offset: float = 0.0


class SqliteExecutionStore:
    """Executions of the local service kept in the SQLite database at ``path``.

    Args:
        path: the database file (its directory is created); ``":memory:"`` for a throw-away
            database.

    Raises:
        StoreLockedError: another process has the store open.
        StoreError: the file is not a store of this version.

    The service owns the store once attached (:meth:`LocalDurableService.attach_store`); all
    calls happen under the service lock.
    """

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_STORE_PATH) -> None:
        self.path = os.fspath(path)
        self._lock_file: Any = None
        if os.path.isdir(self.path):
            raise StoreError(f"{self.path} is a directory; a store is a database file")
        if self.path != ":memory:":
            directory = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(directory, exist_ok=True)
            self._lock_file = _lock_exclusively(self.path + ".lock")
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self._conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
            elif int(row[0]) != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} is a lambda_durable store of schema {row[0]}; this version "
                    f"reads schema {SCHEMA_VERSION}"
                )
        except sqlite3.DatabaseError as error:
            self.close()
            raise StoreError(f"{self.path} is not a lambda_durable store: {error}") from None
        except BaseException:
            self.close()
            raise

    # -- reading ----------------------------------------------------------------------------------

    def load(self) -> StoredState:
        """Everything stored, executions in the order they were first saved."""
        conn = self._conn
        offset_row = conn.execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()
        by_arn: dict[str, StoredExecution] = {}
        try:
            for arn, record in conn.execute("SELECT arn, record FROM executions ORDER BY rowid"):
                by_arn[arn] = StoredExecution(loads(record))
            for arn, data in conn.execute("SELECT arn, data FROM operations ORDER BY rowid"):
                if arn in by_arn:
                    by_arn[arn].operations.append(loads(data))
            for arn, data in conn.execute(
                "SELECT arn, data FROM events ORDER BY arn, event_id"
            ):
                if arn in by_arn:
                    by_arn[arn].events.append(loads(data))
            for arn, op_id, kind, due, seconds, seq in conn.execute(
                "SELECT arn, op_id, kind, due, seconds, seq FROM timers ORDER BY seq"
            ):
                if arn in by_arn:
                    by_arn[arn].timers.append((op_id, kind, due, seconds, seq))
        except (ValueError, sqlite3.DatabaseError) as error:
            raise StoreError(f"{self.path}: unreadable record: {error}") from None
        return StoredState(list(by_arn.values()), float(offset_row[0]) if offset_row else 0.0)

    # -- writing ----------------------------------------------------------------------------------

    def save(
        self,
        executions: Iterable["LocalExecution"],
        deleted: Iterable[str] = (),
        clock_offset: float | None = None,
    ) -> None:
        """Write, in one transaction, what changed in ``executions`` since their last save (the
        record, the operations in ``unsaved_ops`` and their timers, the events from
        ``saved_events`` on) and remove the executions whose ARN is in ``deleted``. On success each
        execution's ``unsaved_ops`` is cleared and ``saved_events`` advanced; on failure nothing
        is written and they are left as they were."""
        conn = self._conn
        saved: list[tuple["LocalExecution", int]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for arn in deleted:
                for table in ("executions", "operations", "events", "timers"):
                    conn.execute(f"DELETE FROM {table} WHERE arn = ?", (arn,))  # noqa: S608 - fixed names
            for ex in executions:
                arn = ex.arn
                conn.execute(
                    "INSERT INTO executions (arn, parent_arn, status, record) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (arn) DO UPDATE SET status = excluded.status, "
                    "record = excluded.record",
                    (arn, ex.parent.arn if ex.parent else None, ex.status.value,
                     dumps(execution_record(ex))),
                )
                operations, timers = ex.operations, ex.timers
                changed = [op_id for op_id in ex.unsaved_ops if op_id in operations]
                conn.executemany(
                    "INSERT INTO operations (arn, op_id, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (arn, op_id) DO UPDATE SET data = excluded.data",
                    [(arn, op_id, dumps(operations[op_id])) for op_id in changed],
                )
                # a timer only changes with its operation (the service touches the operation
                # when it sets, moves or drops one): rewrite the timers of the changed ones
                conn.executemany(
                    "DELETE FROM timers WHERE arn = ? AND op_id = ?",
                    [(arn, op_id) for op_id in changed],
                )
                conn.executemany(
                    "INSERT INTO timers (arn, op_id, kind, due, seconds, seq) VALUES (?, ?, ?, ?, ?, ?)",
                    [(arn, op_id, kind, t.due, t.seconds, t.seq)
                     for op_id in changed for kind in TIMER_KINDS
                     if (t := timers.get((op_id, kind))) is not None],
                )
                events = ex.history.events
                count = len(events)
                conn.executemany(
                    "INSERT OR REPLACE INTO events (arn, event_id, data) VALUES (?, ?, ?)",
                    [(arn, event["EventId"], dumps(event)) for event in events[ex.saved_events:count]],
                )
                saved.append((ex, count))
            if clock_offset is not None:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('clock_offset', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (repr(clock_offset),),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        for ex, count in saved:
            ex.unsaved_ops.clear()
            ex.saved_events = count

    def save_functions(self, functions: dict[str, dict[str, Any]]) -> None:
        """Keep the registered functions' specs (``{name: {"spec", "durable",
        "execution_timeout", "retention_period_days"}}``), replacing those kept before."""
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES ('functions', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (dumps(functions),),
        )

    def load_functions(self) -> dict[str, dict[str, Any]]:
        """The functions kept by :meth:`save_functions` (empty when none)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'functions'").fetchone()
        return loads(row[0]) if row else {}

    def close(self) -> None:
        """Close the database and release the process lock (idempotent)."""
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()
            self._conn = None  # type: ignore[assignment]
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> "SqliteExecutionStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteExecutionStore({self.path!r})"


def execution_record(ex: "LocalExecution") -> dict[str, Any]:
    """The JSON-able record of ``ex`` (everything but operations, events and timers).

    The execution timeout is kept as the wall-clock instant it expires (``deadline``, epoch
    seconds), so time the service was down counts, as it does for the real service."""
    deadline = None
    if ex.wall_deadline is not None:
        deadline = time.time() + (ex.wall_deadline - time.monotonic())
    return {
        "arn": ex.arn,
        "name": ex.name,
        "execution_id": ex.execution_id,
        "function_name": ex.function_name,
        "handler_spec": ex.handler_spec,
        "input_payload": ex.input_payload,
        "start": ex.start,
        "timeout_seconds": ex.timeout_seconds,
        "account_id": ex.account_id,
        "region": ex.region,
        "tenant_id": ex.tenant_id,
        "status": ex.status.value,
        "end": ex.end,
        "result": ex.result,
        "error": ex.error,
        "deadline": deadline,
        "parent_arn": ex.parent.arn if ex.parent else None,
        "parent_op_id": ex.parent_op_id,
        "checkpointed_outcome": list(ex.checkpointed_outcome) if ex.checkpointed_outcome else None,
        "invocations": ex.invocations,
        "consecutive_failures": ex.consecutive_failures,
        "pending_dispatch": list(ex.pending_dispatch),
        "invoke_targets": {  # only those still to dispatch: the others are history
            op_id: [req.function_name, req.payload, req.tenant_id]
            for op_id in ex.pending_dispatch
            if (req := ex.invoke_targets.get(op_id)) is not None
        },
        "pause": ex.pause,
        "timeout_extended": ex.timeout_extended,
        "control_tokens": ex.control_tokens,
    }


def _lock_exclusively(path: str) -> Any:
    """Open ``path`` and take an exclusive, non-blocking advisory lock on it for this process."""
    handle = open(path, "a+")  # noqa: SIM115 - held open for the store's lifetime
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no cross-process guard
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StoreLockedError(
            f"the store {path[:-5]} is in use by another process (a running "
            "'lambda-durable serve' or 'run'); stop it or choose another --store"
        ) from None
    return handle
