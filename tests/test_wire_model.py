"""lambda_durable.lambda_service typed wire model: OperationUpdate factories, option and details
classes, Operation (dict / JSON forms) and OperationIdentifier.

``OFFICIAL_UPDATES`` and ``OFFICIAL_OPERATIONS`` were produced by running the official SDK 3.0.0
(``OperationUpdate.create_*(...).to_dict()`` and ``Operation.from_json_dict(o).to_json_dict()``)
on the same arguments; lambda_durable must reproduce them exactly.
"""
from __future__ import annotations

import copy
import datetime
import json
import time

import pytest

from lambda_durable.exceptions import NonDeterministicExecutionError
from lambda_durable.identifier import OperationIdentifier
from lambda_durable.lambda_service import (
    CallbackDetails,
    CallbackOptions,
    ChainedInvokeDetails,
    ChainedInvokeOptions,
    ContextDetails,
    ContextOptions,
    ErrorObject,
    ExecutionDetails,
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    OperationUpdate,
    StepDetails,
    StepOptions,
    WaitDetails,
    WaitOptions,
)

UTC = datetime.timezone.utc
ERR = ErrorObject("boom", "ValueError", "d", ["l1"])
ERR_DICT = {"ErrorMessage": "boom", "ErrorType": "ValueError", "ErrorData": "d", "StackTrace": ["l1"]}


def ident(sub_type, op_type, name="n", parent="p"):
    return OperationIdentifier("op1", sub_type, parent, name, operation_type=op_type)


