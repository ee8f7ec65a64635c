"""Cutting the checkpoint update queue into API calls (``lambda_durable._batching``, protocol.md
3.3): every test runs against the pure-Python twin (``_batching_py``) and the compiled one
(``_batching_c``, skipped when not built). Both must cut exactly where the exact greedy rule (every
update sized with ``orjson.dumps``) cuts, whatever shortcut they take."""
from __future__ import annotations

import importlib
import random

import orjson
import pytest

from lambda_durable import _batching, _batching_py
from lambda_durable._extensions import ALLOWED
from lambda_durable.limits import MAX_BATCH_OPERATIONS, MAX_BATCH_SIZE_BYTES

try:
    _batching_c = importlib.import_module("lambda_durable._batching_c")
except ImportError:  # pragma: no cover - pure-Python install
    _batching_c = None

assert MAX_BATCH_OPERATIONS == 250 and MAX_BATCH_SIZE_BYTES == 768_000


@pytest.fixture(params=["python", "compiled"])
def impl(request):
    if request.param == "compiled":
        if _batching_c is None:
            pytest.skip("lambda_durable._batching_c is not built")
        return _batching_c
    return _batching_py


def exact_cut(queue):
    """The reference: greedy, every update sized; EXECUTION ends its batch."""
    if len(queue) <= 1:
        return [queue]
    batches, batch, size = [], [], 0
    for update in queue:
        usize = len(orjson.dumps(update))
        if batch and (len(batch) >= MAX_BATCH_OPERATIONS or size + usize > MAX_BATCH_SIZE_BYTES):
            batches.append(batch)
            batch, size = [], 0
        batch.append(update)
        size += usize
        if isinstance(update, dict) and update.get("Type") == "EXECUTION":
            batches.append(batch)
            batch, size = [], 0
    if batch:
        batches.append(batch)
    return batches


def size(update):
    return len(orjson.dumps(update))


def upd(i, payload=None, type_="STEP", action="SUCCEED", **extra):
    update = {"Id": f"{i:064x}", "Type": type_, "Action": action, "SubType": "Step"}
    if payload is not None:
        update["Payload"] = payload
    update.update(extra)
    return update


