"""BatchItem / BatchResult (protocol.md 5.9), the completion policy (5.9, B16, B17) and the
large-result summary record.

Every completion-policy test runs against both twins, the compiled
``lambda_durable._completion_c`` (skipped when it is not built) and the pure-Python
``lambda_durable._completion_py``: the ``policy_cls`` fixture also swaps the class
``BatchResult.from_items`` / ``from_dict`` and map/parallel use. Random configurations are
compared twin against twin in ``test_completion_twins.py``.
"""
from __future__ import annotations

import importlib
import json
import logging

import pytest

from lambda_durable import _completion, _completion_py
from lambda_durable.concurrency import models as package_models
from lambda_durable.concurrency.models import (
    BatchCompletionError,
    BatchItem,
    BatchResult,
    Branch,
    BranchEvent,
    BranchEventKind,
    BranchStatus,
    CompletionPolicy,
    CompletionReason,
    CompletionRecord,
    Executable,
    envelope_summary_generator,
)
from lambda_durable.config import (
    BatchItemStatus,
    CompletionConfig,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
    complete_batch,
    continue_batch,
)
from lambda_durable.exceptions import ChildContextError, InvalidStateError, ValidationError
from lambda_durable.lambda_service import ErrorObject

S, F, ST = BatchItemStatus.SUCCEEDED, BatchItemStatus.FAILED, BatchItemStatus.STARTED
R = CompletionReason

COMPLETION_TWINS = ["lambda_durable._completion_c", "lambda_durable._completion_py"]


@pytest.fixture(params=COMPLETION_TWINS, ids=["compiled", "python"])
def policy_cls(request, monkeypatch):
    """The ``CompletionPolicy`` class under test; the SDK is switched to it as well."""
    try:
        module = importlib.import_module(request.param)
    except ImportError:
        pytest.skip(f"{request.param} is not built")
    import lambda_durable.operation.batch as batch_module

    monkeypatch.setattr(package_models, "CompletionPolicy", module.CompletionPolicy)
    monkeypatch.setattr(batch_module, "CompletionPolicy", module.CompletionPolicy)
    return module.CompletionPolicy


@pytest.fixture
def policy(policy_cls):
    """``policy(total, **completion_config_kwargs)``: the twin's policy of a batch (no kwargs:
    no config, i.e. fail-fast)."""

    def make(total, **kw):
        return policy_cls.from_config(total, CompletionConfig(**kw) if kw else None)

    return make


VALUE_ERROR = ErrorObject("bad input", "ValueError", None, None)
CUSTOM_ERROR = ErrorObject("nope", "mymod.CustomError", "data", ["line 1"])


def sample() -> BatchResult:
    return BatchResult(
        [
            BatchItem(0, S, {"a": 1}),
            BatchItem(1, F, None, VALUE_ERROR),
            BatchItem(2, S, None),
            BatchItem(3, ST),
            BatchItem(4, F, None, CUSTOM_ERROR),
        ],
        R.FAILURE_TOLERANCE_EXCEEDED,
    )


# --- BatchItem / BatchResult shapes -----------------------------------------------------------


def test_batch_item_to_dict_wire_shape():
    assert BatchItem(1, F, None, VALUE_ERROR).to_dict() == {
        "index": 1,
        "status": "FAILED",
        "result": None,
        "error": {"ErrorMessage": "bad input", "ErrorType": "ValueError"},
    }
    assert BatchItem(0, S, [1, 2]).to_dict() == {
        "index": 0,
        "status": "SUCCEEDED",
        "result": [1, 2],
        "error": None,
    }


