"""Unit tests of the conformance matcher (protocol.md 9.3-9.8) on small synthetic cases.

They need no requirement files and always run.
"""
from __future__ import annotations

import json
import random
import re

import pytest

from .matcher import (
    Bindings,
    CallbackAction,
    CallbackPlanner,
    LogRecord,
    check_logs,
    check_result,
    inherit_callback_names,
    is_placeholder,
    match_history,
    match_value,
    parse_callback_actions,
    parse_log_line,
)


def ok(expected, actual, bindings=None):
    return match_value(expected, actual, bindings if bindings is not None else Bindings())


# -- 9.3 bindings and substitution -----------------------------------------------------------------


def test_gen_str_variables_are_random_lowercase_alphanumerics():
    bindings = Bindings(rng=random.Random(7))
    bindings.bind_variables({"A": "${GEN_STR:10}", "B": "${GEN_STR:3}"})
    assert re.fullmatch(r"[a-z0-9]{10}", bindings["A"])
    assert re.fullmatch(r"[a-z0-9]{3}", bindings["B"])
    other = Bindings(rng=random.Random(8))
    other.bind_variables({"A": "${GEN_STR:10}"})
    assert other["A"] != bindings["A"]


def test_other_variables_are_bound_literally_or_as_str():
    bindings = Bindings()
    bindings.bind_variables({"S": "plain ${X}", "N": 3, "F": 1.5, "T": True, "X": "x"})
    assert bindings["S"] == "plain ${X}"  # no substitution inside Variables
    assert bindings["N"] == "3" and bindings["F"] == "1.5" and bindings["T"] == "True"


def test_substitution_replaces_bound_names_anywhere_recursively():
    bindings = Bindings({"A": "abc", "N": 5})
    value = {"k": "x-${A}-${N}", "l": ["${A}", {"m": "${A}${A}"}], "n": 7, "u": "${UNBOUND}"}
    assert bindings.substitute(value) == {
        "k": "x-abc-5",
        "l": ["abc", {"m": "abcabc"}],
        "n": 7,
        "u": "${UNBOUND}",
    }
    # only [A-Za-z_][A-Za-z0-9_]* names are substituted; regex forms are left alone
    assert bindings.substitute("${/a+/} ${1A}") == "${/a+/} ${1A}"
    # keys are not substituted; non-string values pass through
    assert bindings.substitute({"${A}": None}) == {"${A}": None}


def test_placeholder_and_regex_forms():
    assert is_placeholder("${ID1}") == "ID1"
    assert is_placeholder("${/x/}") is None
    assert is_placeholder(" ${ID1}") is None
    assert is_placeholder(3) is None


# -- 9.4 recursive matching ------------------------------------------------------------------------


def test_wildcard_and_empty_map_match_any_type():
    for actual in ("s", 3, None, [1], {"a": 1}, True):
        assert ok("*", actual) == []
        assert ok({}, actual) == []


def test_key_must_exist_even_for_wildcards():
    assert ok({"Result": "*"}, {"Result": None}) == []
    assert ok({"Result": {}}, {"Other": 1}) != []
    errors = ok({"Details": {"Result": "*"}}, {"Details": {}})
    assert len(errors) == 1 and "Details.Result" in errors[0] and "missing" in errors[0]


def test_extra_actual_keys_are_ignored():
    assert ok({"a": 1}, {"a": 1, "b": 2}) == []


def test_placeholder_binds_any_type_then_compares():
    bindings = Bindings()
    assert ok({"Id": "${ID1}", "N": "${N}"}, {"Id": "op-1", "N": {"x": [1]}}, bindings) == []
    assert bindings["ID1"] == "op-1" and bindings["N"] == {"x": [1]}
    assert ok("${ID1}", "op-1", bindings) == []
    errors = ok("${ID1}", "op-2", bindings)
    assert errors and "ID1" in errors[0]
    # bindings are never undone, even by a failing match
    assert bindings["ID1"] == "op-1"


