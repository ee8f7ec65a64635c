"""The checkpoint-state operation table (``lambda_durable._table``): every test runs against the
pure-Python twin (``_table_py``) and the compiled one (``_table_c``, skipped when not built), plus a
randomized check that both twins end in the same state as a reference model."""
from __future__ import annotations

import importlib
import random

import pytest

from lambda_durable import _table, _table_py
from lambda_durable._extensions import ALLOWED
from lambda_durable.state import ExecutionState, ServiceChannel

try:
    _table_c = importlib.import_module("lambda_durable._table_c")
except ImportError:  # pragma: no cover - pure-Python install
    _table_c = None

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/exec-1"


@pytest.fixture(params=["python", "compiled"])
def Table(request):
    if request.param == "compiled":
        if _table_c is None:
            pytest.skip("lambda_durable._table_c is not built")
        return _table_c.OperationTable
    return _table_py.OperationTable


def op(op_id, type_="STEP", status="SUCCEEDED", parent=None, **extra):
    record = {"Id": op_id, "Type": type_, "Status": status, "StartTimestamp": 1769481309631}
    if parent is not None:
        record["ParentId"] = parent
    record.update(extra)
    return record


EXEC = op("exec-1", "EXECUTION", "STARTED", ExecutionDetails={"InputPayload": "{}"})


def test_selector_picks_the_compiled_twin_when_allowed():
    expected = _table_c is not None and ALLOWED
    assert _table.COMPILED is expected
    assert _table.OperationTable is (_table_c.OperationTable if expected else _table_py.OperationTable)


# -- building -----------------------------------------------------------------------------------


def test_empty_table(Table):
    table = Table()
    assert len(table) == 0
    assert table.operations == {}
    assert not table.has_history() and table.history_count == 0
    assert table.get("x") is None and table.status("x") is None
    assert "x" not in table
    assert table.children(None) == [] and table.children("x") == []
    assert list(table) == []


def test_load_stores_records_as_received_without_copies(Table):
    records = [EXEC, op("a"), op("b", "WAIT", "STARTED", WaitDetails={"ScheduledEndTimestamp": 5})]
    table = Table()
    table.load(iter(records))  # any iterable
    assert len(table) == 3
    assert list(table) == ["exec-1", "a", "b"]
    for record in records:
        assert table.get(record["Id"]) is record
        assert table.operations[record["Id"]] is record
        assert record["Id"] in table
    # timestamps stay in wire form
    assert table.get("b")["WaitDetails"]["ScheduledEndTimestamp"] == 5
    assert table.get("a")["StartTimestamp"] == 1769481309631
    assert table.status("b") == "STARTED"


def test_operations_is_the_same_live_dict(Table):
    table = Table()
    ops = table.operations
    table.load([op("a")])
    table.add_page([op("b")])
    table.merge([op("c")])
    assert table.operations is ops
    assert list(ops) == ["a", "b", "c"]


def test_pages_merge_by_id(Table):
    table = Table()
    table.load([EXEC, op("a", status="STARTED")])
    newer = op("a", status="SUCCEEDED")
    table.add_page([newer, op("b")])
    assert table.get("a") is newer
    assert len(table) == 3
    assert list(table) == ["exec-1", "a", "b"]  # a replaced record keeps its place


def test_adopts_an_existing_dict_and_indexes_it(Table):
    ops = {"exec-1": EXEC, "c": op("c"), "k": op("k", parent="c"), "j": op("j", parent="c")}
    table = Table(ops)
    assert table.operations is ops
    assert table.has_history() and table.history_count == 3
    assert table.children("c") == ["k", "j"]
    assert table.children(None) == ["exec-1", "c"]


def test_only_a_dict_is_adopted(Table):
    with pytest.raises(TypeError):
        Table([op("a")])


def test_records_without_an_id_raise_key_error(Table):
    table = Table()
    with pytest.raises(KeyError):
        table.load([{"Type": "STEP"}])


# -- merge ------------------------------------------------------------------------------------


def test_merge_replaces_whole_records_and_returns_the_changed_ones(Table):
    table = Table()
    old = op("a", status="STARTED", StepDetails={"Attempt": 1, "Result": "x"})
    table.load([EXEC, old, op("b")])
    new = op("a", status="SUCCEEDED")
    created = op("c", status="STARTED")
    changed = table.merge([new, created])
    assert changed == [new, created] and changed[0] is new and changed[1] is created
    assert table.get("a") is new and "StepDetails" not in table.get("a")  # whole record replaced
    assert table.get("c") is created
    assert table.get("b")["Status"] == "SUCCEEDED"
    assert len(table) == 4


