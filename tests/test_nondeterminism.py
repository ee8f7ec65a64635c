"""Replay identity check (protocol.md 4.5, B01): before consuming a stored operation the SDK
compares its Type, SubType, Name and ParentId with the operation the code issues now; a mismatch
fails the execution with NonDeterministicExecutionError (never PENDING, never a silent success)
and the mismatched body never runs. Identical replays succeed."""
from __future__ import annotations

from hashlib import blake2b

import pytest

from fakes import START_MS, FakeService
from lambda_durable import ExecutionError, durable_execution
from lambda_durable.config import ChildConfig, Duration, MapConfig, NestingType, StepConfig
from lambda_durable.exceptions import NonDeterministicExecutionError
from lambda_durable.waits import WaitForConditionConfig, WaitForConditionDecision

NDE = "aws_durable_execution_sdk_python.exceptions.NonDeterministicExecutionError"


def op_id(prefix, n):
    key = str(n) if prefix is None else f"{prefix}-{n}"
    return blake2b(key.encode()).hexdigest()[:64]


R1, R2 = op_id(None, 1), op_id(None, 2)


def rec(id, type_, sub_type, status="SUCCEEDED", *, name=None, parent=None, details=None):
    record = {"Id": id, "Type": type_, "SubType": sub_type, "Status": status, "StartTimestamp": START_MS}
    if name is not None:
        record["Name"] = name
    if parent is not None:
        record["ParentId"] = parent
    if details:
        record[{"WAIT": "WaitDetails", "CALLBACK": "CallbackDetails", "CHAINED_INVOKE": "ChainedInvokeDetails",
                "STEP": "StepDetails", "CONTEXT": "ContextDetails"}[type_]] = details
    return record


def run(handler, svc: FakeService):
    return durable_execution(client=svc)(handler)(svc.event(), None)


class Body:
    def __init__(self, value="ran"):
        self.calls = 0
        self.value = value

    def __call__(self, *args):
        self.calls += 1
        return self.value


def assert_nondeterministic(out, *fragments):
    assert out["Status"] == "FAILED"
    assert set(out) == {"Status", "Error"}
    error = out["Error"]
    assert error["ErrorType"] == NDE
    for fragment in fragments:
        assert fragment in error["ErrorMessage"], (fragment, error["ErrorMessage"])


# -- B01 --------------------------------------------------------------------------------------


def test_b01_stored_wait_where_code_now_issues_a_step():
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "WAIT", "Wait", name="w")])
    body = Body()
    out = run(lambda e, ctx: ctx.step(body, name="s"), svc)
    assert_nondeterministic(out, "WAIT", "STEP", "'w'", "'s'", R1)
    assert body.calls == 0
    assert svc.calls == []


def test_b01_end_to_end_flag_flip_between_invocations():
    svc = FakeService()
    flag = {"replayed": False}
    counter = []

    def handler(event, ctx):
        if not flag["replayed"]:
            ctx.wait(Duration(1), name="w")
        else:
            ctx.step(lambda _: counter.append(1) or "ran", name="s")
        return "done"

    assert run(handler, svc) == {"Status": "PENDING"}
    svc.operations[R1] = dict(svc.operations[R1], Status="SUCCEEDED")
    flag["replayed"] = True
    out = run(handler, svc)
    assert_nondeterministic(out, "WAIT", "STEP")
    assert counter == []


def test_b01_stored_step_where_code_now_invokes():
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "STEP", "Step", name="s", details={"Result": '"x"', "Attempt": 1})])
    out = run(lambda e, ctx: ctx.invoke("fn", {"a": 1}, name="s"), svc)
    assert_nondeterministic(out, "STEP", "CHAINED_INVOKE")
    assert svc.calls == []


def test_b01_two_steps_swapped():
    svc = FakeService()
    svc.event(extra_ops=[
        rec(R1, "STEP", "Step", name="first", details={"Result": '"1"', "Attempt": 1}),
        rec(R2, "STEP", "Step", name="second", details={"Result": '"2"', "Attempt": 1}),
    ])
    second, first = Body(), Body()
    out = run(lambda e, ctx: [ctx.step(second, name="second"), ctx.step(first, name="first")], svc)
    assert_nondeterministic(out, "'first'", "'second'")
    assert (second.calls, first.calls) == (0, 0)


def test_b01_renamed_step():
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "STEP", "Step", name="charge", details={"Result": '"ok"', "Attempt": 1})])
    body = Body()
    out = run(lambda e, ctx: ctx.step(body, name="charge-card"), svc)
    assert_nondeterministic(out, "'charge'", "'charge-card'")
    assert body.calls == 0


def test_name_added_or_removed_is_a_mismatch():
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "STEP", "Step", details={"Result": '"ok"', "Attempt": 1})])
    assert_nondeterministic(run(lambda e, ctx: ctx.step(Body(), name="now-named"), svc), "now-named")
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "STEP", "Step", name="named", details={"Result": '"ok"', "Attempt": 1})])
    assert_nondeterministic(run(lambda e, ctx: ctx.step(Body()), svc), "named")