def test_placeholder_bound_by_variables_compares_with_python_equality():
    bindings = Bindings({"X": "abc"})
    assert ok("${X}", "abc", bindings) == []
    assert ok("${X}", "abd", bindings) != []


def test_regex_searches_str_of_actual_unanchored():
    assert ok("${/^[0-5]$/}", 3) == []
    assert ok("${/^[0-5]$/}", 7) != []
    assert ok("${/^([0-9]|10)$/}", 10) == []
    assert ok("${/ell/}", "Hello") == []  # unanchored search
    assert ok("${/^ell/}", "Hello") != []
    assert ok("${/True/}", True) == []  # str(actual)
    assert ok("${/x/}", None) != []


def test_regex_is_never_a_placeholder():
    bindings = Bindings()
    assert ok("${/a/}", "a", bindings) == []
    assert bindings.values == {}


def test_lists_need_equal_length_and_match_elementwise():
    assert ok([1, "*", {"a": "${V}"}], [1, "x", {"a": 2, "b": 3}]) == []
    assert ok([1, 2], [1, 2, 3]) != []
    assert ok([1, 2], [1, 3]) != []
    assert ok([], []) == []


def test_literals_use_python_equality_after_substitution():
    assert ok(2, 2.0) == []
    assert ok(1, True) == []
    assert ok(False, False) == []
    assert ok("3", 3) != []  # payloads are strings, numbers are numbers
    bindings = Bindings({"P": "abc"})
    assert ok('"${P}"', '"abc"', bindings) == []
    assert ok('"${P}"', '"abd"', bindings) != []
    assert ok("Hello, ${UNBOUND}!", "Hello, ${UNBOUND}!") == []


def test_type_mismatches_fail():
    assert ok({"Payload": {"a": 1}}, {"Payload": '{"a": 1}'}) != []
    assert ok({"a": 1}, None) != []
    assert ok([1], {"0": 1}) != []
    assert ok("x", None) != []


def _event(event_id, event_type, **fields):
    return {"EventType": event_type, "EventId": event_id, "EventTimestamp": "t", **fields}


HISTORY = [
    _event(1, "ExecutionStarted", ExecutionStartedDetails={"Input": {"Payload": "null"}}),
    _event(2, "StepStarted", Id="s1", SubType="Step", StepStartedDetails={}),
    _event(
        3,
        "StepSucceeded",
        Id="s1",
        SubType="Step",
        StepSucceededDetails={
            "Result": {"Payload": '"Hello, World!"', "Truncated": False},
            "RetryDetails": {"CurrentAttempt": 1},
        },
    ),
    _event(4, "InvocationCompleted", InvocationCompletedDetails={"RequestId": "r"}),
    _event(5, "ExecutionSucceeded", ExecutionSucceededDetails={"Result": {"Payload": '"x"'}}),
]


def test_history_matches_by_event_id_and_ignores_unlisted_events():
    expected = [
        {"EventType": "StepStarted", "EventId": 2, "Id": "${ID1}", "SubType": "Step",
         "EventTimestamp": "*", "StepStartedDetails": {}},
        {"EventType": "StepSucceeded", "EventId": 3, "Id": "${ID1}",
         "StepSucceededDetails": {"Result": {"Payload": '"Hello, World!"', "Truncated": False}}},
        {"EventType": "InvocationCompleted", "EventId": 4, "InvocationCompletedDetails": {}},
    ]
    bindings = Bindings()
    assert match_history(expected, HISTORY, bindings) == []
    assert bindings["ID1"] == "s1"


def test_event_id_pins_the_absolute_position():
    expected = [{"EventType": "StepSucceeded", "EventId": 2}]
    errors = match_history(expected, HISTORY, Bindings())
    assert len(errors) == 1 and "EventId=2" in errors[0] and "StepSucceeded" in errors[0]


def test_missing_event_id_and_missing_actual_event_are_errors():
    errors = match_history(
        [{"EventType": "StepStarted"}, {"EventType": "X", "EventId": 99}], HISTORY, Bindings()
    )
    assert len(errors) == 2
    assert "no EventId" in errors[0]
    assert "No actual event found for EventId=99" in errors[1]