def test_merge_returns_a_new_list_even_for_a_list_argument(Table):
    table = Table()
    response = [op("a")]
    changed = table.merge(response)
    assert changed == response and changed is not response
    assert table.merge([]) == []
    assert table.merge(iter([op("b")])) == [op("b")]


def test_merge_of_the_same_id_twice_keeps_the_last(Table):
    table = Table()
    first, second = op("a", status="STARTED"), op("a", status="SUCCEEDED")
    assert table.merge([first, second]) == [first, second]
    assert table.get("a") is second
    assert len(table) == 1 and table.history_count == 1 and table.children(None) == ["a"]


def test_merge_is_o_changed_not_o_history():
    """The table is never walked on merge: a table whose records raise on any read still
    merges (only the changed Ids' old records are read)."""

    class Poison(dict):
        def get(self, *args):  # pragma: no cover - must never be called
            raise AssertionError("a stored record was read")

        def __getitem__(self, key):  # pragma: no cover
            raise AssertionError("a stored record was read")

    for Table in [_table_py.OperationTable] + ([_table_c.OperationTable] if _table_c else []):
        table = Table()
        table.load([op("a")])
        table.operations.update({f"p{i}": Poison() for i in range(1000)})
        table.merge([op("b"), op("a", status="FAILED")])
        assert table.get("a")["Status"] == "FAILED"


def test_merge_cost_does_not_grow_with_history():
    import time

    for Table in [_table_py.OperationTable] + ([_table_c.OperationTable] if _table_c else []):
        small, big = Table(), Table()
        small.load([op(f"s{i}") for i in range(10)])
        big.load([op(f"s{i}") for i in range(200_000)])
        changed = [op("s1", status="FAILED"), op("s2", parent="s1")]

        def cost(table):
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(2000):
                    table.merge(changed)
                best = min(best, time.perf_counter() - t0)
            return best

        # generous: O(history) would be ~20,000x slower
        assert cost(big) < 20 * cost(small) + 0.01


def test_merging_the_stored_record_object_again_changes_nothing(Table):
    record = op("a", parent="m")
    table = Table()
    table.load([EXEC, record])
    assert table.merge([record, record]) == [record, record]
    assert len(table) == 2 and table.history_count == 1
    assert table.children("m") == ["a"]


def test_an_explicit_none_parent_is_no_parent(Table):
    table = Table()
    table.load([op("a", ParentId=None), op("b")])
    assert table.children(None) == ["a", "b"]
    table.merge([op("a", parent="b")])
    assert table.children(None) == ["b"] and table.children("b") == ["a"]


def test_records_that_are_not_exact_dicts(Table):
    class Record(dict):
        pass

    table = Table()
    table.load([Record(op("a", parent="m")), Record(op("e", "EXECUTION"))])
    assert table.history_count == 1 and table.children("m") == ["a"]
    table.merge([Record(op("a", "EXECUTION", parent="n"))])
    assert table.history_count == 0 and table.children("n") == ["a"] and table.children("m") == []


# -- history ----------------------------------------------------------------------------------


def test_has_history_counts_operations_other_than_execution(Table):
    table = Table()
    table.load([EXEC])
    assert not table.has_history() and table.history_count == 0
    table.merge([dict(EXEC, Status="SUCCEEDED")])  # replacing the EXECUTION record
    assert not table.has_history()
    table.merge([op("a")])
    assert table.has_history() and table.history_count == 1
    table.merge([op("a", status="FAILED")])  # replacement keeps the count
    assert table.history_count == 1
    table.add_page([op("b", "WAIT"), op("c", "CONTEXT")])
    assert table.history_count == 3


def test_has_history_follows_a_type_change_on_replacement(Table):
    table = Table()
    table.load([EXEC, op("x", "EXECUTION")])
    assert not table.has_history()
    table.merge([op("x", "STEP")])
    assert table.has_history() and table.history_count == 1
    table.merge([op("x", "EXECUTION")])
    assert not table.has_history() and table.history_count == 0


def test_a_record_without_type_counts_as_history(Table):
    table = Table()
    table.load([{"Id": "a"}])
    assert table.has_history()


# -- children index ---------------------------------------------------------------------------


def test_children_in_insertion_order(Table):
    table = Table()
    table.load([EXEC, op("m", "CONTEXT", "STARTED"), op("i1", parent="m"), op("i0", parent="m")])
    table.add_page([op("i2", parent="m"), op("g", parent="i1")])
    table.merge([op("i3", parent="m")])
    assert table.children("m") == ["i1", "i0", "i2", "i3"]
    assert table.children("i1") == ["g"]
    assert table.children(None) == ["exec-1", "m"]
    assert table.children("nobody") == []


