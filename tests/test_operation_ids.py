"""Operation IDs (protocol.md 4): the hash formula and its test vectors, per-context counters,
child / map / parallel / wait_for_callback / virtual-context numbering, names on the wire, and
that argument validation takes no ID.

Every test runs against both implementations, the compiled ``lambda_durable._ids_c`` (skipped
when it is not built) and the pure-Python ``lambda_durable._ids_py``: the ``ids`` fixture also
swaps the implementation the SDK core uses, so the end-to-end numbering is checked on both.
"""
from __future__ import annotations

import importlib
import random
import string
from hashlib import blake2b

import pytest

from fakes import ARN, FakeService
from lambda_durable import (
    ParallelBranch,
    durable_execution,
    durable_step,
    durable_wait_for_callback,
    durable_with_child_context,
)
from lambda_durable.config import (
    ChildConfig,
    CompletionConfig,
    Duration,
    MapConfig,
    NestingType,
    ParallelConfig,
    WaitForCallbackConfig,
)
from lambda_durable.exceptions import ValidationError

# -- protocol.md 4.1 test vectors -----------------------------------------------------------
ROOT_1 = "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"
ROOT_2 = "c5faca15ac2f93578b39ef4b6bbb871bdedce4ddd584fd31f0bb66fade3947e6"
CHILD_OF_ROOT_1_N1 = "974bfc6321e227b0ff101342eaf19b336f002dc6cc99c18f0941a7755cc20fc4"
ITEM_0_OF_ROOT_1 = "1712f93e2f51df042e2b933907d75accfe34a48fe4a42a24e0b08131bc72d591"


def ref_id(prefix: str | None, n: int) -> str:
    """Reference implementation written from the spec text (independent of the SDK)."""
    key = str(n) if prefix is None else f"{prefix}-{n}"
    return blake2b(key.encode("utf-8")).hexdigest()[:64]


IMPLEMENTATIONS = ["lambda_durable._ids_c", "lambda_durable._ids_py"]


@pytest.fixture(params=IMPLEMENTATIONS, ids=["compiled", "python"])
def ids(request, monkeypatch):
    """The ID module under test; the SDK core is switched to it for the end-to-end tests."""
    try:
        module = importlib.import_module(request.param)
    except ImportError:
        pytest.skip(f"{request.param} is not built")
    import lambda_durable.context as context_module
    import lambda_durable.operation.batch as batch_module

    monkeypatch.setattr(context_module, "IdSequence", module.IdSequence)
    monkeypatch.setattr(batch_module, "make_operation_id", module.operation_id)
    return module


def run(handler, svc: FakeService | None = None, payload=None):
    svc = svc or FakeService()
    out = durable_execution(client=svc)(handler)(svc.event(payload), None)
    return out, svc


def by_action(svc: FakeService, action: str) -> list[dict]:
    return [u for u in svc.updates if u["Action"] == action]


def starts(svc: FakeService) -> list[dict]:
    return by_action(svc, "START")


# -- the formula --------------------------------------------------------------------------------


def test_root_vectors(ids):
    assert ids.operation_id(None, 1) == ROOT_1
    assert ids.operation_id(None, 2) == ROOT_2


def test_prefixed_vectors(ids):
    assert ids.operation_id(ROOT_1, 1) == CHILD_OF_ROOT_1_N1
    assert ids.operation_id(ROOT_1, 0) == ITEM_0_OF_ROOT_1


def test_vectors_match_the_spec_formula():
    # the vectors themselves are the first 64 hex chars of a default (64-byte) BLAKE2b digest
    assert ref_id(None, 1) == ROOT_1
    assert ref_id(None, 2) == ROOT_2
    assert ref_id(ROOT_1, 1) == CHILD_OF_ROOT_1_N1
    assert ref_id(ROOT_1, 0) == ITEM_0_OF_ROOT_1


def test_truncated_default_digest_is_not_a_32_byte_digest(ids):
    short = blake2b(b"1", digest_size=32).hexdigest()
    assert len(short) == 64
    assert ids.operation_id(None, 1) != short


@pytest.mark.parametrize("n", [0, 1, 2, 9, 10, 11, 99, 100, 1000, 123456789])
def test_root_ids_follow_the_formula(ids, n):
    assert ids.operation_id(None, n) == ref_id(None, n)