def test_all_history_errors_are_collected():
    expected = [
        {"EventId": 2, "EventType": "StepFailed"},
        {"EventId": 3, "Id": "other"},
        {"EventId": 4, "Name": "x"},
    ]
    assert len(match_history(expected, HISTORY, Bindings())) == 3


def test_placeholder_reuse_across_events_detects_different_ids():
    history = [
        _event(2, "StepStarted", Id="a"),
        _event(3, "StepSucceeded", Id="b"),
    ]
    expected = [{"EventId": 2, "Id": "${ID1}"}, {"EventId": 3, "Id": "${ID1}"}]
    errors = match_history(expected, history, Bindings())
    assert len(errors) == 1 and "ID1" in errors[0]


# -- 9.5 result ------------------------------------------------------------------------------------


def test_result_status_mismatch_is_the_only_error():
    errors = check_result({"ExecutionStatus": "SUCCEEDED", "Result": "x"}, "FAILED", None, Bindings())
    assert errors == ["Expected ExecutionStatus='SUCCEEDED', got 'FAILED'"]


def test_result_not_checked_unless_succeeded():
    assert check_result({"ExecutionStatus": "FAILED", "Result": "x"}, "FAILED", None, Bindings()) == []
    assert check_result({"Result": "x"}, "TIMED_OUT", None, Bindings()) == []


def test_result_is_json_decoded_and_compared_to_substituted_value():
    bindings = Bindings({"I": "abc"})
    assert check_result({"Result": "Hello, ${I}!"}, "SUCCEEDED", '"Hello, abc!"', bindings) == []
    assert check_result({"Result": {"count": 42, "doubled": 84}}, "SUCCEEDED",
                        '{"doubled": 84, "count": 42}', bindings) == []
    assert check_result({"Result": 3}, "SUCCEEDED", "3.0", bindings) == []
    assert check_result({"Result": '"HELLO"'}, "SUCCEEDED", '"\\"HELLO\\""', bindings) == []
    assert check_result({"Result": "x"}, "SUCCEEDED", '"y"', bindings) != []


def test_result_raw_text_and_null_forms():
    assert check_result({"Result": "not json"}, "SUCCEEDED", "not json", Bindings()) == []
    assert check_result({"Result": None}, "SUCCEEDED", "null", Bindings()) == []
    assert check_result({"Result": None}, "SUCCEEDED", None, Bindings()) == []
    assert check_result({"Result": None}, "SUCCEEDED", '"x"', Bindings()) != []


def test_result_absent_key_or_no_expected_result_checks_nothing_more():
    assert check_result({"ExecutionStatus": "SUCCEEDED"}, "SUCCEEDED", '"any"', Bindings()) == []
    assert check_result(None, "RUNNING", None, Bindings()) == []


# -- 9.6 name inheritance --------------------------------------------------------------------------


def test_wait_for_callback_children_inherit_the_parent_name():
    events = [
        _event(2, "ContextStarted", Id="w", Name="approval", SubType="WaitForCallback"),
        _event(3, "CallbackStarted", Id="c", ParentId="w", SubType="Callback"),
        _event(4, "StepStarted", Id="s", ParentId="w", SubType="Step"),
        _event(5, "StepSucceeded", Id="s", ParentId="w", SubType="Step"),
        _event(6, "CallbackSucceeded", Id="c", ParentId="w", SubType="Callback"),
        _event(7, "CallbackStarted", Id="d", ParentId="w", Name="own", SubType="Callback"),
        _event(8, "ContextStarted", Id="x", Name="ctx", SubType="RunInChildContext"),
        _event(9, "CallbackStarted", Id="e", ParentId="x", SubType="Callback"),
    ]
    out = inherit_callback_names(events)
    assert [e.get("Name") for e in out] == [
        "approval", "approval", "approval", "approval", None, "own", "ctx", None
    ]
    assert "Name" not in events[1]  # copies; the input is untouched


# -- 9.7 callback actions --------------------------------------------------------------------------