# (label, factory call, expected wire dict from the official SDK 3.0.0)
OFFICIAL_UPDATES = [
    (
        "callback",
        lambda: OperationUpdate.create_callback(
            ident("Callback", OperationType.CALLBACK), CallbackOptions(timeout_seconds=5)
        ),
        {"Id": "op1", "Type": "CALLBACK", "Action": "START", "ParentId": "p", "Name": "n",
         "SubType": "Callback", "CallbackOptions": {"TimeoutSeconds": 5, "HeartbeatTimeoutSeconds": 0}},
    ),
    (
        "ctx_start",
        lambda: OperationUpdate.create_context_start(ident("Map", OperationType.CONTEXT, name=None)),
        {"Id": "op1", "Type": "CONTEXT", "Action": "START", "ParentId": "p", "SubType": "Map"},
    ),
    (
        "ctx_succeed",
        lambda: OperationUpdate.create_context_succeed(
            ident("RunInChildContext", OperationType.CONTEXT), "",
            context_options=ContextOptions(replay_children=True),
        ),
        {"Id": "op1", "Type": "CONTEXT", "Action": "SUCCEED", "ParentId": "p", "Name": "n",
         "SubType": "RunInChildContext", "Payload": "", "ContextOptions": {"ReplayChildren": True}},
    ),
    (
        "ctx_succeed_false",
        lambda: OperationUpdate.create_context_succeed(
            ident("RunInChildContext", OperationType.CONTEXT), "x", context_options=ContextOptions()
        ),
        {"Id": "op1", "Type": "CONTEXT", "Action": "SUCCEED", "ParentId": "p", "Name": "n",
         "SubType": "RunInChildContext", "Payload": "x", "ContextOptions": {"ReplayChildren": False}},
    ),
    (
        "ctx_fail",
        lambda: OperationUpdate.create_context_fail(ident("ParallelBranch", OperationType.CONTEXT), ERR),
        {"Id": "op1", "Type": "CONTEXT", "Action": "FAIL", "ParentId": "p", "Name": "n",
         "SubType": "ParallelBranch", "Error": ERR_DICT},
    ),
    (
        "step_start",
        lambda: OperationUpdate.create_step_start(ident("Step", OperationType.STEP, parent=None)),
        {"Id": "op1", "Type": "STEP", "Action": "START", "Name": "n", "SubType": "Step"},
    ),
    (
        "step_succeed",
        lambda: OperationUpdate.create_step_succeed(ident("Step", OperationType.STEP), '{"t":1}'),
        {"Id": "op1", "Type": "STEP", "Action": "SUCCEED", "ParentId": "p", "Name": "n",
         "SubType": "Step", "Payload": '{"t":1}'},
    ),
    (
        "step_succeed_none",
        lambda: OperationUpdate.create_step_succeed(ident("Step", OperationType.STEP), None),
        {"Id": "op1", "Type": "STEP", "Action": "SUCCEED", "ParentId": "p", "Name": "n", "SubType": "Step"},
    ),
    (
        "step_fail",
        lambda: OperationUpdate.create_step_fail(ident("Step", OperationType.STEP), ERR),
        {"Id": "op1", "Type": "STEP", "Action": "FAIL", "ParentId": "p", "Name": "n",
         "SubType": "Step", "Error": ERR_DICT},
    ),
    (
        "step_retry",
        lambda: OperationUpdate.create_step_retry(ident("Step", OperationType.STEP), ERR, 7),
        {"Id": "op1", "Type": "STEP", "Action": "RETRY", "ParentId": "p", "Name": "n",
         "SubType": "Step", "Error": ERR_DICT, "StepOptions": {"NextAttemptDelaySeconds": 7}},
    ),
    (
        "invoke",
        lambda: OperationUpdate.create_invoke_start(
            ident("ChainedInvoke", OperationType.CHAINED_INVOKE), '{"a": 1}',
            ChainedInvokeOptions("fn", tenant_id="t"),
        ),
        {"Id": "op1", "Type": "CHAINED_INVOKE", "Action": "START", "ParentId": "p", "Name": "n",
         "SubType": "ChainedInvoke", "Payload": '{"a": 1}',
         "ChainedInvokeOptions": {"FunctionName": "fn", "TenantId": "t"}},
    ),
    (
        "wfc_start",
        lambda: OperationUpdate.create_wait_for_condition_start(ident("WaitForCondition", OperationType.STEP)),
        {"Id": "op1", "Type": "STEP", "Action": "START", "ParentId": "p", "Name": "n",
         "SubType": "WaitForCondition"},
    ),
    (
        "wfc_succeed",
        lambda: OperationUpdate.create_wait_for_condition_succeed(
            ident("WaitForCondition", OperationType.STEP), "1"
        ),
        {"Id": "op1", "Type": "STEP", "Action": "SUCCEED", "ParentId": "p", "Name": "n",
         "SubType": "WaitForCondition", "Payload": "1"},
    ),
    (
        "wfc_retry",
        lambda: OperationUpdate.create_wait_for_condition_retry(
            ident("WaitForCondition", OperationType.STEP), "2", 3
        ),
        {"Id": "op1", "Type": "STEP", "Action": "RETRY", "ParentId": "p", "Name": "n",
         "SubType": "WaitForCondition", "Payload": "2", "StepOptions": {"NextAttemptDelaySeconds": 3}},
    ),
    (
        "wfc_fail",
        lambda: OperationUpdate.create_wait_for_condition_fail(
            ident("WaitForCondition", OperationType.STEP), ERR
        ),
        {"Id": "op1", "Type": "STEP", "Action": "FAIL", "ParentId": "p", "Name": "n",
         "SubType": "WaitForCondition", "Error": ERR_DICT},
    ),
    (
        "wait",
        lambda: OperationUpdate.create_wait_start(ident("Wait", OperationType.WAIT), WaitOptions(60)),
        {"Id": "op1", "Type": "WAIT", "Action": "START", "ParentId": "p", "Name": "n",
         "SubType": "Wait", "WaitOptions": {"WaitSeconds": 60}},
    ),
]


@pytest.mark.parametrize("label,make,expected", OFFICIAL_UPDATES, ids=[c[0] for c in OFFICIAL_UPDATES])
def test_factories_match_official(label, make, expected):
    update = make()
    wire = update.to_dict()
    assert wire == expected
    # key order is the official's too (it ends up in the JSON request body)
    assert list(wire) == list(expected)
    # and the wire dict parses back to an equal update that writes the same dict
    again = OperationUpdate.from_dict(copy.deepcopy(expected))
    assert again.to_dict() == expected
    assert again == update


