"""Service-side validation of checkpoint updates (protocol.md 1.4, 3.5), through the boto-shaped
client a raw handler uses: every rejection is a 400 InvalidParameterValueException, the batch is
applied all-or-nothing and the token stays valid."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from lambda_durable.lambda_service import InvocationStatus
from lambda_durable.testing import DurableFunctionTestRunner
from lambda_durable.testing.errors import InvalidParameterValueException
from lambda_durable.testing.validation import validate_updates
from test_emulator_support import (
    callback_start,
    context_start,
    context_succeed,
    event_types,
    execution_succeed,
    raw_handler,
    step_retry,
    step_start,
    step_succeed,
    succeeded,
    wait_start,
)

ERR = {"ErrorType": "E", "ErrorMessage": "m"}

# (setup batches, rejected batch, message fragment)
CASES = {
    "execution update not last": ([], [execution_succeed("1"), step_start("s")], "must be the last"),
    "two execution updates": ([], [execution_succeed("1"), execution_succeed("2")], "at most one EXECUTION"),
    "id twice for wait": ([], [wait_start("w", 1), wait_start("w", 1)], "may appear twice"),
    "step start twice in a call": ([], [step_start("s"), step_start("s")], "may appear twice"),
    "step three times in a call": ([], [step_start("s"), step_succeed("s", "1"), step_succeed("s", "1")],
                                   "may appear twice"),
    "unknown parent": ([], [step_start("s", parent="nope")], "does not name an operation"),
    "parent is not a context": ([[step_start("p")]], [step_start("s", parent="p")], "not a CONTEXT"),
    "type changes": ([[wait_start("x", 5)]], [step_start("x")], "Type 'STEP' does not match"),
    "name changes": ([[step_start("s", "a")]], [step_succeed("s", "1", name="b")], "Name 'b' does not match"),
    "sub type changes": ([[step_start("s")]], [step_succeed("s", "1", sub_type="WaitForCondition")],
                         "SubType"),
    "parent changes": ([[context_start("c"), step_start("s")]], [step_succeed("s", "1", parent="c")],
                       "ParentId"),
    "error too large": ([], [dict(step_start("s")), {"Id": "s2", "Type": "STEP", "Action": "FAIL",
                                                     "Error": {"ErrorMessage": "x" * 40000}}],
                        "at most 32768"),
    "wait succeed is not an action": ([], [{"Id": "w", "Type": "WAIT", "Action": "SUCCEED"}], "not valid"),
    "callback cancel is not an action": ([], [{"Id": "c", "Type": "CALLBACK", "Action": "CANCEL"}], "not valid"),
    "execution start is not an action": ([], [{"Id": "e", "Type": "EXECUTION", "Action": "START"}], "not valid"),
    "context retry is not an action": ([], [{"Id": "c", "Type": "CONTEXT", "Action": "RETRY"}], "not valid"),
    "unknown type": ([], [{"Id": "x", "Type": "TIMER", "Action": "START"}], "invalid Type"),
    "unknown action": ([], [{"Id": "x", "Type": "STEP", "Action": "JUMP"}], "invalid Action"),
    "missing action": ([], [{"Id": "x", "Type": "STEP"}], "Action is required"),
    "bad id": ([], [step_start("has space")], "Id must be"),
    "long id": ([], [step_start("x" * 65)], "Id must be"),
    "non ascii name": ([], [step_start("s", "caf\u00e9")], "printable ASCII"),
    "long name": ([], [step_start("s", "n" * 257)], "printable ASCII"),
    "bad sub type": ([], [step_start("s", sub_type="Has Space")], "SubType"),
    "step start when started": ([[step_start("s")]], [step_start("s")], "only START when absent or READY"),
    "step start when pending": ([[step_start("s"), step_retry("s", 60, error=ERR)]], [step_start("s")],
                                "only START when absent or READY"),
    "step succeed when pending": ([[step_start("s"), step_retry("s", 60, error=ERR)]],
                                  [step_succeed("s", "1")], "from STARTED or READY"),
    "step succeed when succeeded": ([[step_start("s"), step_succeed("s", "1")]], [step_succeed("s", "1")],
                                    "from STARTED or READY"),
    "retry when absent": ([], [step_retry("s", 5, error=ERR)], "RETRY from STARTED or READY"),
    "retry without options": ([[step_start("s")]], [{"Id": "s", "Type": "STEP", "Action": "RETRY", "Error": ERR}],
                              "requires StepOptions"),
    "retry with error and payload": ([[step_start("s")]], [step_retry("s", 5, error=ERR, payload="1")],
                                     "both an Error and a Payload"),
    "retry delay zero": ([[step_start("s")]], [step_retry("s", 0, error=ERR)], "between 1 and"),
    "context start twice": ([[context_start("c")]], [context_start("c")], "does not exist"),
    "context succeed when absent": ([], [context_succeed("c", "1")], "CONTEXT can only SUCCEED from STARTED"),
    "context succeed twice": ([[context_start("c"), context_succeed("c", "1")]], [context_succeed("c", "1")],
                              "from STARTED"),
    "wait start twice": ([[wait_start("w", 5)]], [wait_start("w", 5)], "does not exist"),
    "wait cancel when absent": ([], [{"Id": "w", "Type": "WAIT", "Action": "CANCEL"}], "cancelled from STARTED"),
    "wait without options": ([], [{"Id": "w", "Type": "WAIT", "Action": "START"}], "WaitOptions.WaitSeconds"),
    "wait too short": ([], [wait_start("w", 0)], "between 1 and"),
    "wait too long": ([], [wait_start("w", 31_622_401)], "between 1 and"),
    "wait not integer": ([], [wait_start("w", 1.5)], "integer"),
    "callback start twice": ([[callback_start("c")]], [callback_start("c")], "does not exist"),
    "callback timeout negative": ([], [callback_start("c", timeout=-1)], "TimeoutSeconds"),
    "invoke without function": ([], [{"Id": "i", "Type": "CHAINED_INVOKE", "Action": "START"}], "FunctionName"),
    "fail with payload": ([[step_start("s")]], [{"Id": "s", "Type": "STEP", "Action": "FAIL", "Payload": "1",
                                                 "Error": ERR}], "must not carry a Payload"),
    "succeed with error": ([[step_start("s")]], [{"Id": "s", "Type": "STEP", "Action": "SUCCEED", "Error": ERR}],
                           "must not carry an Error"),
    "execution succeed with error": ([], [{"Id": "e", "Type": "EXECUTION", "Action": "SUCCEED", "Error": ERR}],
                                     "must not carry an Error"),
    "step payload too large": ([[step_start("s")]], [step_succeed("s", json.dumps("\u00e9" * 131_072))],
                               "STEP output payload size must be less than or equal to 262144 bytes"),
    "payload not a string": ([[step_start("s")]], [{"Id": "s", "Type": "STEP", "Action": "SUCCEED", "Payload": 1}],
                             "Payload must be a string"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rejected_updates(case):
    setups, batch, fragment = CASES[case]
    seen = {}

    def body(raw):
        for setup in setups:
            raw.checkpoint(*setup)
        token = raw.token
        with pytest.raises(ClientError) as info:
            raw.checkpoint(*batch)
        seen["error"] = info.value.response
        assert raw.token == token  # a rejected call does not consume the token
        raw.checkpoint()
        return succeeded("after")

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        result = runner.run()
    error = seen["error"]
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert fragment in error["Error"]["Message"]
    assert result.status is InvocationStatus.SUCCEEDED


def test_rejected_batch_is_not_applied_at_all():
    seen = {}

    def body(raw):
        with pytest.raises(ClientError):
            raw.checkpoint(step_start("good"), wait_start("bad", 0))
        seen["ops"] = set(raw.ops)
        return succeeded(None)

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        result = runner.run()
    assert "good" not in seen["ops"]
    assert event_types(result.history) == ["ExecutionStarted", "InvocationCompleted", "ExecutionSucceeded"]


@pytest.mark.parametrize(
    "batch",
    [
        [step_start("s"), step_succeed("s", "1")],
        [context_start("c"), step_start("s", parent="c"), step_succeed("s", "1", parent="c"),
         context_succeed("c", "1")],
        [context_start("c"), context_start("d", parent="c"), wait_start("w", 5, parent="d")],
        [step_start("s"), step_succeed("s", None), execution_succeed("1")],
        [callback_start("cb", "n", timeout=99_999_999, heartbeat=1)],
        [step_start("s"), step_retry("s", 31_622_400, payload="1")],
        [step_start("s", "x" * 256)],
    ],
)
def test_accepted_batches(batch):
    validate_updates(batch, {})


def test_accepted_transitions_from_stored_state():
    ops = {
        "r": {"Id": "r", "Type": "STEP", "SubType": "Step", "Status": "READY"},
        "st": {"Id": "st", "Type": "STEP", "SubType": "Step", "Status": "STARTED", "Name": "n"},
        "c": {"Id": "c", "Type": "CONTEXT", "SubType": "RunInChildContext", "Status": "STARTED"},
        "w": {"Id": "w", "Type": "WAIT", "SubType": "Wait", "Status": "STARTED"},
    }
    validate_updates([step_start("r"), step_succeed("r", "1")], ops)
    validate_updates([step_retry("r", 2, error=ERR)], ops)
    validate_updates([step_succeed("st", "1", name="n")], ops)
    validate_updates([context_succeed("c", "1")], ops)
    validate_updates([{"Id": "w", "Type": "WAIT", "Action": "CANCEL"}], ops)
    validate_updates([step_start("x", parent="c")], ops)
    with pytest.raises(InvalidParameterValueException):
        validate_updates("not a list", ops)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterValueException):
        validate_updates([42], ops)  # type: ignore[list-item]


def test_client_token_pattern_is_checked():
    seen = {}

    def body(raw):
        with pytest.raises(ClientError) as info:
            raw.checkpoint(client_token="has space")
        seen["message"] = info.value.response["Error"]["Message"]
        return succeeded(None)

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        runner.run()
    assert "ClientToken" in seen["message"]


def test_malformed_token_is_invalid_checkpoint_token():
    seen = {}

    def body(raw):
        for token in ("", "not a token!", None):
            try:
                raw.client.checkpoint_durable_execution(DurableExecutionArn=raw.arn, CheckpointToken=token, Updates=[])
            except ClientError as error:
                seen.setdefault("messages", []).append(error.response["Error"]["Message"])
        return succeeded(None)

    with DurableFunctionTestRunner(raw_handler(body)) as runner:
        runner.run()
    assert len(seen["messages"]) == 3
    assert all(m.startswith("Invalid checkpoint token") for m in seen["messages"])