def _started(event_id, callback_id, name=None, **fields):
    event = _event(event_id, "CallbackStarted", CallbackStartedDetails={"CallbackId": callback_id},
                   **fields)
    if name is not None:
        event["Name"] = name
    return event


def test_parse_callback_actions_validates_and_normalizes():
    actions = parse_callback_actions([
        {"CallbackName": "a", "Operation": "SUCCESS", "Payload": 1, "Delay": 2},
        {"CallbackName": "*", "Operation": "heartbeat"},
    ])
    assert actions == [
        CallbackAction("a", "success", 1, 2.0),
        CallbackAction("*", "heartbeat", None, 0.0),
    ]
    assert parse_callback_actions(None) == []
    for bad in ([{"Operation": "success"}], [{"CallbackName": "a"}],
                [{"CallbackName": "a", "Operation": "cancel"}], {"CallbackName": "a"}):
        with pytest.raises(ValueError):
            parse_callback_actions(bad)


def test_action_names_exact_wildcard_regex_and_substituted():
    bindings = Bindings({"CB": "abc"})
    assert CallbackAction("${CB}", "success").matches("abc", bindings)
    assert not CallbackAction("${CB}", "success").matches("abd", bindings)
    assert CallbackAction("*", "success").matches("", bindings)
    assert CallbackAction("${/^ab/}", "success").matches("abc", bindings)
    assert not CallbackAction("${/^b/}", "success").matches("abc", bindings)


def test_first_unused_matching_action_in_list_order_each_used_once():
    actions = parse_callback_actions([
        {"CallbackName": "B", "Operation": "success", "Payload": "pb", "Delay": 4},
        {"CallbackName": "A", "Operation": "success", "Payload": "pa", "Delay": 1},
    ])
    planner = CallbackPlanner(actions, Bindings())
    planned = planner.plan([_started(2, "ida", "A"), _started(3, "idb", "B")])
    assert [(p.callback_id, p.action.payload) for p in planned] == [("ida", "pa"), ("idb", "pb")]
    # handled callbacks are not planned again; a new one finds no action left -> error
    assert planner.plan([_started(2, "ida", "A"), _started(3, "idb", "B")]) == []
    assert planner.plan([_started(9, "idc", "A")]) == []
    assert len(planner.errors) == 1 and "'A'" in planner.errors[0] and "idc" in planner.errors[0]
    assert planner.plan([_started(9, "idc", "A")]) == []  # marked handled: one error only
    assert len(planner.errors) == 1


def test_wildcard_actions_are_consumed_in_order():
    actions = parse_callback_actions([
        {"CallbackName": "*", "Operation": "success", "Payload": 1},
        {"CallbackName": "*", "Operation": "success", "Payload": 2},
    ])
    planner = CallbackPlanner(actions, Bindings())
    assert [p.action.payload for p in planner.plan([_started(2, "x")])] == [1]
    assert [p.action.payload for p in planner.plan([_started(2, "x"), _started(5, "y")])] == [2]


def test_no_actions_at_all_leaves_callbacks_open_without_error():
    planner = CallbackPlanner([], Bindings())
    assert planner.plan([_started(2, "x", "cb")]) == []
    assert planner.errors == [] and "x" in planner.handled


def test_heartbeat_does_not_mark_the_callback_handled():
    actions = parse_callback_actions([
        {"CallbackName": "*", "Operation": "heartbeat"},
        {"CallbackName": "*", "Operation": "success", "Payload": "done", "Delay": 1},
    ])
    planner = CallbackPlanner(actions, Bindings())
    events = [_started(3, "x")]
    first = planner.plan(events)
    assert [p.action.operation for p in first] == ["heartbeat"]
    second = planner.plan(events)
    assert [p.action.operation for p in second] == ["success"]
    assert planner.plan(events) == [] and planner.errors == []