@pytest.mark.parametrize(
    "make,op_type,sub_type,action",
    [
        (lambda i: OperationUpdate.create_step_start(i), "STEP", "Step", "START"),
        (lambda i: OperationUpdate.create_step_succeed(i, "1"), "STEP", "Step", "SUCCEED"),
        (lambda i: OperationUpdate.create_step_fail(i, ERR), "STEP", "Step", "FAIL"),
        (lambda i: OperationUpdate.create_step_retry(i, ERR, 2), "STEP", "Step", "RETRY"),
        (lambda i: OperationUpdate.create_wait_start(i, WaitOptions(5)), "WAIT", "Wait", "START"),
        (lambda i: OperationUpdate.create_callback(i, CallbackOptions()), "CALLBACK", "Callback", "START"),
        (
            lambda i: OperationUpdate.create_invoke_start(i, None, ChainedInvokeOptions("f")),
            "CHAINED_INVOKE", "ChainedInvoke", "START",
        ),
        (lambda i: OperationUpdate.create_wait_for_condition_start(i), "STEP", "WaitForCondition", "START"),
        (lambda i: OperationUpdate.create_wait_for_condition_succeed(i, "s"), "STEP", "WaitForCondition", "SUCCEED"),
        (lambda i: OperationUpdate.create_wait_for_condition_retry(i, "s", 1), "STEP", "WaitForCondition", "RETRY"),
        (lambda i: OperationUpdate.create_wait_for_condition_fail(i, ERR), "STEP", "WaitForCondition", "FAIL"),
        (lambda i: OperationUpdate.create_context_start(i), "CONTEXT", "RunInChildContext", "START"),
        (lambda i: OperationUpdate.create_context_succeed(i, "r"), "CONTEXT", "RunInChildContext", "SUCCEED"),
        (lambda i: OperationUpdate.create_context_fail(i, ERR), "CONTEXT", "RunInChildContext", "FAIL"),
    ],
)
@pytest.mark.parametrize("blank", [None, ""])
def test_factories_default_sub_type(make, op_type, sub_type, action, blank):
    """Without a sub_type on the identifier the factory writes the SDK's SubType (protocol 3.2)."""
    wire = make(OperationIdentifier("abc", blank)).to_dict()
    assert (wire["Id"], wire["Type"], wire["SubType"], wire["Action"]) == ("abc", op_type, sub_type, action)
    assert "ParentId" not in wire and "Name" not in wire


def test_caller_sub_type_is_kept():
    wire = OperationUpdate.create_step_start(OperationIdentifier("a", "Custom-1")).to_dict()
    assert wire["SubType"] == "Custom-1"


def test_context_succeed_always_carries_replay_children():
    wire = OperationUpdate.create_context_succeed(OperationIdentifier("c", "Map"), "r").to_dict()
    assert wire["ContextOptions"] == {"ReplayChildren": False}
    assert wire["Payload"] == "r"
    none_payload = OperationUpdate.create_context_succeed(OperationIdentifier("c"), None).to_dict()
    assert "Payload" not in none_payload and none_payload["ContextOptions"] == {"ReplayChildren": False}


def test_callback_start_always_carries_both_timeouts():
    wire = OperationUpdate.create_callback(OperationIdentifier("cb"), CallbackOptions()).to_dict()
    assert wire["CallbackOptions"] == {"TimeoutSeconds": 0, "HeartbeatTimeoutSeconds": 0}
    wire = OperationUpdate.create_callback(
        OperationIdentifier("cb"), CallbackOptions(heartbeat_timeout_seconds=9)
    ).to_dict()
    assert wire["CallbackOptions"] == {"TimeoutSeconds": 0, "HeartbeatTimeoutSeconds": 9}


def test_step_retry_always_carries_step_options():
    wire = OperationUpdate.create_step_retry(OperationIdentifier("s"), ERR, 1).to_dict()
    assert wire["StepOptions"] == {"NextAttemptDelaySeconds": 1}
    assert wire["Error"] == ERR_DICT


def test_empty_payload_is_kept_and_error_none_fields_omitted():
    wire = OperationUpdate.create_step_succeed(OperationIdentifier("s"), "").to_dict()
    assert wire["Payload"] == ""
    wire = OperationUpdate.create_step_fail(OperationIdentifier("s"), ErrorObject.from_message("m")).to_dict()
    assert wire["Error"] == {"ErrorMessage": "m"}


@pytest.mark.parametrize("factory,action", [
    (lambda: OperationUpdate.create_execution_succeed("big"), "SUCCEED"),
    (lambda: OperationUpdate.create_execution_fail(ERR), "FAIL"),
])
def test_execution_result_updates(factory, action):
    before = int(time.time() * 1000)
    wire = factory().to_dict()
    after = int(time.time() * 1000)
    assert set(wire) == {"Id", "Type", "Action", "Payload" if action == "SUCCEED" else "Error"}
    assert wire["Type"] == "EXECUTION" and wire["Action"] == action
    prefix, _, ms = wire["Id"].rpartition("-")
    assert prefix == "execution-result"
    assert before - 1 <= int(ms) <= after + 1


