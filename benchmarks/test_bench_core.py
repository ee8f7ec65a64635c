"""Micro-benchmarks of the core functions, compiled against pure-Python twin (pytest-benchmark).

Run: ``pip install '.[bench]' && pytest benchmarks/ --benchmark-sort=name
--benchmark-columns=min,median,rounds`` (never part of the test suite; ``PYTHONPATH=src`` to
measure the checkout instead of the installed package). Each group holds one function; its
``pure`` and ``compiled`` rows are the twins.

Where a core module has twins (a selector ``lambda_durable._x`` choosing ``_x_c`` or ``_x_py``),
each benchmark runs on both (``pure``, and ``compiled`` when built). Where a function has no twin
yet it runs on the module the SDK uses today (``current``); once twins named
``lambda_durable._<selector>_py`` / ``_c`` export the same name, they are picked up.
"""
from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest

from _scenarios import ARN, FakeLambdaClient, execution_op, load_sdk, replay_state, step_value


def implementations(selector: str, name: str, current: str) -> list:
    """pytest params for ``name``: from the twins ``lambda_durable.<selector>_py`` and ``_c``
    when they define it, else from ``lambda_durable.<current>`` (id ``current``)."""
    params = []
    for suffix, label in (("_py", "pure"), ("_c", "compiled")):
        try:
            module = importlib.import_module(f"lambda_durable.{selector}{suffix}")
        except ImportError:
            continue
        if hasattr(module, name):
            params.append(pytest.param(getattr(module, name), id=label))
    if not params:
        module = importlib.import_module(f"lambda_durable.{current}")
        params.append(pytest.param(getattr(module, name), id="current"))
    return params


# -- operation IDs ----------------------------------------------------------------------------

IDS = [pytest.param(SimpleNamespace(operation_id=p.values[0], IdSequence=q.values[0]), id=p.id)
       for p, q in zip(implementations("_ids", "operation_id", "_ids"),
                       implementations("_ids", "IdSequence", "_ids"))]


@pytest.mark.benchmark(group="ids: operation_id")
@pytest.mark.parametrize("ids", IDS)
def test_operation_id(benchmark, ids):
    prefix = ids.operation_id(None, 1)
    benchmark(ids.operation_id, prefix, 12345)


@pytest.mark.benchmark(group="ids: IdSequence x1000")
@pytest.mark.parametrize("ids", IDS)
def test_id_sequence_1000(benchmark, ids):
    def run():
        seq = ids.IdSequence(None)
        for _ in range(1000):
            seq.next_id()

    benchmark(run)


# -- completion evaluation --------------------------------------------------------------------


def _never(status):
    return None  # the predicate says "continue"


POLICIES = {
    "fail_fast": {},
    "thresholds": {"min_successful": 990, "tolerated_failure_count": 50,
                   "tolerated_failure_percentage": 10},
    "predicate": {"should_complete": _never},
}