def test_sub_type_change_is_a_mismatch():
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "STEP", "Step", name="s", details={"Result": '"ok"', "Attempt": 1})])
    out = run(lambda e, ctx: ctx.step(Body(), name="s", config=StepConfig(sub_type="Payment")), svc)
    assert_nondeterministic(out, "Payment")


def test_step_where_wait_for_condition_is_stored():
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "STEP", "WaitForCondition", name="x", details={"Result": "1", "Attempt": 1})])
    out = run(lambda e, ctx: ctx.step(Body(), name="x"), svc)
    assert_nondeterministic(out, "WaitForCondition")


def test_wait_for_condition_where_step_is_stored():
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "STEP", "Step", name="x", details={"Result": "1", "Attempt": 1})])
    checks = []
    config = WaitForConditionConfig(lambda s, a: WaitForConditionDecision.stop_polling(), 0)
    out = run(lambda e, ctx: ctx.wait_for_condition(lambda s, c: checks.append(s) or s, config, name="x"), svc)
    assert_nondeterministic(out, "WaitForCondition")
    assert checks == []


@pytest.mark.parametrize(
    ("stored", "issue"),
    [
        (rec(R1, "WAIT", "Wait", "STARTED"), lambda ctx: ctx.create_callback()),
        (rec(R1, "CALLBACK", "Callback", "STARTED", details={"CallbackId": "aWQ="}), lambda ctx: ctx.wait(Duration(5))),
        (rec(R1, "CALLBACK", "Callback", "STARTED", details={"CallbackId": "aWQ="}), lambda ctx: ctx.invoke("fn", 1)),
        (rec(R1, "CHAINED_INVOKE", "ChainedInvoke", "STARTED"), lambda ctx: ctx.run_in_child_context(lambda c: 1)),
        (rec(R1, "CONTEXT", "RunInChildContext"), lambda ctx: ctx.map([1], lambda c, x, i, xs: x)),
        (rec(R1, "CONTEXT", "Map"), lambda ctx: ctx.parallel([lambda c: 1])),
        (rec(R1, "CONTEXT", "Parallel"), lambda ctx: ctx.wait_for_callback(lambda cid, c: None)),
        (rec(R1, "CONTEXT", "WaitForCallback"), lambda ctx: ctx.run_in_child_context(lambda c: 1)),
    ],
)
def test_every_operation_checks_identity(stored, issue):
    svc = FakeService()
    svc.event(extra_ops=[stored])
    out = run(lambda e, ctx: issue(ctx), svc)
    assert_nondeterministic(out, stored["Type"])
    assert svc.calls == []


# -- parent changes ---------------------------------------------------------------------------


def test_stored_parent_differs_from_the_current_parent():
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "STEP", "Step", name="s", parent="f" * 64, details={"Result": '"x"', "Attempt": 1})])
    body = Body()
    out = run(lambda e, ctx: ctx.step(body, name="s"), svc)
    assert_nondeterministic(out, "parent")
    assert body.calls == 0


def test_nested_child_replayed_as_virtual_context_is_detected():
    # first deploy: a NESTED child context "c" holding step "s" (ParentId = c)
    svc = FakeService()
    assert run(lambda e, ctx: ctx.run_in_child_context(lambda c: c.step(lambda _: 1, name="s"), name="c"), svc)[
        "Status"] == "SUCCEEDED"
    # now the same code runs the child as a virtual context at the id of the stored CONTEXT
    body = Body()
    out = run(lambda e, ctx: ctx.run_in_child_context(lambda c: c.step(body, name="s"), name="c",
                                                      config=ChildConfig(is_virtual=True)), svc)
    assert_nondeterministic(out, R1)
    assert body.calls == 0


def test_virtual_inner_operation_with_stored_nested_parent_is_detected():
    # the stored inner step says ParentId = child id; the virtual context reports no parent
    svc = FakeService()
    svc.event(extra_ops=[rec(op_id(R1, 1), "STEP", "Step", name="s", parent=R1, details={"Result": "1", "Attempt": 1})])
    body = Body()
    out = run(lambda e, ctx: ctx.run_in_child_context(lambda c: c.step(body, name="s"), config=ChildConfig(is_virtual=True)), svc)
    assert_nondeterministic(out, "parent")
    assert body.calls == 0


def test_nested_map_items_replayed_under_flat_config_are_detected():
    svc = FakeService()
    handler = lambda cfg: lambda e, ctx: ctx.map([1], lambda c, x, i, xs: c.step(lambda _: x, name="s"),  # noqa: E731
                                                  name="m", config=cfg).get_results()
    # first run NESTED, crash before the map completes: make the map record STARTED again
    assert run(handler(MapConfig()), svc)["Status"] == "SUCCEEDED"
    svc.operations[R1] = dict(svc.operations[R1], Status="STARTED", ContextDetails={})
    out = run(handler(MapConfig(nesting_type=NestingType.FLAT)), svc)
    assert_nondeterministic(out)