def test_update_accepts_typed_options_or_dicts():
    typed = OperationUpdate(
        "i", OperationType.STEP, OperationAction.RETRY,
        step_options=StepOptions(4), context_options=ContextOptions(True),
        wait_options=WaitOptions(3), callback_options=CallbackOptions(1, 2),
        chained_invoke_options=ChainedInvokeOptions("fn", "t", "Root=1"),
    )
    dicts = OperationUpdate(
        "i", OperationType.STEP, OperationAction.RETRY,
        step_options={"NextAttemptDelaySeconds": 4}, context_options={"ReplayChildren": True},
        wait_options={"WaitSeconds": 3}, callback_options={"TimeoutSeconds": 1, "HeartbeatTimeoutSeconds": 2},
        chained_invoke_options={"FunctionName": "fn", "TenantId": "t", "XAmznTraceId": "Root=1"},
    )
    assert typed.to_dict() == dicts.to_dict() == {
        "Id": "i", "Type": "STEP", "Action": "RETRY",
        "ContextOptions": {"ReplayChildren": True},
        "StepOptions": {"NextAttemptDelaySeconds": 4},
        "WaitOptions": {"WaitSeconds": 3},
        "CallbackOptions": {"TimeoutSeconds": 1, "HeartbeatTimeoutSeconds": 2},
        "ChainedInvokeOptions": {"FunctionName": "fn", "TenantId": "t", "XAmznTraceId": "Root=1"},
    }
    parsed = OperationUpdate.from_dict(dicts.to_dict())
    assert parsed == typed  # from_dict yields the typed classes
    assert isinstance(parsed.chained_invoke_options, ChainedInvokeOptions)


def test_update_from_dict_blank_fields():
    parsed = OperationUpdate.from_dict({"Id": "a", "Type": "WAIT", "Action": "START", "SubType": "", "StepOptions": {}})
    assert parsed.sub_type is None and parsed.step_options is None
    assert parsed.to_dict() == {"Id": "a", "Type": "WAIT", "Action": "START"}


def test_update_to_dict_is_json_serialisable():
    update = OperationUpdate.create_invoke_start(
        OperationIdentifier("i", None, "p", "nm"), "{}", ChainedInvokeOptions("f", x_amzn_trace_id="Root=1-a")
    )
    assert json.loads(json.dumps(update.to_dict())) == update.to_dict()


# --- options and details --------------------------------------------------------------------


def test_options_defaults_and_round_trip():
    assert StepOptions.from_dict({}) == StepOptions(0)
    assert WaitOptions.from_dict({}) == WaitOptions(1)
    assert WaitOptions().to_dict() == {"WaitSeconds": 1}
    assert CallbackOptions.from_dict({}) == CallbackOptions(0, 0)
    assert ContextOptions.from_dict({}) == ContextOptions(False)
    assert ChainedInvokeOptions("f").to_dict() == {"FunctionName": "f"}
    for opts in (StepOptions(9), WaitOptions(31_622_400), CallbackOptions(5, 6), ContextOptions(True),
                 ChainedInvokeOptions("arn:aws:lambda:us-east-1:123456789012:function:f:1", "ten", "Root=x")):
        assert type(opts).from_dict(opts.to_dict()) == opts
    with pytest.raises(KeyError):
        ChainedInvokeOptions.from_dict({})


def test_details_from_dict():
    ts = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    ms = 1714979289123
    assert ExecutionDetails.from_dict({"InputPayload": "{}"}) == ExecutionDetails("{}")
    assert ContextDetails.from_dict({}) == ContextDetails(False, None, None)
    assert ContextDetails.from_dict({"ReplayChildren": True, "Result": "r", "Error": {"ErrorMessage": "m"}}) == \
        ContextDetails(True, "r", ErrorObject("m", None, None, None))
    step = StepDetails.from_dict({"Attempt": 3, "NextAttemptTimestamp": ms, "Result": ""})
    assert step == StepDetails(3, ts, "", None)
    assert step.next_attempt_timestamp.tzinfo is not None
    assert StepDetails.from_dict({}) == StepDetails()
    assert WaitDetails.from_dict({"ScheduledEndTimestamp": ts}) == WaitDetails(ts)
    assert WaitDetails.from_dict({"ScheduledEndTimestamp": "2024-05-06T07:08:09.123Z"}) == WaitDetails(ts)
    assert CallbackDetails.from_dict({"CallbackId": "cb=", "Error": {}}) == CallbackDetails("cb=", None, None)
    with pytest.raises(KeyError):
        CallbackDetails.from_dict({})
    assert ChainedInvokeDetails.from_dict({"Result": "1"}) == ChainedInvokeDetails("1")