def test_missing_name_matches_as_empty_string_and_inherited_names_match():
    actions = parse_callback_actions([{"CallbackName": "approval", "Operation": "success"}])
    planner = CallbackPlanner(actions, Bindings())
    events = [
        _event(2, "ContextStarted", Id="w", Name="approval", SubType="WaitForCallback"),
        _started(3, "cb", ParentId="w"),
    ]
    assert planner.plan(events) == []  # without inheritance the name is ""
    planner = CallbackPlanner(actions, Bindings())
    assert [p.callback_id for p in planner.plan(inherit_callback_names(events))] == ["cb"]


def test_delivery_payloads():
    bindings = Bindings({"P": "xyz"})
    assert CallbackAction("*", "success", "${P}").success_result(bindings) == b'"xyz"'
    assert CallbackAction("*", "success", {"status": "approved"}).success_result(bindings) == \
        json.dumps({"status": "approved"}).encode()
    assert CallbackAction("*", "success", 42).success_result(bindings) == b"42"
    assert CallbackAction("*", "success", None).success_result(bindings) is None
    failure = CallbackAction("*", "failure", {"ErrorType": "RejectedError", "ErrorMessage": "no ${P}",
                                              "Other": 1})
    assert failure.failure_error(bindings) == {"ErrorType": "RejectedError", "ErrorMessage": "no xyz"}
    assert CallbackAction("*", "failure", None).failure_error(bindings) is None
    assert CallbackAction("*", "failure", {"Other": 1}).failure_error(bindings) is None
    with pytest.raises(ValueError):
        CallbackAction("*", "failure", "text").failure_error(bindings)


# -- 9.8 logs --------------------------------------------------------------------------------------

ARN = "arn:aws:lambda:us-west-2:123456789012:function:f:$LATEST/durable-execution/e/1"


def _log(seq, timestamp=None, **fields):
    fields.setdefault("executionArn", ARN)
    return LogRecord(json.dumps(fields), timestamp if timestamp is not None else seq, seq)


def test_log_lines_parse_as_json_objects_or_bare_messages():
    assert parse_log_line('{"a": 1}') == {"a": 1}
    assert parse_log_line("  [INFO] text \n") == {"message": "[INFO] text"}
    assert parse_log_line("[1, 2]") == {"message": "[1, 2]"}
    assert parse_log_line("{broken") == {"message": "{broken"}


def test_log_records_are_filtered_by_execution_arn():
    records = [
        _log(1, message="hello"),
        LogRecord(json.dumps({"durableExecutionArn": ARN, "message": "hello"}), 2, 2),
        _log(3, message="hello", executionArn="arn:other"),
        LogRecord("hello", 4, 4),  # not JSON: no ARN
    ]
    assert check_logs([{"match": {"message": "hello"}, "count": 2}], records, Bindings(), ARN) == []
    assert check_logs([{"match": {"message": "hello"}, "count": 4}], records, Bindings(), None) == []


def test_log_field_rules():
    records = [_log(1, message="  Greeting step started for: abc  ", first=True, n=3, f=1.5,
                    s="7", none=None)]
    bindings = Bindings({"I": "abc"})

    def count(match):
        return check_logs([{"match": match, "count": 1}], records, bindings, ARN)

    assert count({"message": "Greeting step started for: ${I}"}) == []  # stripped equality
    assert count({"message": "/started for: ${I}/"}) == []  # regex search
    assert count({"message": "/^started/"}) != []
    assert count({"first": True}) == []  # bool identity
    assert count({"first": 1}) != []  # a number never equals a bool
    assert count({"n": 3.0}) == [] and count({"n": 4}) != []  # numeric equality
    assert count({"s": 7}) == []  # a numeric string compares numerically
    assert count({"n": "/^\\d+$/"}) == []  # regex on str(value)
    assert count({"none": None}) == []  # other values: string equality
    assert count({"missing": "/.*/"}) != []  # the field must exist
    assert count({"message": "/abc/", "first": False}) != []  # all fields ANDed