def test_prefixed_ids_follow_the_formula(ids):
    rng = random.Random(1234)
    for _ in range(200):
        prefix = "".join(rng.choice("0123456789abcdef") for _ in range(64))
        n = rng.randrange(0, 10_000)
        assert ids.operation_id(prefix, n) == ref_id(prefix, n)


def test_prefix_is_hashed_as_utf8(ids):
    prefix = "ctx-é-€"
    assert ids.operation_id(prefix, 3) == blake2b("ctx-é-€-3".encode()).hexdigest()[:64]


def test_ids_are_64_lowercase_hex(ids):
    for prefix in (None, ROOT_1, "abc"):
        for n in (0, 1, 7):
            value = ids.operation_id(prefix, n)
            assert len(value) == 64
            assert set(value) <= set("0123456789abcdef")


def test_prefix_and_counter_are_separated_by_a_dash(ids):
    # "1-1" under no prefix is not the same as n=1 under prefix "1"; and "<p>-<n>" is hashed
    assert ids.operation_id("1", 1) == blake2b(b"1-1").hexdigest()[:64]
    assert ids.operation_id("1", 1) != ids.operation_id(None, 11)
    assert ids.operation_id("1", 11) != ids.operation_id("11", 1)


def test_compiled_and_python_twins_agree():
    try:
        compiled = importlib.import_module("lambda_durable._ids_c")
    except ImportError:
        pytest.skip("lambda_durable._ids_c is not built")
    python = importlib.import_module("lambda_durable._ids_py")
    rng = random.Random(99)
    for _ in range(300):
        prefix = rng.choice([None, "".join(rng.choice(string.hexdigits.lower()) for _ in range(64))])
        n = rng.randrange(0, 1_000_000)
        assert compiled.operation_id(prefix, n) == python.operation_id(prefix, n)


# The compiled twin carries its own BLAKE2b (RFC 7693), so it is checked against hashlib on many
# inputs: the key lengths the SDK produces (a single 128-byte block) and longer ones (several
# blocks, including keys of exactly one or two full blocks, where the last full block must be
# left for finalization).

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def random_prefix(rng: random.Random) -> str | None:
    kind = rng.randrange(5)
    if kind == 0:
        return None
    if kind in (1, 2):  # an operation ID, as the SDK passes
        return "%064x" % rng.getrandbits(256)
    if kind == 3:  # any length, across block boundaries
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(0, 400)))
    # multi-byte UTF-8
    return "".join(rng.choice("aé€\U0001d11e-0") for _ in range(rng.randrange(0, 120)))


def random_counter(rng: random.Random) -> int:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randrange(0, 10)
    if kind in (1, 2):
        return rng.randrange(0, 1_000_000)
    if kind == 3:
        return rng.randrange(0, INT64_MAX + 1)
    if kind == 4:
        return rng.choice([INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1, -1])
    return rng.randrange(-(2**70), 2**70)  # negative and beyond 64 bits: the decimal str(n)


def test_matches_hashlib_on_10000_random_inputs(ids):
    rng = random.Random(7693)
    for _ in range(10_000):
        prefix, n = random_prefix(rng), random_counter(rng)
        assert ids.operation_id(prefix, n) == ref_id(prefix, n), (prefix, n)


@pytest.mark.parametrize(
    "key_length",
    [1, 2, 20, 64, 85, 86, 106, 107, 108, 127, 128, 129, 200, 255, 256, 257, 383, 384, 385,
     1000, 4096, 10_000],
)
def test_multi_block_keys_match_hashlib(ids, key_length):
    # "<prefix>-7" with the prefix sized so the whole key is key_length bytes
    prefix = "p" * (key_length - 2) if key_length >= 2 else None
    n = 7
    key = f"{prefix}-{n}" if prefix is not None else str(n)
    assert len(key.encode()) == key_length
    assert ids.operation_id(prefix, n) == blake2b(key.encode()).hexdigest()[:64]