def test_batch_item_from_dict_round_trip():
    for item in sample().all:
        assert BatchItem.from_dict(item.to_dict()) == item
    item = BatchItem.from_dict({"index": 3, "status": "FAILED", "error": {}})
    assert item.error is None and item.result is None
    full = BatchItem.from_dict(
        {
            "index": 4,
            "status": "FAILED",
            "result": None,
            "error": {
                "ErrorMessage": "nope",
                "ErrorType": "mymod.CustomError",
                "ErrorData": "data",
                "StackTrace": ["line 1"],
            },
        }
    )
    assert full.error == CUSTOM_ERROR
    with pytest.raises(ValueError):
        BatchItem.from_dict({"index": 0, "status": "PENDING"})


def test_batch_result_to_dict_and_from_dict():
    br = sample()
    data = br.to_dict()
    assert list(data) == ["all", "completionReason"]
    assert data["completionReason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert [d["index"] for d in data["all"]] == [0, 1, 2, 3, 4]
    json.dumps(data)  # plain JSON-able when results are
    assert BatchResult.from_dict(data) == br
    with pytest.raises(ValueError):
        BatchResult.from_dict({"all": [], "completionReason": "NOPE"})


def test_batch_result_from_dict_infers_missing_reason(caplog, policy_cls):
    items = [BatchItem(0, S, 1).to_dict(), BatchItem(1, F, None, VALUE_ERROR).to_dict()]
    with caplog.at_level(logging.WARNING):
        br = BatchResult.from_dict({"all": items})
    assert br.completion_reason is R.FAILURE_TOLERANCE_EXCEEDED  # fail-fast default
    assert "completionReason" in caplog.text
    tolerant = BatchResult.from_dict({"all": items}, CompletionConfig.all_completed())
    assert tolerant.completion_reason is R.ALL_COMPLETED


def test_from_items_uses_len_items_as_total(policy_cls):
    items = [BatchItem(0, S, 1), BatchItem(1, ST)]
    assert BatchResult.from_items(items).completion_reason is R.ALL_COMPLETED  # fallback
    first = BatchResult.from_items(items, CompletionConfig.first_successful())
    assert first.completion_reason is R.MIN_SUCCESSFUL_REACHED


def test_batch_result_views_and_counts():
    br = sample()
    assert [i.index for i in br.succeeded()] == [0, 2]
    assert [i.index for i in br.failed()] == [1, 4]
    assert [i.index for i in br.started()] == [3]
    assert br.get_results() == [{"a": 1}, None]  # None results are kept
    assert br.get_errors() == [VALUE_ERROR, CUSTOM_ERROR]
    assert (br.success_count, br.failure_count, br.started_count, br.total_count) == (2, 2, 1, 5)
    assert br.has_failure is True
    assert br.status is F


@pytest.mark.parametrize(
    ("items", "reason", "status"),
    [
        ([BatchItem(0, S, 1)], R.ALL_COMPLETED, S),
        ([BatchItem(0, S, 1), BatchItem(1, ST)], R.MIN_SUCCESSFUL_REACHED, S),
        ([BatchItem(0, F, None, VALUE_ERROR)], R.ALL_COMPLETED, F),
        ([BatchItem(0, F, None, VALUE_ERROR)], R.CUSTOM_COMPLETION_SUCCEEDED, S),
        ([BatchItem(0, S, 1)], R.CUSTOM_COMPLETION_FAILED, F),
        ([], R.ALL_COMPLETED, S),
    ],
)
def test_batch_result_status(items, reason, status):
    assert BatchResult(items, reason).status is status


def test_throw_if_error_first_failed_item():
    with pytest.raises(ChildContextError) as info:
        sample().throw_if_error()
    err = info.value
    assert err.message == "bad input"
    assert err.error_type == "ValueError"  # the inner error type, not the wrapper


def test_throw_if_error_keeps_error_fields():
    br = BatchResult([BatchItem(0, S, 1), BatchItem(1, F, None, CUSTOM_ERROR)], R.ALL_COMPLETED)
    with pytest.raises(ChildContextError) as info:
        br.throw_if_error()
    assert (info.value.error_type, info.value.data, info.value.stack_trace) == (
        "mymod.CustomError",
        "data",
        ["line 1"],
    )


def test_throw_if_error_failed_item_without_error():
    with pytest.raises(ChildContextError, match="item 2"):
        BatchResult([BatchItem(2, F)], R.ALL_COMPLETED).throw_if_error()


def test_throw_if_error_custom_failed_without_failed_item():
    br = BatchResult([BatchItem(0, S, 1), BatchItem(1, ST)], R.CUSTOM_COMPLETION_FAILED)
    with pytest.raises(BatchCompletionError) as info:
        br.throw_if_error()
    assert info.value.completion_reason is R.CUSTOM_COMPLETION_FAILED
    assert "CUSTOM_COMPLETION_FAILED" in str(info.value)


def test_throw_if_error_no_failure_returns():
    br = BatchResult([BatchItem(0, S, 1), BatchItem(1, ST)], R.MIN_SUCCESSFUL_REACHED)
    assert br.throw_if_error() is None
    assert BatchResult([BatchItem(0, S)], R.CUSTOM_COMPLETION_SUCCEEDED).throw_if_error() is None


def test_reexports():
    assert package_models.CompletionPolicy is _completion.CompletionPolicy
    from lambda_durable import exceptions

    assert BatchCompletionError is exceptions.BatchCompletionError
    assert exceptions.BatchCompletionError().completion_reason is R.CUSTOM_COMPLETION_FAILED
    if _completion.COMPILED:
        from lambda_durable import _completion_c

        assert CompletionPolicy is _completion_c.CompletionPolicy
    else:
        assert CompletionPolicy is _completion_py.CompletionPolicy


# --- completion policy ------------------------------------------------------------------------


# (config kwargs, total, succeeded, failed) -> (tolerance exceeded, decide())
POLICY_TABLE = [
    # fail-fast (no config): any failure ends the batch
    ({}, 3, 0, 0, False, (False, None)),
    ({}, 3, 2, 0, False, (False, None)),
    ({}, 3, 3, 0, False, (True, R.ALL_COMPLETED)),
    ({}, 3, 1, 1, True, (True, R.FAILURE_TOLERANCE_EXCEEDED)),
    ({}, 1, 0, 1, True, (True, R.FAILURE_TOLERANCE_EXCEEDED)),  # tolerance beats all-completed
    ({}, 0, 0, 0, False, (True, R.ALL_COMPLETED)),  # empty batch completes at once
    # tolerated_failure_count
    ({"tolerated_failure_count": 1}, 3, 0, 1, False, (False, None)),
    ({"tolerated_failure_count": 1}, 3, 0, 2, True, (True, R.FAILURE_TOLERANCE_EXCEEDED)),
    ({"tolerated_failure_count": 1}, 3, 2, 1, False, (True, R.ALL_COMPLETED)),
    ({"tolerated_failure_count": 0}, 3, 2, 0, False, (False, None)),
    # tolerated_failure_percentage: failed / total * 100 > pct
    ({"tolerated_failure_percentage": 30}, 3, 0, 1, True, (True, R.FAILURE_TOLERANCE_EXCEEDED)),
    ({"tolerated_failure_percentage": 50}, 2, 0, 1, False, (False, None)),
    ({"tolerated_failure_percentage": 50}, 4, 1, 2, False, (False, None)),
    ({"tolerated_failure_percentage": 50}, 4, 0, 3, True, (True, R.FAILURE_TOLERANCE_EXCEEDED)),
    ({"tolerated_failure_percentage": 100}, 3, 0, 3, False, (True, R.ALL_COMPLETED)),
    # float quirk kept for compatibility: 7 / 100 * 100 == 7.000000000000001 > 7
    ({"tolerated_failure_percentage": 7}, 100, 0, 7, True, (True, R.FAILURE_TOLERANCE_EXCEEDED)),
    ({"tolerated_failure_percentage": 7}, 100, 0, 6, False, (False, None)),
    # count and percentage: either exceeds
    ({"tolerated_failure_count": 5, "tolerated_failure_percentage": 10}, 10, 0, 2, True,
     (True, R.FAILURE_TOLERANCE_EXCEEDED)),
    ({"tolerated_failure_count": 1, "tolerated_failure_percentage": 90}, 10, 0, 2, True,
     (True, R.FAILURE_TOLERANCE_EXCEEDED)),
    # min_successful (no tolerance set -> failures never exceed)
    ({"min_successful": 2}, 4, 1, 0, False, (False, None)),
    ({"min_successful": 2}, 4, 2, 0, False, (True, R.MIN_SUCCESSFUL_REACHED)),
    ({"min_successful": 2}, 4, 1, 2, False, (False, None)),
    ({"min_successful": 2}, 4, 1, 3, False, (True, R.ALL_COMPLETED)),
    ({"min_successful": 2}, 2, 2, 0, False, (True, R.ALL_COMPLETED)),  # all-completed beats min
    ({"min_successful": 1, "tolerated_failure_count": 0}, 3, 1, 1, True,
     (True, R.FAILURE_TOLERANCE_EXCEEDED)),  # tolerance beats min_successful
    # presets
    ({"min_successful": 1}, 5, 1, 3, False, (True, R.MIN_SUCCESSFUL_REACHED)),  # first_successful
    ({"tolerated_failure_count": 0, "tolerated_failure_percentage": 0}, 3, 2, 1, True,
     (True, R.FAILURE_TOLERANCE_EXCEEDED)),  # all_successful
]


@pytest.mark.parametrize(
    ("kw", "total", "succeeded", "failed", "exceeded", "decided"), POLICY_TABLE
)
def test_policy_table(policy, kw, total, succeeded, failed, exceeded, decided):
    p = policy(total, **kw)
    assert p.is_tolerance_exceeded(failed) is exceeded
    assert p.should_continue(failed) is (not exceeded)
    assert p.decide(succeeded, failed) == decided
    complete, why = decided
    # the finer-grained official methods agree with decide()
    assert p.reason(succeeded, failed) is (why if complete else R.ALL_COMPLETED)
    if not exceeded:
        assert p.is_complete(succeeded, failed) is complete


def test_policy_from_config_and_fields(policy_cls):
    p = policy_cls.from_config(7, CompletionConfig(2, 1, 50.0))
    assert (p.total, p.min_successful, p.tolerated_failure_count) == (7, 2, 1)
    assert p.tolerated_failure_percentage == 50.0 and p.should_complete is None
    assert p.has_criteria is True
    assert policy_cls.from_config(7, None) == policy_cls(7)
    assert policy_cls(7).has_criteria is False
    assert policy_cls.from_config(3, CompletionConfig()) == policy_cls(3)
    with pytest.raises(AttributeError):
        p.total = 3  # type: ignore[misc]
    assert "total=7" in repr(p)


def test_policy_every_terminal_state_completes(policy):
    """B17: once every item is terminal the batch completes, whatever the config."""
    configs = [
        {},
        {"min_successful": 2, "tolerated_failure_count": 1},
        {"min_successful": 3},
        {"tolerated_failure_count": 2},
        {"tolerated_failure_percentage": 100},
        {"should_complete": lambda status: continue_batch()},
        {"should_complete": lambda status: None},
    ]
    for kw in configs:
        for total in range(0, 5):
            p = policy(total, **kw)
            for s in range(total + 1):
                complete, why = p.decide(s, total - s)
                assert complete is True, (kw, total, s)
                assert why is not None


# --- custom predicate -------------------------------------------------------------------------


def test_predicate_receives_status_and_decides(policy):
    seen: list[CompletionStatus] = []

    def quorum(status: CompletionStatus):
        seen.append(status)
        if status.failure_count >= 2:
            return complete_batch(CompletionOutcome.FAILED)
        if status.success_count >= 2:
            return complete_batch()
        return continue_batch()

    p = policy(5, should_complete=quorum)
    items = (CompletionItemStatus(0, "a", S), CompletionItemStatus(1, "b", None))
    assert p.decide(1, 0, items) == (False, None)
    assert seen[-1] == CompletionStatus(1, 0, 1, 5, items)
    assert p.decide(2, 1) == (True, R.CUSTOM_COMPLETION_SUCCEEDED)
    assert p.decide(0, 2) == (True, R.CUSTOM_COMPLETION_FAILED)
    assert p.decide(1, 1) == (False, None)
    # predicate disables tolerance: many failures do not exceed it
    assert p.is_tolerance_exceeded(4) is False
    assert p.should_continue(4) is True
    # not fired + all finished -> ALL_COMPLETED
    assert p.decide(4, 1) == (True, R.CUSTOM_COMPLETION_SUCCEEDED)
    assert policy(2, should_complete=lambda s: continue_batch()).decide(1, 1) == (
        True,
        R.ALL_COMPLETED,
    )


def test_predicate_runs_once_per_decide_and_decision_can_be_reused(policy):
    calls = []

    def pred(status):
        calls.append(status.completed_count)
        return complete_batch(CompletionOutcome.FAILED)

    p = policy(3, should_complete=pred)
    assert p.decide(0, 1) == (True, R.CUSTOM_COMPLETION_FAILED)
    assert calls == [1]
    decision = p.evaluate(1, 1)
    assert decision == complete_batch(CompletionOutcome.FAILED)
    assert p.is_complete(1, 1, (), decision) is True
    assert p.reason(1, 1, (), decision) is R.CUSTOM_COMPLETION_FAILED
    assert p.decide(1, 1, (), decision) == (True, R.CUSTOM_COMPLETION_FAILED)
    assert calls == [1, 2]  # only evaluate() ran it again


def test_predicate_without_predicate_evaluate_is_none(policy):
    assert policy(3).evaluate(1, 1) is None


def test_predicate_bad_return_is_validation_error(policy):
    p = policy(3, should_complete=lambda status: True)
    with pytest.raises(ValidationError, match="CompletionDecision"):
        p.decide(1, 0)


# --- B16: sequential runs (max_concurrency 1) -------------------------------------------------


def run_sequential(outcomes, config, policy_cls):
    """Admit items in index order one at a time, as a coordinator with max_concurrency 1 does,
    asking the policy (a ``policy_cls``) before scheduling and after every transition. Returns
    the BatchResult."""
    p = policy_cls.from_config(len(outcomes), config)
    items: list[BatchItem] = []
    succeeded = failed = 0
    complete, reason = p.decide(0, 0)
    for index, outcome in enumerate(outcomes):
        if complete:
            break
        if outcome == "ok":
            items.append(BatchItem(index, S, f"r{index}"))
            succeeded += 1
        else:
            items.append(BatchItem(index, F, None, ErrorObject(outcome, "Exception", None, None)))
            failed += 1
        snapshot = tuple(CompletionItemStatus(i.index, None, i.status) for i in items)
        complete, reason = p.decide(succeeded, failed, snapshot)
    assert complete, "policy must end the batch once all items are terminal (B17)"
    return BatchResult(items, reason)


def counts(br):
    return br.completion_reason, br.success_count, br.failure_count, br.total_count


def test_b16a_tolerance_checked_first(policy_cls):
    br = run_sequential(
        ["boom", "boom", "ok"], CompletionConfig(tolerated_failure_count=1), policy_cls
    )
    assert counts(br) == (R.FAILURE_TOLERANCE_EXCEEDED, 0, 2, 2)  # branch 2 never started


@pytest.mark.parametrize("config", [None, CompletionConfig()])
def test_b16bc_empty_config_is_fail_fast(config, policy_cls):
    br = run_sequential(["ok", "boom", "ok"], config, policy_cls)
    assert counts(br) == (R.FAILURE_TOLERANCE_EXCEEDED, 1, 1, 2)
    assert br.status is F
    with pytest.raises(ChildContextError):
        br.throw_if_error()


def test_b16_parallel_default_behaves_as_fail_fast(policy_cls):
    br = run_sequential(["ok", "boom", "ok"], CompletionConfig.all_successful(), policy_cls)
    assert counts(br) == (R.FAILURE_TOLERANCE_EXCEEDED, 1, 1, 2)


def test_b16d_tolerated_count_honoured(policy_cls):
    br = run_sequential(
        ["ok", "boom", "ok"], CompletionConfig(tolerated_failure_count=1), policy_cls
    )
    assert counts(br) == (R.ALL_COMPLETED, 2, 1, 3)


def test_b16e_percentage(policy_cls):
    br = run_sequential(
        ["ok", "boom", "ok"], CompletionConfig(tolerated_failure_percentage=30), policy_cls
    )
    assert counts(br) == (R.FAILURE_TOLERANCE_EXCEEDED, 1, 1, 2)
    br = run_sequential(
        ["ok", "boom", "ok"], CompletionConfig(tolerated_failure_percentage=34), policy_cls
    )
    assert counts(br) == (R.ALL_COMPLETED, 2, 1, 3)


# --- B17 --------------------------------------------------------------------------------------


def test_b17_unreachable_min_successful_still_completes(policy_cls):
    config = CompletionConfig(min_successful=2, tolerated_failure_count=1)
    p = policy_cls.from_config(2, config)
    assert p.decide(0, 1) == (False, None)  # item 0 failed, item 1 still running
    assert p.decide(1, 1) == (True, R.ALL_COMPLETED)
    br = run_sequential(["boom", "ok"], config, policy_cls)
    assert [(i.index, i.status) for i in br.all] == [(0, F), (1, S)]
    assert br.completion_reason is R.ALL_COMPLETED


def test_b17_all_none_config_fails_fast(policy_cls):
    br = run_sequential(["boom", "ok"], CompletionConfig(), policy_cls)
    assert counts(br) == (R.FAILURE_TOLERANCE_EXCEEDED, 0, 1, 1)


def test_b17_min_successful_one_stops_at_first_success(policy_cls):
    p = policy_cls.from_config(2, CompletionConfig(min_successful=1))
    assert p.decide(1, 0) == (True, R.MIN_SUCCESSFUL_REACHED)
    # the straggler still running is reported STARTED and cannot change the result
    br = BatchResult([BatchItem(0, S, "ok"), BatchItem(1, ST)], R.MIN_SUCCESSFUL_REACHED)
    assert br.status is S and br.get_results() == ["ok"] and br.started_count == 1


# --- summary record ---------------------------------------------------------------------------


def test_summary_envelope_wire_form():
    payload = CompletionRecord.summary_envelope(sample(), "MapResult", "five items")
    assert payload == (
        '{"type": "MapResult", "totalCount": 5, "completionReason": "FAILURE_TOLERANCE_EXCEEDED", '
        '"startedIndexes": [3], "startedCount": 1, "successCount": 2, "failureCount": 2, '
        '"status": "FAILED", "summary": "five items"}'
    )
    no_summary = json.loads(CompletionRecord.summary_envelope(sample(), "ParallelResult", None))
    assert "summary" not in no_summary and no_summary["type"] == "ParallelResult"


def test_summary_index_fields_shorter_list():
    items = [BatchItem(0, S), BatchItem(1, ST), BatchItem(2, ST), BatchItem(3, ST)]
    assert CompletionRecord.summary_index_fields(items) == {"completedIndexes": [0]}
    tie = [BatchItem(0, S), BatchItem(1, ST)]
    assert CompletionRecord.summary_index_fields(tie) == {"startedIndexes": [1]}
    assert CompletionRecord.summary_index_fields([]) == {"startedIndexes": []}


def test_completion_record_round_trip():
    br = BatchResult([BatchItem(0, S), BatchItem(1, ST), BatchItem(2, ST), BatchItem(3, ST)],
                     R.MIN_SUCCESSFUL_REACHED)
    record = CompletionRecord.from_summary_payload(
        CompletionRecord.summary_envelope(br, "MapResult", None)
    )
    assert record == CompletionRecord(R.MIN_SUCCESSFUL_REACHED, 4, frozenset({1, 2, 3}))
    record = CompletionRecord.from_summary_payload(
        CompletionRecord.summary_envelope(sample(), "MapResult", "x")
    )
    assert record == CompletionRecord(R.FAILURE_TOLERANCE_EXCEEDED, 5, frozenset({3}))


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "",
        "not json",
        "[1, 2]",
        '{"completionReason": "ALL_COMPLETED", "startedIndexes": []}',
        '{"totalCount": 2, "completionReason": "WHATEVER", "startedIndexes": []}',
        '{"totalCount": -1, "completionReason": "ALL_COMPLETED", "startedIndexes": []}',
        '{"totalCount": true, "completionReason": "ALL_COMPLETED", "startedIndexes": []}',
        '{"totalCount": 2, "completionReason": "ALL_COMPLETED"}',
        '{"totalCount": 2, "completionReason": "ALL_COMPLETED", "startedIndexes": [2]}',
        '{"totalCount": 2, "completionReason": "ALL_COMPLETED", "startedIndexes": [true]}',
        '{"totalCount": 2, "completionReason": "ALL_COMPLETED", "completedIndexes": "0"}',
        "user summary text",
    ],
)
def test_completion_record_rejects_malformed(payload):
    assert CompletionRecord.from_summary_payload(payload) is None