def test_log_cardinality():
    records = [_log(i, message="m") for i in range(3)]
    b = Bindings()
    assert check_logs([{"match": {"message": "m"}, "count": 3}], records, b, ARN) == []
    assert check_logs([{"match": {"message": "m"}, "count": 2}], records, b, ARN) != []
    assert check_logs([{"match": {"message": "m"}, "min_count": 3}], records, b, ARN) == []
    assert check_logs([{"match": {"message": "m"}, "min_count": 4}], records, b, ARN) != []
    assert check_logs([{"match": {"message": "m"}, "max_count": 3}], records, b, ARN) == []
    assert check_logs([{"match": {"message": "m"}, "max_count": 2}], records, b, ARN) != []
    assert check_logs([{"match": {"message": "x"}, "count": 0}], records, b, ARN) == []
    assert check_logs([{"match": {"message": "x"}, "max_count": 1}], records, b, ARN) == []
    # default: at least one
    assert check_logs([{"match": {"message": "m"}}], records, b, ARN) == []
    assert check_logs([{"match": {"message": "x"}}], records, b, ARN) != []
    assert check_logs([{"count": 1}], records, b, ARN) != []  # no match map


def test_log_after_and_before_ordering():
    records = [
        _log(1, hook="start"),
        _log(2, message="body"),
        _log(3, hook="end"),
    ]
    b = Bindings()
    assert check_logs([{"match": {"message": "body"}, "after": {"hook": "start"}}], records, b, ARN) == []
    assert check_logs([{"match": {"message": "body"}, "after": [{"hook": "end"}]}], records, b, ARN) != []
    assert check_logs([{"match": {"message": "body"}, "before": {"hook": "end"}}], records, b, ARN) == []
    assert check_logs([{"match": {"message": "body"}, "before": {"hook": "start"}}], records, b, ARN) != []
    # every anchor of a list must hold
    entry = {"match": {"message": "body"}, "after": [{"hook": "start"}, {"hook": "end"}]}
    assert len(check_logs([entry], records, b, ARN)) == 1
    # an anchor matching nothing is an error
    errors = check_logs([{"match": {"message": "body"}, "after": {"hook": "none"}}], records, b, ARN)
    assert len(errors) == 1 and "matched no record" in errors[0]


def test_log_after_uses_the_last_anchor_and_before_the_first():
    records = [_log(1, a=1), _log(2, m=1), _log(3, a=1), _log(4, m=1), _log(5, a=1)]
    b = Bindings()
    # own matches at 2 and 4; the last anchor is at 5 -> nothing after it
    assert check_logs([{"match": {"m": 1}, "after": {"a": 1}}], records, b, ARN) != []
    # the first anchor is at 1 -> nothing before it
    assert check_logs([{"match": {"m": 1}, "before": {"a": 1}}], records, b, ARN) != []
    records.append(_log(6, m=1))
    assert check_logs([{"match": {"m": 1}, "after": {"a": 1}}], records, b, ARN) == []


def test_log_equal_sort_keys_are_concurrent():
    records = [_log(1, 100, hook="x"), LogRecord(json.dumps({"executionArn": ARN, "m": 1}), 100, 1)]
    b = Bindings()
    assert check_logs([{"match": {"m": 1}, "after": {"hook": "x"}}], records, b, ARN) == []
    assert check_logs([{"match": {"m": 1}, "before": {"hook": "x"}}], records, b, ARN) == []


def test_log_records_are_sorted_by_timestamp_then_ingestion_time():
    records = [_log(2, 10, m=1), _log(1, 20, a=1)]  # listed out of order
    assert check_logs([{"match": {"m": 1}, "before": {"a": 1}}], records, Bindings(), ARN) == []
    assert check_logs([{"match": {"m": 1}, "after": {"a": 1}}], records, Bindings(), ARN) != []


def test_log_entries_are_substituted_first():
    records = [_log(1, op="id-1", hook="end")]
    bindings = Bindings({"ID1": "id-1"})
    assert check_logs([{"match": {"op": "${ID1}"}, "count": 1}], records, bindings, ARN) == []
    entry = {"match": {"hook": "end"}, "after": {"op": "${ID1}"}}
    assert check_logs([entry], records, bindings, ARN) == []