def test_flat_map_items_replayed_under_nested_config_are_detected():
    svc = FakeService()
    handler = lambda cfg: lambda e, ctx: ctx.map([1], lambda c, x, i, xs: c.step(lambda _: x, name="s"),  # noqa: E731
                                                  name="m", config=cfg).get_results()
    assert run(handler(MapConfig(nesting_type=NestingType.FLAT)), svc)["Status"] == "SUCCEEDED"
    svc.operations[R1] = dict(svc.operations[R1], Status="STARTED", ContextDetails={})
    svc.calls.clear()
    out = run(handler(MapConfig()), svc)
    assert_nondeterministic(out, "parent")
    assert not [u for u in svc.updates if u["Type"] == "STEP"]


# -- failure propagation ----------------------------------------------------------------------


def test_mismatch_inside_a_child_context_fails_the_execution_without_context_fail():
    svc = FakeService()
    svc.event(extra_ops=[
        rec(R1, "CONTEXT", "RunInChildContext", "STARTED", name="c"),
        rec(op_id(R1, 1), "WAIT", "Wait", parent=R1, name="w"),
    ])
    body = Body()
    out = run(lambda e, ctx: ctx.run_in_child_context(lambda c: c.step(body, name="w"), name="c"), svc)
    assert_nondeterministic(out, "WAIT", "STEP")
    assert body.calls == 0
    assert not [u for u in svc.updates if u["Action"] in ("FAIL", "SUCCEED")]


def test_mismatch_inside_a_map_item_is_not_recorded_as_an_item_failure():
    svc = FakeService()
    m = R1
    item = op_id(m, 0)
    svc.event(extra_ops=[
        rec(m, "CONTEXT", "Map", "STARTED", name="m"),
        rec(item, "CONTEXT", "MapIteration", "STARTED", name="map-item-0", parent=m),
        rec(op_id(item, 1), "WAIT", "Wait", parent=item),
    ])
    out = run(lambda e, ctx: ctx.map([1], lambda c, x, i, xs: c.step(lambda _: x), name="m").to_dict(), svc)
    assert_nondeterministic(out, "WAIT", "STEP")
    assert not [u for u in svc.updates if u["Action"] in ("FAIL", "SUCCEED")]


def test_user_code_sees_an_execution_error_carrying_the_step_id():
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "WAIT", "Wait", name="w")])
    caught = []

    def handler(event, ctx):
        try:
            ctx.step(Body(), name="s")
        except NonDeterministicExecutionError as exc:
            caught.append(exc)
            raise

    out = run(handler, svc)
    assert out["Status"] == "FAILED"
    (exc,) = caught
    assert isinstance(exc, ExecutionError)
    assert exc.step_id == R1


def test_mismatch_is_never_reported_as_pending():
    # a mismatch at an operation whose stored record is non-terminal still fails
    svc = FakeService()
    svc.event(extra_ops=[rec(R1, "WAIT", "Wait", "STARTED", name="w", details={"ScheduledEndTimestamp": START_MS + 1000})])
    out = run(lambda e, ctx: ctx.wait(Duration(1), name="other"), svc)
    assert_nondeterministic(out, "'w'", "'other'")


# -- identical replays succeed ----------------------------------------------------------------


def test_identical_replay_succeeds_and_runs_bodies_once():
    svc = FakeService()
    bodies = {"a": 0, "child": 0, "item": 0}

    def handler(event, ctx):
        a = ctx.step(lambda _: bodies.__setitem__("a", bodies["a"] + 1) or "A", name="a")
        ctx.wait(Duration(1), name="w")

        def child(c):
            bodies["child"] += 1
            return c.step(lambda _: "C", name="inner")

        b = ctx.run_in_child_context(child, name="c")
        m = ctx.map([1, 2], lambda c, x, i, xs: bodies.__setitem__("item", bodies["item"] + 1) or x, name="m")
        cb = ctx.create_callback(name="cb")
        return [a, b, m.get_results(), cb.result()]

    assert run(handler, svc) == {"Status": "PENDING"}
    svc.operations[R2] = dict(svc.operations[R2], Status="SUCCEEDED")
    assert run(handler, svc) == {"Status": "PENDING"}  # waits on the callback
    cb = op_id(None, 5)
    svc.operations[cb] = dict(svc.operations[cb], Status="SUCCEEDED",
                              CallbackDetails={**svc.operations[cb]["CallbackDetails"], "Result": "yes"})
    out = run(handler, svc)
    assert out == {"Status": "SUCCEEDED", "Result": '["A", "C", [1, 2], "yes"]'}
    assert bodies == {"a": 1, "child": 1, "item": 2}
    svc.calls.clear()
    assert run(handler, svc) == out
    assert svc.calls == []


def test_none_and_empty_name_or_parent_are_equal():
    svc = FakeService()
    stored = rec(R1, "STEP", "Step", details={"Result": '"ok"', "Attempt": 1})
    stored["Name"] = ""
    stored["ParentId"] = ""
    svc.event(extra_ops=[stored])
    body = Body()
    assert run(lambda e, ctx: ctx.step(body), svc) == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert body.calls == 0
