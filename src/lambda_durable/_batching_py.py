"""Cutting the checkpoint update queue into API calls, pure-Python twin of the compiled
``lambda_durable._batching_c`` (same results; protocol.md 3.3).

``cut_batches(queue)`` splits the FIFO queue of ``OperationUpdate`` wire dicts into the
``CheckpointDurableExecution`` calls to make, in order:

* a batch holds at most :data:`~lambda_durable.limits.MAX_BATCH_OPERATIONS` (250) updates and at
  most :data:`~lambda_durable.limits.MAX_BATCH_SIZE_BYTES` (768,000) bytes, the size of an update
  being the UTF-8 length of its JSON (``orjson.dumps``: compact, non-ASCII kept as UTF-8);
* the first update of a batch is never refused (one update larger than the limit is a batch of
  its own; the service judges it);
* an update of ``Type`` ``EXECUTION`` always ends its batch (it goes last); updates are wire
  dicts (an object without ``get`` has no Type);
* the batches are built greedily: each takes as many updates as fit. An empty queue is one empty
  batch (``[[]]``); a queue that is one batch comes back as ``[queue]`` (the same list object),
  every other batch is a new list.

Since a batch depends only on where it starts, it may be found without sizing every update: here
a run of 250 updates (or the whole queue when shorter) whose JSON as one array fits the byte
limit -- one ``orjson.dumps`` call, an upper bound of the sum of its updates' sizes -- and holds no
EXECUTION update is taken whole (about 3x cheaper than sizing its updates one by one from
Python); from the first run that does not fit on, and for queues whose first 16 updates suggest
runs will not fit, the updates are sized one by one. The compiled twin bounds sizes without
serializing at all.
"""
from __future__ import annotations

from orjson import dumps

from .limits import MAX_BATCH_OPERATIONS, MAX_BATCH_SIZE_BYTES

__all__ = ["cut_batches", "update_size"]

_EXECUTION = "EXECUTION"
_EXECUTION_MEMBER = b'"Type":"EXECUTION"'
#: updates serialized to guess whether whole runs are worth trying
_SAMPLE = 16


def update_size(update: dict) -> int:
    """Size of one update as a batch counts it: the UTF-8 length of its JSON."""
    return len(dumps(update))


def _fits(run: list[dict]) -> bool:
    """True when ``run`` (at most 250 updates) certainly makes one batch: its JSON as one array
    fits the byte limit and holds no ``"Type":"EXECUTION"`` member (inside a JSON string every
    ``"`` is escaped, so the marker can only be a member; a nested one merely costs the exact
    path)."""
    try:
        data = dumps(run)
    except TypeError:  # not serializable: sized one by one (which raises in order)
        return False
    # (``find`` is twice as fast as ``in`` on short bytes)
    return len(data) <= MAX_BATCH_SIZE_BYTES and data.find(_EXECUTION_MEMBER) < 0


def _worth_trying(queue: list[dict], count: int) -> bool:
    """Whether runs of ``count`` updates look small enough for :func:`_fits` (a guess from the
    first 16 updates, only to avoid serializing a run that will not fit; never decides a cut)."""
    try:
        sample = len(dumps(queue[:_SAMPLE]))
    except TypeError:
        return False
    return sample * count <= MAX_BATCH_SIZE_BYTES * _SAMPLE


def _cut_exact(queue: list[dict], start: int, batches: list[list[dict]]) -> list[list[dict]]:
    """Append to ``batches`` the batches of ``queue[start:]``, sizing every update."""
    n = len(queue)
    while start < n:
        size = 0
        end = start
        stop = min(n, start + MAX_BATCH_OPERATIONS)
        while end < stop:
            update = queue[end]
            size += len(dumps(update))
            if size > MAX_BATCH_SIZE_BYTES and end > start:
                break  # the first update of a batch is never refused
            end += 1
            try:
                is_execution = update.get("Type") == _EXECUTION
            except AttributeError:  # not a mapping: no Type
                is_execution = False
            if is_execution:
                break
        if start == 0 and end == n:
            return [queue]
        batches.append(queue[start:end])
        start = end
    return batches


def cut_batches(queue: list[dict]) -> list[list[dict]]:
    """The API calls for the FIFO ``queue`` (see the module docstring for the rules)."""
    if type(queue) is not list:
        queue = list(queue)
    n = len(queue)
    if n <= 1:
        return [queue]
    if n <= _SAMPLE:  # the usual case (a blocking update and the few queued before it), inlined
        try:
            data = dumps(queue)
        except TypeError:
            return _cut_exact(queue, 0, [])
        if len(data) <= MAX_BATCH_SIZE_BYTES and data.find(_EXECUTION_MEMBER) < 0:
            return [queue]
        return _cut_exact(queue, 0, [])
    batches: list[list[dict]] = []
    start = 0
    if _worth_trying(queue, min(n, MAX_BATCH_OPERATIONS)):
        while start < n:
            end = min(n, start + MAX_BATCH_OPERATIONS)
            run = queue if start == 0 and end == n else queue[start:end]
            if not _fits(run):
                break  # big updates (or an EXECUTION one): size the rest one by one
            if run is queue:
                return [queue]
            batches.append(run)
            start = end
    return _cut_exact(queue, start, batches)