def test_children_keep_their_place_when_replaced(Table):
    table = Table()
    table.load([op("m"), op("a", parent="m"), op("b", parent="m")])
    table.merge([op("a", status="FAILED", parent="m")])
    assert table.children("m") == ["a", "b"]


def test_a_child_that_changes_parent_moves(Table):
    table = Table()
    table.load([op("m"), op("n"), op("a", parent="m"), op("b", parent="m")])
    table.merge([op("a", parent="n")])
    assert table.children("m") == ["b"] and table.children("n") == ["a"]
    table.merge([op("b")])  # loses its parent
    assert table.children("m") == [] and table.children(None) == ["m", "n", "b"]
    table.merge([op("b", parent="m")])
    assert table.children("m") == ["b"] and table.children(None) == ["m", "n"]


def test_children_returns_a_copy(Table):
    table = Table()
    table.load([op("a", parent="m")])
    kids = table.children("m")
    kids.append("zzz")
    assert table.children("m") == ["a"]


# -- randomized: both twins equal a reference model ---------------------------------------------


def _model(ops_dict):
    history = sum(1 for r in ops_dict.values() if r.get("Type") != "EXECUTION")
    return history


@pytest.mark.parametrize("seed", range(20))
def test_randomized_against_a_model(Table, seed):
    rnd = random.Random(seed)
    ids = [f"op{i}" for i in range(40)]
    table = Table()
    reference: dict[str, dict] = {}
    parent_order: dict[str, list[str]] = {}  # per-parent first-insertion order (model)
    for _ in range(60):
        batch = []
        for _ in range(rnd.randrange(0, 8)):
            record = {
                "Id": rnd.choice(ids),
                "Type": rnd.choice(["EXECUTION", "STEP", "WAIT", "CONTEXT"]),
                "Status": rnd.choice(["STARTED", "SUCCEEDED"]),
            }
            if rnd.random() < 0.7:
                record["ParentId"] = rnd.choice(ids[:5])
            batch.append(record)
        action = rnd.choice(["load", "add_page", "merge"])
        result = getattr(table, action)(batch)
        if action == "merge":
            assert result == batch
        for record in batch:
            previous = reference.get(record["Id"])
            reference[record["Id"]] = record
            parent = record.get("ParentId")
            if previous is None or previous.get("ParentId") != parent:
                if previous is not None:
                    parent_order[previous.get("ParentId")].remove(record["Id"])
                parent_order.setdefault(parent, []).append(record["Id"])
        assert table.operations == reference
        assert len(table) == len(reference)
        assert table.history_count == _model(reference)
        assert table.has_history() is (_model(reference) > 0)
        for parent in [None, *ids[:5]]:
            assert table.children(parent) == parent_order.get(parent, [])


# -- ExecutionState delegates to the table --------------------------------------------------------


class _Fake:
    def __init__(self, pages=None):
        self.pages = pages or {}
        self.updates = []

    def checkpoint_durable_execution(self, **kwargs):
        self.updates.append(kwargs["Updates"])
        ops = [{"Id": u["Id"], "Type": u["Type"], "Status": "STARTED", "StartTimestamp": 0,
                **({"ParentId": u["ParentId"]} if "ParentId" in u else {})}
               for u in kwargs["Updates"]]
        return {"CheckpointToken": "t", "NewExecutionState": {"Operations": ops}}

    def get_durable_execution_state(self, **kwargs):
        return self.pages[kwargs["Marker"]]


def test_execution_state_uses_the_table():
    pages = {"m1": {"Operations": [op("b", parent="a")], "NextMarker": "m2"},
             "m2": {"Operations": [op("c", parent="a")], "NextMarker": None}}
    state = ExecutionState.load(
        ARN, "t0", {"Operations": [EXEC, op("a")], "NextMarker": "m1"},
        ServiceChannel(_Fake(pages)),
    )
    assert isinstance(state.table, _table.OperationTable)
    assert state.operations is state.table.operations
    assert list(state.operations) == ["exec-1", "a", "b", "c"]
    assert state.has_history()
    assert state.table.children("a") == ["b", "c"]
    assert state.execution_operation() is EXEC
    seen = []
    state.add_listener(seen.append)
    state.checkpoint({"Id": "d", "Type": "STEP", "Action": "START", "ParentId": "a"})
    assert state.get("d")["Status"] == "STARTED"
    assert state.table.children("a") == ["b", "c", "d"]
    assert [[r["Id"] for r in changed] for changed in seen] == [["d"]]


def test_execution_state_adopts_a_dict():
    ops = {"exec-1": EXEC}
    state = ExecutionState(ARN, "t0", ops, ServiceChannel(_Fake()))
    assert state.operations is ops
    assert not state.has_history()
    state.checkpoint({"Id": "a", "Type": "STEP", "Action": "START"})
    assert state.has_history() and "a" in ops