def test_every_key_length_up_to_three_blocks_matches_hashlib(ids):
    for length in range(0, 400):
        for prefix in ("x" * length, "é" * (length // 2)):
            for n in (0, 5, 123456, INT64_MAX):
                assert ids.operation_id(prefix, n) == ref_id(prefix, n), (len(prefix), n)


@pytest.mark.parametrize(
    "n",
    [0, INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1, -1, -10, -123456,
     INT64_MAX + 1, INT64_MIN - 1, 2**64, -(2**64), 10**30],
)
@pytest.mark.parametrize("prefix", [None, ROOT_1])
def test_counter_extremes_hash_their_decimal_form(ids, prefix, n):
    # decided: every int is hashed as str(n), so negatives give "-<digits>" in both twins
    assert ids.operation_id(prefix, n) == ref_id(prefix, n)


def test_protocol_vectors_are_plain_blake2b_in_both_twins(ids):
    for prefix, n, expected in [(None, 1, ROOT_1), (None, 2, ROOT_2),
                                (ROOT_1, 1, CHILD_OF_ROOT_1_N1), (ROOT_1, 0, ITEM_0_OF_ROOT_1)]:
        assert ids.operation_id(prefix, n) == expected == ref_id(prefix, n)
        assert ids.operation_id(prefix=prefix, n=n) == expected


class _Str(str):
    pass


class _Int(int):
    pass


@pytest.mark.parametrize(
    ("prefix", "n"),
    [(_Str("abc"), 3), (ROOT_1, _Int(4)), (None, True), (ROOT_1, False), (7, 1), (None, 2.5)],
    ids=["str-subclass", "int-subclass", "bool", "bool-prefixed", "int-prefix", "float"],
)
def test_unusual_argument_types_follow_the_pure_formula(ids, prefix, n):
    # outside the fast path the key is the pure twin's: str(n) / f"{prefix}-{n}"
    assert ids.operation_id(prefix, n) == ref_id(prefix, n)


def test_unencodable_prefix_raises_like_the_pure_twin(ids):
    with pytest.raises(UnicodeEncodeError):
        ids.operation_id("bad\ud800", 1)


# -- IdSequence (protocol.md 4.2) ---------------------------------------------------------------


def test_sequence_starts_at_zero_and_increments_before_use(ids):
    seq = ids.IdSequence()
    assert seq.count == 0
    assert seq.prefix is None
    assert seq.next_id() == ROOT_1
    assert seq.count == 1
    assert seq.next_id() == ROOT_2
    assert seq.count == 2


def test_sequence_with_prefix(ids):
    seq = ids.IdSequence(ROOT_1)
    assert seq.prefix == ROOT_1
    assert seq.next_id() == CHILD_OF_ROOT_1_N1
    assert seq.next_id() == ref_id(ROOT_1, 2)


def test_peek_does_not_consume(ids):
    seq = ids.IdSequence()
    assert seq.peek_id() == ROOT_1
    assert seq.peek_id() == ROOT_1
    assert seq.count == 0
    assert seq.peek_id(2) == ROOT_2
    assert seq.next_id() == ROOT_1
    assert seq.peek_id() == ROOT_2
    assert seq.peek_id(3) == ref_id(None, 4)


def test_sequences_are_independent(ids):
    a, b = ids.IdSequence(), ids.IdSequence("x")
    a.next_id()
    a.next_id()
    assert b.next_id() == ref_id("x", 1)
    assert a.next_id() == ref_id(None, 3)


def test_sequence_at_the_64_bit_boundary(ids):
    seq = ids.IdSequence(ROOT_1)
    seq.count = INT64_MAX - 1
    assert seq.peek_id() == ref_id(ROOT_1, INT64_MAX)
    assert seq.peek_id(2) == ref_id(ROOT_1, INT64_MAX + 1)
    assert seq.peek_id(-(2**64)) == ref_id(ROOT_1, INT64_MAX - 1 - 2**64)
    assert seq.next_id() == ref_id(ROOT_1, INT64_MAX)
    assert seq.count == INT64_MAX
    assert seq.next_id() == ref_id(ROOT_1, INT64_MAX + 1)
    assert seq.count == INT64_MAX + 1
    assert seq.peek_id() == ref_id(ROOT_1, INT64_MAX + 2)
    assert seq.peek_id(-(2**64)) == ref_id(ROOT_1, INT64_MAX + 1 - 2**64)
    seq.count = 5  # back into 64 bits
    assert seq.next_id() == ref_id(ROOT_1, 6)
    assert seq.count == 6


def test_sequence_with_negative_and_huge_counts(ids):
    seq = ids.IdSequence()
    seq.count = INT64_MIN
    assert seq.peek_id(-1) == ref_id(None, INT64_MIN - 1)
    assert seq.peek_id(0) == ref_id(None, INT64_MIN)
    assert seq.next_id() == ref_id(None, INT64_MIN + 1)
    seq.count = -2
    assert [seq.next_id() for _ in range(3)] == [ref_id(None, -1), ref_id(None, 0), ROOT_1]
    seq.count = 10**25
    assert seq.next_id() == ref_id(None, 10**25 + 1)
    assert seq.count == 10**25 + 1
    assert seq.peek_id(INT64_MAX) == ref_id(None, 10**25 + 1 + INT64_MAX)


def test_sequence_count_keeps_what_was_assigned(ids):
    seq = ids.IdSequence("p")
    seq.count = True  # the pure twin keeps the object: True + 1 == 2
    assert seq.count is True
    assert seq.next_id() == ref_id("p", 2)
    assert seq.count == 2 and type(seq.count) is int


def test_sequence_with_a_long_prefix(ids):
    prefix = "q" * 300  # keys of three blocks
    seq = ids.IdSequence(prefix)
    assert [seq.next_id() for _ in range(3)] == [ref_id(prefix, k) for k in (1, 2, 3)]
    assert seq.peek_id(10) == ref_id(prefix, 13)


def test_selector_module_exposes_one_implementation():
    import lambda_durable
    from lambda_durable import _extensions, _ids

    try:
        importlib.import_module("lambda_durable._ids_c")
        built = True
    except ImportError:
        built = False
    assert _ids.COMPILED is (built and _extensions.ALLOWED)
    assert lambda_durable.EXTENSIONS is _ids.COMPILED
    chosen = importlib.import_module(
        "lambda_durable._ids_c" if _ids.COMPILED else "lambda_durable._ids_py"
    )
    assert _ids.operation_id is chosen.operation_id
    assert _ids.IdSequence is chosen.IdSequence
    assert _ids.operation_id(None, 1) == ROOT_1


# -- numbering in the SDK -------------------------------------------------------------------------


def test_root_operations_are_numbered_in_call_order(ids):
    def handler(event, ctx):
        ctx.step(lambda _: 1, name="a")
        ctx.step(lambda _: 2, name="b")
        ctx.step(lambda _: 3, name="c")
        return "ok"

    out, svc = run(handler)
    assert out == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert [u["Id"] for u in starts(svc)] == [ROOT_1, ROOT_2, ref_id(None, 3)]


def test_every_operation_kind_takes_one_root_id(ids):
    def handler(event, ctx):
        ctx.step(lambda _: 1)  # 1
        ctx.run_in_child_context(lambda c: 2)  # 2
        ctx.map([1], lambda c, item, i, items: item)  # 3
        ctx.parallel([lambda c: 1])  # 4
        ctx.create_callback()  # 5
        ctx.invoke("fn", {})  # 6 (suspends)

    out, svc = run(handler)
    assert out == {"Status": "PENDING"}
    root = [u for u in starts(svc) if "ParentId" not in u]
    assert [(u["Id"], u["Type"]) for u in root] == [
        (ref_id(None, 1), "STEP"),
        (ref_id(None, 2), "CONTEXT"),
        (ref_id(None, 3), "CONTEXT"),
        (ref_id(None, 4), "CONTEXT"),
        (ref_id(None, 5), "CALLBACK"),
        (ref_id(None, 6), "CHAINED_INVOKE"),
    ]


def test_wait_and_wait_for_condition_take_one_id(ids):
    from lambda_durable.waits import WaitForConditionConfig, WaitForConditionDecision

    def handler(event, ctx):
        ctx.wait_for_condition(
            lambda s, c: s,
            WaitForConditionConfig(lambda s, a: WaitForConditionDecision.stop_polling(), 0),
        )
        ctx.wait(Duration(3))

    out, svc = run(handler)
    assert out == {"Status": "PENDING"}
    assert [(u["Id"], u["Type"]) for u in starts(svc)] == [
        (ROOT_1, "STEP"),
        (ROOT_2, "WAIT"),
    ]


def test_child_context_numbers_its_operations_under_its_own_id(ids):
    def handler(event, ctx):
        ctx.step(lambda _: 0, name="first")

        def body(child):
            child.step(lambda _: 1, name="in1")
            child.step(lambda _: 2, name="in2")

            def grandchild(g):
                return g.step(lambda _: 3, name="deep")

            return child.run_in_child_context(grandchild, name="g")

        return ctx.run_in_child_context(body, name="c")

    out, svc = run(handler)
    assert out["Status"] == "SUCCEEDED"
    child = ROOT_2
    grandchild = ref_id(child, 3)
    got = [(u["Id"], u.get("ParentId"), u.get("Name")) for u in starts(svc)]
    assert got == [
        (ROOT_1, None, "first"),
        (child, None, "c"),
        (ref_id(child, 1), child, "in1"),
        (ref_id(child, 2), child, "in2"),
        (grandchild, child, "g"),
        (ref_id(grandchild, 1), grandchild, "deep"),
    ]


def test_child_counter_is_not_shared_with_the_parent(ids):
    def handler(event, ctx):
        ctx.run_in_child_context(lambda c: c.step(lambda _: 1, name="x"), name="c1")
        ctx.step(lambda _: 2, name="after")

    out, svc = run(handler)
    ids_by_name = {u.get("Name"): u["Id"] for u in starts(svc)}
    assert ids_by_name["c1"] == ROOT_1
    assert ids_by_name["x"] == CHILD_OF_ROOT_1_N1
    assert ids_by_name["after"] == ROOT_2


def test_map_items_hash_the_map_id_and_zero_based_index(ids):
    seen = {}

    def item(ctx, value, index, items):
        seen[index] = ctx.step(lambda _: value * 10, name=f"s{index}")
        return seen[index]

    def handler(event, ctx):
        return ctx.map([1, 2, 3], item, name="m").get_results()

    out, svc = run(handler)
    assert out == {"Status": "SUCCEEDED", "Result": "[10, 20, 30]"}
    m = ROOT_1
    item_starts = [u for u in starts(svc) if u.get("SubType") == "MapIteration"]
    assert [u["Id"] for u in item_starts] == [ref_id(m, 0), ref_id(m, 1), ref_id(m, 2)]
    assert item_starts[0]["Id"] == ITEM_0_OF_ROOT_1
    assert all(u["ParentId"] == m for u in item_starts)
    assert [u["Name"] for u in item_starts] == ["map-item-0", "map-item-1", "map-item-2"]
    inner = [u for u in starts(svc) if u["Type"] == "STEP"]
    assert [(u["Id"], u["ParentId"]) for u in inner] == [
        (ref_id(ref_id(m, i), 1), ref_id(m, i)) for i in range(3)
    ]


def test_map_item_namer_names_items(ids):
    def handler(event, ctx):
        ctx.map(
            ["a", "b"],
            lambda c, item, i, items: item,
            config=MapConfig(item_namer=lambda item, i: f"item-{item}-{i}"),
        )

    out, svc = run(handler)
    names = [u.get("Name") for u in starts(svc) if u.get("SubType") == "MapIteration"]
    assert names == ["item-a-0", "item-b-1"]


def test_parallel_branches_hash_the_parallel_id_and_index(ids):
    def handler(event, ctx):
        ctx.step(lambda _: 0)
        return ctx.parallel(
            [lambda c: c.step(lambda _: "a"), ParallelBranch(lambda c: "b", name="named"), lambda c: "c"],
            name="p",
        ).get_results()

    out, svc = run(handler)
    assert out == {"Status": "SUCCEEDED", "Result": '["a", "b", "c"]'}
    p = ROOT_2
    branches = [u for u in starts(svc) if u.get("SubType") == "ParallelBranch"]
    assert [(u["Id"], u["ParentId"], u["Name"]) for u in branches] == [
        (ref_id(p, 0), p, "parallel-branch-0"),
        (ref_id(p, 1), p, "named"),
        (ref_id(p, 2), p, "parallel-branch-2"),
    ]
    step = [u for u in starts(svc) if u["Type"] == "STEP" and u.get("ParentId")]
    assert [(u["Id"], u["ParentId"]) for u in step] == [(ref_id(ref_id(p, 0), 1), ref_id(p, 0))]


def test_flat_map_items_keep_item_prefix_but_report_the_map_as_parent(ids):
    def item(ctx, value, index, items):
        return ctx.step(lambda _: value, name=f"s{index}")

    def handler(event, ctx):
        return ctx.map(
            [5, 6], item, name="flat", config=MapConfig(nesting_type=NestingType.FLAT)
        ).get_results()

    out, svc = run(handler)
    assert out == {"Status": "SUCCEEDED", "Result": "[5, 6]"}
    m = ROOT_1
    assert not [u for u in svc.updates if u.get("SubType") == "MapIteration"]
    inner = [u for u in starts(svc) if u["Type"] == "STEP"]
    assert [(u["Id"], u["ParentId"]) for u in inner] == [
        (ref_id(ref_id(m, 0), 1), m),
        (ref_id(ref_id(m, 1), 1), m),
    ]


def test_virtual_child_keeps_its_prefix_and_reports_the_callers_parent(ids):
    def handler(event, ctx):
        def outer(c):
            return c.run_in_child_context(
                lambda v: v.step(lambda _: 1, name="inner"),
                name="virtual",
                config=ChildConfig(is_virtual=True),
            )

        ctx.run_in_child_context(lambda v: v.step(lambda _: 1, name="rootv"), config=ChildConfig(is_virtual=True))
        return ctx.run_in_child_context(outer, name="outer")

    out, svc = run(handler)
    assert out["Status"] == "SUCCEEDED"
    v_root = ROOT_1
    outer = ROOT_2
    v_inner = ref_id(outer, 1)
    got = [(u["Id"], u["Type"], u.get("ParentId"), u.get("Name")) for u in starts(svc)]
    assert got == [
        (ref_id(v_root, 1), "STEP", None, "rootv"),
        (outer, "CONTEXT", None, "outer"),
        (ref_id(v_inner, 1), "STEP", outer, "inner"),
    ]


def test_wait_for_callback_children_ids_and_names(ids):
    submitted = []

    def handler(event, ctx):
        ctx.step(lambda _: 0)
        return ctx.wait_for_callback(lambda cid, c: submitted.append(cid), name="approval")

    out, svc = run(handler)
    assert out == {"Status": "PENDING"}
    w = ROOT_2
    got = [(u["Id"], u["Type"], u.get("ParentId"), u.get("Name"), u.get("SubType")) for u in starts(svc)]
    assert got == [
        (ROOT_1, "STEP", None, None, "Step"),
        (w, "CONTEXT", None, "approval", "WaitForCallback"),
        (ref_id(w, 1), "CALLBACK", w, "approval create callback id", "Callback"),
        (ref_id(w, 2), "STEP", w, "approval submitter", "Step"),
    ]
    assert submitted == [svc.operations[ref_id(w, 1)]["CallbackDetails"]["CallbackId"]]


def test_unnamed_wait_for_callback_child_names(ids):
    def handler(event, ctx):
        return ctx.wait_for_callback(lambda cid, c: None)

    out, svc = run(handler)
    got = [(u["Type"], u.get("Name")) for u in starts(svc)]
    assert got == [("CONTEXT", None), ("CALLBACK", "create callback id"), ("STEP", "submitter")]


# -- names (protocol.md 4.4) ----------------------------------------------------------------------


def test_decorated_functions_name_their_operations(ids):
    @durable_step
    def charge(step_ctx, amount):
        return amount

    @durable_with_child_context
    def fulfil(ctx, order):
        return order

    @durable_wait_for_callback
    def notify(callback_id, ctx):
        return None

    def plain(step_ctx):
        return 1

    def handler(event, ctx):
        ctx.step(charge(5))
        ctx.step(charge(6), name="explicit")
        ctx.step(plain)
        ctx.step(lambda _: 1)
        ctx.run_in_child_context(fulfil(1))
        ctx.wait_for_callback(notify())

    out, svc = run(handler)
    names = [(u["Type"], u.get("Name")) for u in starts(svc) if "ParentId" not in u]
    assert names == [
        ("STEP", "charge"),
        ("STEP", "explicit"),
        ("STEP", None),
        ("STEP", None),
        ("CONTEXT", "fulfil"),
        ("CONTEXT", "notify"),
    ]
    wfc = [u.get("Name") for u in starts(svc) if u.get("ParentId") == ref_id(None, 6)]
    assert wfc == ["notify create callback id", "notify submitter"]


def test_empty_name_is_not_sent(ids):
    def handler(event, ctx):
        ctx.step(lambda _: 1, name="")
        ctx.wait(Duration(1), name="")

    out, svc = run(handler)
    assert all("Name" not in u for u in svc.updates)


# -- validation takes no ID (protocol.md 4.2) ----------------------------------------------------


def test_invalid_wait_takes_no_id(ids):
    def handler(event, ctx):
        with pytest.raises(ValidationError):
            ctx.wait(Duration(0))
        with pytest.raises(ValidationError):
            ctx.wait(Duration(31_622_401))
        ctx.step(lambda _: 1, name="s")

    out, svc = run(handler)
    assert out["Status"] == "SUCCEEDED"
    assert [u["Id"] for u in starts(svc)] == [ROOT_1]


def test_invalid_batch_and_condition_take_no_id(ids):
    from lambda_durable.waits import WaitForConditionConfig, WaitForConditionDecision

    def handler(event, ctx):
        with pytest.raises(ValidationError):
            ctx.map([1], lambda c, i, n, x: i, config=MapConfig(completion_config=CompletionConfig(min_successful=2)))
        with pytest.raises(ValidationError):
            ctx.parallel([lambda c: 1], config=ParallelConfig(completion_config=CompletionConfig(min_successful=5)))
        with pytest.raises(ValidationError):
            ctx.wait_for_condition(None, WaitForConditionConfig(lambda s, a: WaitForConditionDecision.stop_polling(), 0))
        with pytest.raises(ValidationError):
            ctx.wait_for_condition(lambda s, c: s, None)
        ctx.step(lambda _: 1, name="s")

    out, svc = run(handler)
    assert out["Status"] == "SUCCEEDED"
    assert [u["Id"] for u in starts(svc)] == [ROOT_1]
    assert len(svc.updates) == 2


def test_invalid_name_takes_no_id(ids):
    def handler(event, ctx):
        with pytest.raises(ValidationError):
            ctx.step(lambda _: 1, name="x" * 257)
        with pytest.raises(ValidationError):
            ctx.wait(Duration(1), name="caf\u00e9")
        ctx.step(lambda _: 1, name="s")

    out, svc = run(handler)
    assert out["Status"] == "SUCCEEDED"
    assert [u["Id"] for u in starts(svc)] == [ROOT_1]


def test_execution_operation_id_is_the_last_arn_segment():
    from lambda_durable.state import ExecutionState, ServiceChannel

    state = ExecutionState(ARN, "tok", {}, ServiceChannel(FakeService()))
    assert state.execution_operation_id == "0a1b2c3d"


def test_invalid_item_branch_and_derived_names_are_rejected_before_any_checkpoint(ids):
    def handler(event, ctx):
        with pytest.raises(ValidationError):
            ctx.map([1], lambda c, x, i, xs: x, config=MapConfig(item_namer=lambda item, i: "caf\u00e9"))
        with pytest.raises(ValidationError):
            ctx.parallel([ParallelBranch(lambda c: 1, name="x" * 257)])
        with pytest.raises(ValidationError):
            # "<name> create callback id" would exceed 256 characters
            ctx.wait_for_callback(lambda cid, c: None, name="w" * 250)
        ctx.step(lambda _: 1, name="s")

    out, svc = run(handler)
    assert out["Status"] == "SUCCEEDED"
    assert [u["Id"] for u in starts(svc)] == [ROOT_1]


def test_empty_item_and_branch_names(ids):
    def handler(event, ctx):
        ctx.map([1], lambda c, x, i, xs: x, config=MapConfig(item_namer=lambda item, i: ""))
        ctx.parallel([ParallelBranch(lambda c: 1, name="")])

    out, svc = run(handler)
    names = [(u.get("SubType"), u.get("Name")) for u in starts(svc) if u.get("ParentId")]
    assert names == [("MapIteration", None), ("ParallelBranch", "parallel-branch-0")]


def test_peeked_ids_are_reused_and_never_stale(ids):
    """Replay peeks at the next ID after every operation; the peeked ID is handed out by the
    following next_id() (one hash per operation) and any interleaving gives the plain IDs."""
    seq = ids.IdSequence("p")
    got = []
    for step in ["peek", "next", "peek", "peek", "next", "next", "peek2", "peek", "next", "next"]:
        if step == "next":
            got.append(("next", seq.next_id()))
        elif step == "peek":
            got.append(("peek", seq.peek_id()))
        else:
            got.append(("peek2", seq.peek_id(2)))
    count = 0
    expected = []
    for kind, _ in got:
        if kind == "next":
            count += 1
            expected.append((kind, ids.operation_id("p", count)))
        else:
            expected.append((kind, ids.operation_id("p", count + (2 if kind == "peek2" else 1))))
    assert got == expected
    seq.count = 10  # an assigned counter invalidates the cache by position
    assert seq.peek_id() == ids.operation_id("p", 11)
    assert seq.next_id() == ids.operation_id("p", 11)