def test_envelope_summary_generator():
    gen = envelope_summary_generator("ParallelResult", lambda br: f"{br.total_count} branches")
    out = json.loads(gen(sample()))
    assert out["summary"] == "5 branches" and out["type"] == "ParallelResult"
    assert "summary" not in json.loads(envelope_summary_generator("MapResult", None)(sample()))

    def broken(br):
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError):
        envelope_summary_generator("MapResult", broken)(sample())


# --- coordinator values -----------------------------------------------------------------------


def test_branch_state_machine():
    branch = Branch(Executable(3, len, "item-3"))
    assert branch.index == 3 and branch.status is BranchStatus.PENDING
    branch.start()
    assert branch.status is BranchStatus.RUNNING
    with pytest.raises(InvalidStateError):
        branch.start()
    branch.suspend_until(123.5)
    assert (branch.status, branch.resume_at) == (BranchStatus.SUSPENDED_WITH_TIMEOUT, 123.5)
    branch.start()
    assert branch.resume_at is None
    branch.suspend()
    with pytest.raises(InvalidStateError):
        branch.start()
    branch.complete("done")
    assert (branch.status, branch.result) == (BranchStatus.COMPLETED, "done")
    err = ValueError("x")
    branch.fail(err)
    assert (branch.status, branch.error) == (BranchStatus.FAILED, err)


def test_branch_events():
    err = ValueError("x")
    assert BranchEvent.completed(1, "r") == BranchEvent(1, BranchEventKind.COMPLETED, result="r")
    assert BranchEvent.failed(1, err).error is err
    assert BranchEvent.suspended(2).kind is BranchEventKind.SUSPENDED
    assert BranchEvent.suspended_until(2, 9.0).resume_at == 9.0
    assert BranchEvent.orphaned(0).kind is BranchEventKind.ORPHANED
    fatal = KeyboardInterrupt()
    assert BranchEvent.fatal(0, fatal).fatal_error is fatal


def test_policy_copy_and_pickle(policy_cls):
    import copy
    import pickle

    p = policy_cls(3, 1, 0, 50)
    assert pickle.loads(pickle.dumps(p)) == p
    assert copy.deepcopy(p) == p
    br = sample()
    assert pickle.loads(pickle.dumps(br)) == br