def padded(i, total_bytes, char="x"):
    """An update whose JSON is exactly ``total_bytes`` bytes (``char`` must encode to a whole
    number of bytes dividing the padding)."""
    base = size(upd(i, ""))
    per = len(char.encode())
    assert (total_bytes - base) % per == 0
    update = upd(i, char * ((total_bytes - base) // per))
    assert size(update) == total_bytes
    return update


def check(impl, queue):
    got = impl.cut_batches(queue)
    assert got == exact_cut(queue)
    for batch in got:
        assert len(batch) <= MAX_BATCH_OPERATIONS
        assert len(batch) == 1 or sum(map(size, batch)) <= MAX_BATCH_SIZE_BYTES
        assert all(not isinstance(u, dict) or u.get("Type") != "EXECUTION" for u in batch[:-1])
    assert [u for batch in got for u in batch] == list(queue)  # FIFO, nothing lost
    return got


def test_selector_picks_the_compiled_twin_when_allowed():
    expected = _batching_c is not None and ALLOWED
    assert _batching.COMPILED is expected
    chosen = _batching_c if expected else _batching_py
    assert _batching.cut_batches is chosen.cut_batches
    assert _batching.update_size is chosen.update_size


def test_update_size_is_the_utf8_length_of_the_json(impl):
    update = upd(1, '"caf\u00e9 \U0001f600"')
    assert impl.update_size(update) == len(orjson.dumps(update))
    assert impl.update_size(update) == len(orjson.dumps(update).decode().encode("utf-8"))


# -- shape of the result ----------------------------------------------------------------------


def test_empty_and_single_queues_are_one_batch_of_the_same_list(impl):
    for queue in ([], [upd(1)], [padded(1, MAX_BATCH_SIZE_BYTES + 10)]):
        got = impl.cut_batches(queue)
        assert got == [queue] and got[0] is queue


def test_a_queue_that_fits_comes_back_as_the_same_list(impl):
    queue = [upd(i, '"v"') for i in range(MAX_BATCH_OPERATIONS)]
    got = check(impl, queue)
    assert len(got) == 1 and got[0] is queue


def test_any_iterable_is_accepted(impl):
    queue = [upd(i) for i in range(300)]
    assert impl.cut_batches(iter(queue)) == exact_cut(queue)
    assert impl.cut_batches(tuple(queue)) == exact_cut(queue)


# -- count limit ------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 249, 250, 251, 499, 500, 501, 1000, 1001])
def test_at_most_250_updates_per_batch(impl, count):
    queue = [upd(i, '"x"') for i in range(count)]
    got = check(impl, queue)
    assert [len(b) for b in got] == [250] * (count // 250) + ([count % 250] if count % 250 else [])


# -- byte limit -------------------------------------------------------------------------------


def test_exactly_at_the_byte_limit_fits(impl):
    queue = [padded(0, 400_000), padded(1, MAX_BATCH_SIZE_BYTES - 400_000)]
    got = check(impl, queue)
    assert len(got) == 1


def test_one_byte_over_the_limit_cuts(impl):
    queue = [padded(0, 400_000), padded(1, MAX_BATCH_SIZE_BYTES - 400_000 + 1)]
    got = check(impl, queue)
    assert [len(b) for b in got] == [1, 1]


@pytest.mark.parametrize("char", ["\u00e9", "\u20ac", "\U0001f600"])
def test_multibyte_payloads_are_counted_in_bytes(impl, char):
    per = len(char.encode())
    first = upd(0, char * ((MAX_BATCH_SIZE_BYTES - 2000) // per))
    rest = MAX_BATCH_SIZE_BYTES - size(first)
    fits, over = padded(1, rest), padded(1, rest + 1)
    # by characters both pairs are far under the limit
    assert len(first["Payload"]) + len(over["Payload"]) < MAX_BATCH_SIZE_BYTES // per + 2000
    assert [len(b) for b in check(impl, [first, fits])] == [2]
    assert [len(b) for b in check(impl, [first, over])] == [1, 1]


def test_multibyte_characters_fill_a_batch_by_bytes(impl):
    # 3 updates of ~300,000 bytes made of 2-byte characters (150,000 characters each): by
    # characters all three would fit, by bytes only two do
    queue = [padded(i, 300_000 - (300_000 - size(upd(i, ""))) % 2, "\u00e9") for i in range(3)]
    assert sum(len(u["Payload"]) for u in queue) < MAX_BATCH_SIZE_BYTES
    assert [len(b) for b in check(impl, queue)] == [2, 1]


def test_escaped_characters_are_counted_as_serialized(impl):
    # control characters serialize as \u00XX: 6 bytes each
    queue = [upd(0, "\x01" * 100_000), upd(1, "\x01" * 30_000)]
    assert size(queue[0]) > 600_000
    assert [len(b) for b in check(impl, queue)] == [1, 1]
    queue = [upd(0, '"' * 300_000), upd(1, '"' * 100_000)]  # \" : 2 bytes each
    assert [len(b) for b in check(impl, queue)] == [1, 1]


def test_the_first_update_of_a_batch_is_never_refused(impl):
    huge = padded(1, MAX_BATCH_SIZE_BYTES * 2)
    queue = [upd(0, '"a"'), huge, upd(2, '"b"'), padded(3, MAX_BATCH_SIZE_BYTES + 1)]
    assert [len(b) for b in check(impl, queue)] == [1, 1, 1, 1]


def test_count_and_bytes_together(impl):
    queue = [padded(i, 4000) for i in range(600)]  # 192 per 768,000 bytes
    assert [len(b) for b in check(impl, queue)] == [192, 192, 192, 24]
    queue = [padded(i, 3000) for i in range(600)]  # 256 would fit by bytes: 250 by count
    assert [len(b) for b in check(impl, queue)] == [250, 250, 100]


# -- EXECUTION goes last ------------------------------------------------------------------------


def test_an_execution_update_ends_its_batch(impl):
    queue = [upd(0), upd(1), upd(2, '"r"', "EXECUTION"), upd(3), upd(4)]
    assert [len(b) for b in check(impl, queue)] == [3, 2]


def test_an_execution_update_last_in_the_queue_keeps_one_batch(impl):
    queue = [upd(i) for i in range(10)] + [upd(10, '"r"', "EXECUTION")]
    got = check(impl, queue)
    assert len(got) == 1 and got[0] is queue


def test_an_execution_update_first_or_repeated(impl):
    queue = [upd(0, None, "EXECUTION"), upd(1, None, "EXECUTION"), upd(2), upd(3, None, "EXECUTION")]
    assert [len(b) for b in check(impl, queue)] == [1, 1, 2]


def test_an_execution_update_after_a_count_cut(impl):
    queue = [upd(i) for i in range(260)] + [upd(260, None, "EXECUTION"), upd(261)]
    assert [len(b) for b in check(impl, queue)] == [250, 11, 1]


def test_a_large_execution_result(impl):
    queue = [upd(0, '"x"'), padded(1, MAX_BATCH_SIZE_BYTES + 5)]
    queue[1]["Type"] = "EXECUTION"
    assert [len(b) for b in check(impl, queue)] == [1, 1]


# -- values the size bound does not know --------------------------------------------------------


def test_options_errors_and_other_values(impl):
    queue = [
        upd(0, None, "WAIT", "START", WaitOptions={"WaitSeconds": 60}),
        upd(1, None, action="RETRY", StepOptions={"NextAttemptDelaySeconds": 5},
            Error={"ErrorType": "ValueError", "ErrorMessage": "boom " * 1000,
                   "StackTrace": ["  File \"x.py\", line 1\n"] * 200}),
        upd(2, None, "CALLBACK", "START",
            CallbackOptions={"TimeoutSeconds": 0, "HeartbeatTimeoutSeconds": 2**40}),
        upd(3, "\u4e2d\u6587" * 50_000),  # a 2-byte-kind string: sized exactly
        upd(4, None, Extra=[1.5, None, True, False, -(2**63), 2**64 - 1, {"k": []}]),
        upd(5, None, ContextOptions={"ReplayChildren": True}),
    ] * 60
    check(impl, queue)


def test_an_update_that_is_not_a_mapping_has_no_type(impl):
    for count in (3, 40, 300):
        queue = [upd(i) for i in range(count)]
        queue[1] = ["EXECUTION", {"Type": "EXECUTION"}]
        check(impl, queue)


def test_unserializable_updates_raise_like_orjson(impl):
    bad = upd(1, "\ud800")  # a lone surrogate: not UTF-8
    with pytest.raises(orjson.JSONEncodeError):
        impl.cut_batches([upd(0), bad, upd(2)])
    with pytest.raises(orjson.JSONEncodeError):
        impl.cut_batches([upd(0), upd(1, None, Bad=object())])
    for position in (3, 30, 260, 599):  # short and long queues, early and late
        queue = [upd(i) for i in range(600 if position > 30 else 40)]
        queue[position] = bad
        with pytest.raises(orjson.JSONEncodeError):
            impl.cut_batches(queue)
    # a single update is never sized (as before): the channel reports it
    assert impl.cut_batches([bad]) == [[bad]]


# -- randomized: the shortcut never returns a batch the exact rule would not --------------------


def _random_update(rnd, i):
    kind = rnd.random()
    type_ = "EXECUTION" if rnd.random() < 0.01 else rnd.choice(["STEP", "WAIT", "CONTEXT"])
    if kind < 0.5:
        payload = '"' + "v" * rnd.randrange(0, 50) + '"'
    elif kind < 0.7:
        payload = rnd.choice(["x", "\u00e9", "\x00", '"', "\\", "\u20ac", "\U0001f600"]) * rnd.randrange(0, 60_000)
    elif kind < 0.8:
        payload = "".join(rnd.choice('ab"\\\n\x01\u00ff\u0100\u4e2d\U0001f600') for _ in range(rnd.randrange(0, 3000)))
    elif kind < 0.9:
        payload = None
    else:
        payload = "y" * rnd.randrange(100_000, 400_000)
    extra = {}
    if rnd.random() < 0.1:
        extra["Error"] = {"ErrorMessage": "e" * rnd.randrange(0, 20_000), "StackTrace": ["l"] * rnd.randrange(0, 10)}
    if rnd.random() < 0.1:
        extra["StepOptions"] = {"NextAttemptDelaySeconds": rnd.randrange(1, 10**6)}
    if rnd.random() < 0.2:
        extra["ParentId"] = f"{i // 3:064x}"
        extra["Name"] = "n" * rnd.randrange(1, 256)
    return upd(i, payload, type_, **extra)


@pytest.mark.parametrize("seed", range(40))
def test_randomized_against_the_exact_cutter(impl, seed):
    rnd = random.Random(seed)
    shape = rnd.random()
    if shape < 0.4:  # small updates: the shortcut path
        count = rnd.randrange(2, 700)
        queue = [upd(i, '"' + "v" * rnd.randrange(0, 100) + '"') for i in range(count)]
        for i in rnd.sample(range(count), min(count, rnd.randrange(0, 3))):
            queue[i]["Type"] = "EXECUTION"
    else:
        queue = [_random_update(rnd, i) for i in range(rnd.randrange(2, 400))]
    check(impl, queue)


def test_randomized_near_the_byte_limit(impl):
    """Queues whose exact total straddles the limit by a few bytes: a shortcut that
    under-counted anything would return one batch where the exact rule cuts."""
    rnd = random.Random(7)
    chars = ["x", "\u00e9", "\x00", '"', "\u20ac", "\U0001f600", "\n"]
    for _ in range(150):
        count = rnd.randrange(2, 6)
        queue = [upd(i, rnd.choice(chars) * rnd.randrange(0, 40_000)) for i in range(count)]
        queue[-1]["Name"] = ""
        pad = MAX_BATCH_SIZE_BYTES + rnd.randrange(-3, 4) - sum(map(size, queue))
        if pad > 0:
            queue[-1]["Name"] = "n" * pad  # one byte each
        got = check(impl, queue)
        if sum(map(size, queue)) <= MAX_BATCH_SIZE_BYTES:
            assert len(got) == 1