@pytest.mark.benchmark(group="completion: decide x1000")
@pytest.mark.parametrize("config", list(POLICIES))
@pytest.mark.parametrize("policy_cls", implementations("_completion", "CompletionPolicy", "_completion"))
def test_completion_decide(benchmark, policy_cls, config):
    """One decision per item transition of a 1000-item batch (every 10th item fails)."""
    policy = policy_cls(1000, **POLICIES[config])
    transitions = [(i - i // 10, i // 10) for i in range(1000)]
    decide = policy.decide

    def run():
        for succeeded, failed in transitions:
            decide(succeeded, failed)

    benchmark(run)


# -- serdes envelope --------------------------------------------------------------------------


def _order():
    import datetime
    import decimal

    return {
        "id": "order-123", "customer": {"name": "Ana", "tier": 3, "vip": True},
        "lines": [{"sku": f"SKU-{k}", "qty": k, "price": 9.5 * k} for k in range(10)],
        "total": decimal.Decimal("123.45"), "tags": ("a", "b"),
        "at": datetime.datetime(2026, 1, 27, 12, 0, tzinfo=datetime.timezone.utc),
    }


VALUES = {"step_dict": step_value(7), "step_str": {"i": 1, "v": "x"}, "order": _order(),
          "int_list": list(range(100))}
ENCODE = implementations("_envelope", "encode", "_envelope")
DECODE = implementations("_envelope", "decode", "_envelope")


@pytest.mark.benchmark(group="serdes: encode")
@pytest.mark.parametrize("value", list(VALUES))
@pytest.mark.parametrize("encode", ENCODE)
def test_serdes_encode(benchmark, encode, value):
    """The default serdes' envelope encoder (what ``serialize(None, value, ...)`` runs)."""
    benchmark(encode, VALUES[value])


@pytest.mark.benchmark(group="serdes: decode")
@pytest.mark.parametrize("value", list(VALUES))
@pytest.mark.parametrize("decode", DECODE)
def test_serdes_decode(benchmark, decode, value):
    from lambda_durable.serdes import serialize

    payload = serialize(None, VALUES[value], "op", ARN)
    benchmark(decode, payload)


# -- checkpoint batch cutting -----------------------------------------------------------------


def _updates(count: int, payload_bytes: int) -> list[dict]:
    sdk = load_sdk("compiled")
    out = []
    for i in range(count // 2):
        oid = sdk.op_id(i + 1)
        out.append({"Id": oid, "Type": "STEP", "Action": "START", "SubType": "Step"})
        out.append({"Id": oid, "Type": "STEP", "Action": "SUCCEED", "SubType": "Step",
                    "Payload": "x" * payload_bytes})
    return out


QUEUES = {"2_updates": (2, 40), "250_small": (250, 40), "1000_small": (1000, 40),
          "1000_10KB": (1000, 10_000)}


@pytest.mark.benchmark(group="state: _cut_batches")
@pytest.mark.parametrize("queue", list(QUEUES))
@pytest.mark.parametrize("cut", implementations("_batching", "cut_batches", "_batching"))
def test_cut_batches(benchmark, cut, queue):
    updates = _updates(*QUEUES[queue])
    batches = benchmark(lambda: list(cut(updates)))
    assert sum(map(len, batches)) == len(updates)


# -- state loading and merging ----------------------------------------------------------------


TABLES = implementations("_table", "OperationTable", "_table")


def _history_10k() -> list[dict]:
    """The EXECUTION operation, 100 map items (CONTEXT) and 9,900 steps, 99 per item."""
    ops = [execution_op()] + replay_state(load_sdk("compiled"), 10_000)
    for k, record in enumerate(ops[1:]):
        if k < 100:
            record.update(Type="CONTEXT", SubType="MapIteration")
        else:
            record["ParentId"] = ops[1 + k % 100]["Id"]
    return ops


@pytest.mark.benchmark(group="table: load 10k operations")
@pytest.mark.parametrize("table_cls", TABLES)
def test_table_load_10k(benchmark, table_cls):
    """``OperationTable.load`` of the event's 10,000 operations (Id, history and children
    indexes)."""
    history = _history_10k()

    def run():
        table = table_cls()
        table.load(history)
        return table

    table = benchmark(run)
    assert len(table) == len(history) and table.has_history()


@pytest.mark.benchmark(group="table: merge 2 changed into 10k")
@pytest.mark.parametrize("table_cls", TABLES)
def test_table_merge(benchmark, table_cls):
    """``OperationTable.merge`` of one checkpoint response (a replaced step, a new one)."""
    history = _history_10k()
    table = table_cls()
    table.load(history)
    changed = [dict(history[500], Status="FAILED"), dict(history[500], Id="new-step")]
    benchmark(table.merge, changed)


@pytest.mark.benchmark(group="table: lookups")
@pytest.mark.parametrize("table_cls", TABLES)
def test_table_lookups(benchmark, table_cls):
    """Per replayed operation: ``get``, ``has_history`` and ``children`` of its parent (x1000)."""
    history = _history_10k()
    table = table_cls()
    table.load(history)
    ids = [op["Id"] for op in history[101:1101]]
    parents = [op["ParentId"] for op in history[101:1101]]
    get, has_history, children = table.get, table.has_history, table.children

    def run():
        for op_id, parent in zip(ids, parents):
            get(op_id)
            has_history()
            children(parent)

    benchmark(run)


def _state_classes() -> list:
    return implementations("_state", "ExecutionState", "state")


def _channel(state_cls, fake):
    module = importlib.import_module(state_cls.__module__)
    channel_cls = getattr(module, "ServiceChannel", None)
    if channel_cls is None:
        from lambda_durable.state import ServiceChannel as channel_cls
    return channel_cls(fake)


@pytest.mark.benchmark(group="state: load 10k operations")
@pytest.mark.parametrize("paged", [False, True], ids=["one_page", "pages_of_1000"])
@pytest.mark.parametrize("state_cls", _state_classes())
def test_state_load_10k(benchmark, state_cls, paged):
    """``ExecutionState.load`` of an event holding 10,000 SUCCEEDED steps; ``pages_of_1000``:
    the event holds the first 1000, the rest come from GetDurableExecutionState."""
    history = [execution_op()] + replay_state(load_sdk("compiled"), 10_000)
    fake = FakeLambdaClient(history)
    channel = _channel(state_cls, fake)
    if paged:
        initial = {"Operations": history[:1000], "NextMarker": "1000"}
    else:
        initial = {"Operations": history, "NextMarker": ""}
    state = benchmark(state_cls.load, ARN, "dG9rZW4w", initial, channel)
    assert len(state.operations) == len(history)


@pytest.mark.benchmark(group="state: merge 2 changed into 10k")
@pytest.mark.parametrize("state_cls", _state_classes())
def test_state_merge(benchmark, state_cls):
    """Merging one checkpoint response (2 changed operations) into a 10k-operation table."""
    history = [execution_op()] + replay_state(load_sdk("compiled"), 10_000)
    state = state_cls.load(ARN, "dG9rZW4w", {"Operations": history}, _channel(state_cls, None))
    changed = history[1:3]
    benchmark(state._merge, changed)