# --- Operation --------------------------------------------------------------------------------

# JSON-form operations; the official SDK's from_json_dict -> to_json_dict returns each unchanged.
OFFICIAL_OPERATIONS = [
    {"Id": "e", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 1700000000123,
     "ExecutionDetails": {"InputPayload": "{}"}},
    {"Id": "s", "Type": "STEP", "SubType": "Step", "Name": "n", "ParentId": "p", "Status": "PENDING",
     "StartTimestamp": 1700000000123,
     "StepDetails": {"Attempt": 2, "NextAttemptTimestamp": 1700000005000, "Error": {"ErrorMessage": "m", "ErrorType": "T"}}},
    {"Id": "s2", "Type": "STEP", "SubType": "Step", "Status": "SUCCEEDED", "StartTimestamp": 1700000000123,
     "EndTimestamp": 1700000001999, "StepDetails": {"Attempt": 0, "Result": "1"}},
    {"Id": "w", "Type": "WAIT", "SubType": "Wait", "Status": "STARTED", "StartTimestamp": 1700000000000,
     "WaitDetails": {"ScheduledEndTimestamp": 1700000060000}},
    {"Id": "c", "Type": "CALLBACK", "SubType": "Callback", "Status": "SUCCEEDED", "StartTimestamp": 1700000000000,
     "CallbackDetails": {"CallbackId": "abc=", "Result": "r"}},
    {"Id": "x", "Type": "CONTEXT", "SubType": "Map", "Status": "SUCCEEDED", "StartTimestamp": 1700000000000,
     "ContextDetails": {"ReplayChildren": True, "Result": "s"}},
    {"Id": "i", "Type": "CHAINED_INVOKE", "SubType": "ChainedInvoke", "Status": "FAILED",
     "StartTimestamp": 1700000000000, "ChainedInvokeDetails": {"Error": {"ErrorMessage": "m"}}},
]


@pytest.mark.parametrize("data", OFFICIAL_OPERATIONS, ids=[o["Id"] for o in OFFICIAL_OPERATIONS])
def test_operation_json_round_trip(data):
    original = copy.deepcopy(data)
    op = Operation.from_json_dict(data)
    assert data == original  # input untouched
    out = op.to_json_dict()
    assert out == data
    assert json.loads(json.dumps(out)) == data
    # the dict form keeps aware datetimes and parses back to the same Operation
    wire = op.to_dict()
    assert isinstance(wire["StartTimestamp"], datetime.datetime)
    assert wire["StartTimestamp"].tzinfo is not None
    assert Operation.from_dict(wire) == op


def test_operation_typed_fields():
    op = Operation.from_json_dict(OFFICIAL_OPERATIONS[1])
    assert op.operation_type is OperationType.STEP
    assert op.status is OperationStatus.PENDING
    assert op.sub_type == OperationSubType.STEP
    assert (op.parent_id, op.name) == ("p", "n")
    assert op.start_timestamp == datetime.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert op.step_details.attempt == 2
    assert op.step_details.next_attempt_timestamp == datetime.datetime(2023, 11, 14, 22, 13, 25, tzinfo=UTC)
    assert op.step_details.error == ErrorObject("m", "T", None, None)
    assert op.wait_details is op.callback_details is op.context_details is None


@pytest.mark.parametrize(
    "stamp",
    [
        1700000000123,  # invocation event: epoch ms
        datetime.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC),  # boto3
        datetime.datetime(2023, 11, 14, 22, 13, 20, 123000),  # naive = UTC
        datetime.datetime(2023, 11, 15, 0, 13, 20, 123000, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        "2023-11-14T22:13:20.123Z",
        "2023-11-14T22:13:20.123+00:00",
        1700000000.123,  # rest-json: epoch seconds
    ],
)
def test_operation_timestamp_forms(stamp):
    op = Operation.from_dict({"Id": "w", "Type": "WAIT", "Status": "STARTED", "StartTimestamp": stamp,
                              "WaitDetails": {"ScheduledEndTimestamp": stamp}})
    expected = datetime.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert op.start_timestamp == expected
    assert op.start_timestamp.utcoffset() is not None
    assert op.wait_details.scheduled_end_timestamp == expected
    out = op.to_json_dict()
    assert out["StartTimestamp"] == 1700000000123
    assert out["WaitDetails"]["ScheduledEndTimestamp"] == 1700000000123
    assert type(out["StartTimestamp"]) is int


def test_epoch_millis_exact_over_a_range():
    for ms in range(1_700_000_000_000, 1_700_000_000_000 + 5000, 7):
        op = Operation.from_json_dict({"Id": "a", "Type": "STEP", "Status": "STARTED", "StartTimestamp": ms})
        assert op.to_json_dict()["StartTimestamp"] == ms


def test_operation_to_dict_omissions():
    op = Operation(
        "c", OperationType.CONTEXT, OperationStatus.STARTED,
        context_details=ContextDetails(), step_details=StepDetails(), wait_details=WaitDetails(),
        execution_details=ExecutionDetails(), chained_invoke_details=ChainedInvokeDetails(),
        callback_details=CallbackDetails("cb"),
    )
    assert op.to_dict() == {
        "Id": "c", "Type": "CONTEXT", "Status": "STARTED",
        "ExecutionDetails": {}, "ContextDetails": {}, "StepDetails": {"Attempt": 0},
        "WaitDetails": {}, "CallbackDetails": {"CallbackId": "cb"}, "ChainedInvokeDetails": {},
    }
    assert op.to_json_dict() == op.to_dict()
    # empty details objects on the wire read as absent (as in the official SDK)
    assert Operation.from_dict(op.to_dict()).context_details is None


def test_operation_blank_sub_type_and_required_keys():
    assert Operation.from_dict({"Id": "a", "Type": "STEP", "Status": "READY", "SubType": ""}).sub_type is None
    with pytest.raises(KeyError):
        Operation.from_dict({"Type": "STEP", "Status": "READY"})
    with pytest.raises(ValueError):
        Operation.from_dict({"Id": "a", "Type": "NOPE", "Status": "READY"})


def test_operation_from_json_dict_shares_nothing():
    data = copy.deepcopy(OFFICIAL_OPERATIONS[1])
    data["StepDetails"]["Error"]["StackTrace"] = ["a"]
    op = Operation.from_json_dict(data)
    data["StepDetails"]["Error"]["StackTrace"].append("b")
    assert op.step_details.error.stack_trace == ["a"]


def test_state_layer_reads_typed_operations():
    """A custom DurableServiceClient may return Operation objects; the SDK converts them with
    to_dict() and must see the same wire fields."""
    from lambda_durable.state import _op_dict

    op = Operation.from_json_dict(OFFICIAL_OPERATIONS[2])
    wire = _op_dict(op)
    assert wire["StepDetails"] == {"Attempt": 0, "Result": "1"}
    assert wire["Status"] == "SUCCEEDED"


# --- OperationIdentifier ----------------------------------------------------------------------


def test_identifier_fields():
    i = OperationIdentifier("id1", "Step", "par", "nm", operation_type=OperationType.STEP)
    assert (i.operation_id, i.sub_type, i.parent_id, i.name, i.type) == ("id1", "Step", "par", "nm", OperationType.STEP)
    bare = OperationIdentifier("id2")
    assert (bare.sub_type, bare.parent_id, bare.name, bare.operation_type) == (None, None, None, None)
    kw = OperationIdentifier(operation_id="x", parent_id="p", name="n", sub_type="Wait")
    assert kw.sub_type == "Wait"
    with pytest.raises(TypeError):
        OperationIdentifier("x", "Step", "p", "n", OperationType.STEP)  # operation_type is keyword-only
    with pytest.raises(AttributeError):
        bare.name = "other"  # frozen


def test_identifier_validate_checkpoint():
    i = OperationIdentifier("id1", "Step", None, "nm", operation_type=OperationType.STEP)
    i.validate_checkpoint(None)
    stored = {"Id": "id1", "Type": "STEP", "SubType": "Step", "Name": "nm", "Status": "SUCCEEDED"}
    i.validate_checkpoint(stored)
    i.validate_checkpoint(Operation.from_dict({**stored, "ParentId": ""}))
    with pytest.raises(NonDeterministicExecutionError) as exc:
        i.validate_checkpoint({**stored, "Name": "other"})
    assert exc.value.step_id == "id1"
    with pytest.raises(NonDeterministicExecutionError):
        i.validate_checkpoint(Operation.from_dict({**stored, "Type": "WAIT", "SubType": "Wait"}))
