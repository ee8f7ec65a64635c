"""Instrumentation plugins (``lambda_durable.plugin``): the official 3.x interface, when each hook
fires and with which info (first run and replay), registration (factories, instances, classes,
``DURABLE_EXECUTION_PLUGINS``), failure isolation, and the zero-cost path without plugins."""
from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import pytest

import lambda_durable.plugin as plugin_module
from lambda_durable import (
    DurableContext,
    PluginLoadError,
    StepContext,
    durable_execution,
)
from lambda_durable.config import (
    CallbackConfig,
    ChildConfig,
    Duration,
    JitterStrategy,
    MapConfig,
    NestingType,
    ParallelConfig,
    StepConfig,
)
from lambda_durable.lambda_service import ErrorObject, InvocationStatus as ServiceInvocationStatus
from lambda_durable.lambda_service import OperationStatus
from lambda_durable.plugin import (
    DurableInstrumentationPlugin,
    InvocationEndInfo,
    InvocationStartInfo,
    InvocationStatus,
    OperationInfo,
    OperationType,
    PluginExecutor,
    PluginHost,
    PropagationMetadata,
    UserFunctionOutcome,
    load_configured_plugins,
)
from lambda_durable.retries import RetryStrategyConfig, create_retry_strategy
from lambda_durable.testing import DurableFunctionTestRunner
from lambda_durable.waits import WaitForConditionConfig, WaitForConditionDecision

from fakes import FakeService, invoke

RETRY_1S = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=3,
        initial_delay=Duration.from_seconds(1),
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )
)
NO_RETRY = create_retry_strategy(RetryStrategyConfig(max_attempts=1))


# -- recording plugins ---------------------------------------------------------------------------


class Recorder(DurableInstrumentationPlugin):
    """Records ``(hook, info)`` for every hook, in call order (thread-safe)."""

    def __init__(self, log: list | None = None) -> None:
        self.log: list[tuple[str, Any]] = [] if log is None else log
        self.lock = threading.Lock()

    def _add(self, hook: str, info: Any) -> None:
        with self.lock:
            self.log.append((hook, info))

    def on_invocation_start(self, info):
        self._add("invocation-start", info)

    def on_invocation_end(self, info):
        self._add("invocation-end", info)

    def on_operation_start(self, info):
        self._add("operation-start", info)

    def on_operation_end(self, info):
        self._add("operation-end", info)

    def on_operation_change(self, info):
        self._add("operation-change", info)

    def on_user_function_start(self, info):
        self._add("fn-start", info)

    def on_user_function_end(self, info):
        self._add("fn-end", info)


class RecorderFactory:
    """A 3.x factory: one Recorder per invocation, all writing to one shared log."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []
        self.created: list[tuple[Recorder, InvocationStartInfo]] = []

    def create_plugin(self, info):
        plugin = Recorder(self.log)
        self.created.append((plugin, info))
        return plugin


def run(handler, payload: Any = "in", **runner_kwargs):
    with DurableFunctionTestRunner(handler, **runner_kwargs) as runner:
        return runner.run(input=json.dumps(payload))


def hooks(log, *, without=("operation-change",)) -> list[tuple]:
    """``(hook, operation name or None)`` in order, change notifications left out."""
    return [(h, getattr(i, "name", None)) for h, i in log if h not in without]


def infos(log, hook: str, name: str | None = None) -> list:
    return [i for h, i in log if h == hook and (name is None or getattr(i, "name", None) == name)]


def invocations(log) -> list[list[tuple[str, Any]]]:
    """The log cut into invocations (each from its invocation-start to its invocation-end)."""
    out: list[list] = []
    for hook, info in log:
        if hook == "invocation-start":
            out.append([])
        out[-1].append((hook, info))
    return out


# -- the public interface ------------------------------------------------------------------------


def _api_entries() -> list[dict]:
    path = Path(__file__).resolve().parents[2] / "shared" / "reference" / "api-3x.json"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return [e for e in json.loads(path.read_text())["entries"] if e["module"] == "plugin"]


def test_public_names_fields_members_and_methods_match_the_official_3x_interface():
    import inspect

    for entry in _api_entries():
        obj = getattr(plugin_module, entry["name"])
        if entry["kind"] == "dataclass":
            assert [f.name for f in dataclasses.fields(obj)] == entry["fields"], entry["name"]
        if entry["kind"] == "enum":
            assert [m.name for m in obj] == entry["members"], entry["name"]
            assert [m.value for m in obj] == entry["members"]
        for method, params in entry.get("methods", {}).items():
            member = inspect.getattr_static(obj, method)
            if params == "property":
                assert isinstance(member, property), (entry["name"], method)
                continue
            func = getattr(obj, method)
            names = [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]
            assert names == params, (entry["name"], method, names)
        if "params" in entry and entry["kind"] == "class" and entry["params"] != ["args", "kwargs"]:
            names = [p for p in inspect.signature(obj).parameters]
            assert names == entry["params"], entry["name"]


def test_info_dataclasses_are_frozen_and_large_fields_stay_out_of_repr_and_equality():
    common = dict(request_id="r", execution_arn="arn", is_first_invocation=True)
    a = InvocationStartInfo(**common, execution_input={"secret": 1}, operations={"x": 1})
    b = InvocationStartInfo(**common, execution_input={"other": 2})
    assert a == b and hash(a) == hash(b)
    assert "secret" not in repr(a)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.request_id = "changed"  # type: ignore[misc]
    end = InvocationEndInfo(**common, status=InvocationStatus.FAILED, error=ErrorObject.from_message("x"))
    assert end.status is InvocationStatus.FAILED and end.execution_result is None


def test_operation_info_from_wire_dict_and_typed_operation():
    record = {
        "Id": "op1",
        "Type": "STEP",
        "SubType": "Step",
        "Name": "greet",
        "ParentId": "p",
        "Status": "FAILED",
        "StartTimestamp": 1_700_000_000_000,
        "EndTimestamp": 1_700_000_001_000,
        "StepDetails": {"Attempt": 2, "Error": {"ErrorMessage": "boom", "StackTrace": ["a"]}},
    }
    info = OperationInfo.from_operation(record)
    assert info.operation_type is OperationType.STEP and info.status is OperationStatus.FAILED
    assert (info.name, info.parent_id, info.sub_type, info.attempt) == ("greet", "p", "Step", 2)
    assert info.error.message == "boom" and info.result is None and not info.is_replayed
    assert info.start_time.year == 2023 and info.end_time > info.start_time
    info.error.stack_trace.append("mutated")  # the plugin's copy, not the stored error
    assert record["StepDetails"]["Error"]["StackTrace"] == ["a"]
    from lambda_durable.lambda_service import Operation

    typed = OperationInfo.from_operation(Operation.from_dict(record), is_replayed=True)
    assert typed.is_replayed and typed.error.message == "boom" and typed.attempt == 2


def test_user_function_outcome_from_error():
    assert UserFunctionOutcome.from_error(None) is UserFunctionOutcome.SUCCEEDED
    assert UserFunctionOutcome.from_error(ErrorObject.from_message("x")) is UserFunctionOutcome.FAILED


# -- hooks on the first run ----------------------------------------------------------------------


def test_hook_order_and_info_values_for_a_step():
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event, context: DurableContext):
        return context.step(lambda step_context: f"hi {event}", name="greet")

    result = run(handler, "you")
    assert result.status is ServiceInvocationStatus.SUCCEEDED
    assert hooks(factory.log) == [
        ("invocation-start", None),
        ("operation-start", "greet"),
        ("fn-start", "greet"),
        ("fn-end", "greet"),
        ("operation-end", "greet"),
        ("invocation-end", None),
    ]
    (_, start), *_ = factory.log
    assert start.is_first_invocation and start.execution_input == "you"
    assert start.request_id and start.execution_arn == result.execution_arn
    assert start.execution_start_time is not None and start.updated_operations == {}
    assert [i.operation_type for i in start.operations.values()] == [OperationType.EXECUTION]
    # the factory got the very info on_invocation_start got
    assert factory.created[0][1] is start

    op_start = infos(factory.log, "operation-start")[0]
    assert op_start.operation_type is OperationType.STEP and op_start.sub_type == "Step"
    assert not op_start.is_replayed and op_start.status is OperationStatus.STARTED
    assert op_start.parent_id is None and op_start.attempt is None and op_start.start_time is None
    fn_start, fn_end = infos(factory.log, "fn-start")[0], infos(factory.log, "fn-end")[0]
    assert fn_start.attempt == 1 and fn_start.start_time is not None and not fn_start.is_replay_children
    assert fn_end.outcome is UserFunctionOutcome.SUCCEEDED and fn_end.error is None
    assert fn_end.end_time >= fn_end.start_time and fn_end.operation_id == op_start.operation_id
    op_end = infos(factory.log, "operation-end")[0]
    assert op_end.status is OperationStatus.SUCCEEDED and op_end.result == '"hi you"'
    assert op_end.attempt == 1 and op_end.end_time is not None and not op_end.is_replayed
    end = infos(factory.log, "invocation-end")[0]
    assert end.status is InvocationStatus.SUCCEEDED and end.execution_result == '"hi you"'
    assert end.is_first_invocation and end.error is None and len(end.operations) == 2

    changes = infos(factory.log, "operation-change")
    assert len(changes) == 1
    (op_id, item), = changes[0].updated_operations.items()
    assert item.status is OperationStatus.SUCCEEDED and op_id in changes[0].operations
    assert changes[0].execution_arn == result.execution_arn


def test_failed_step_and_failed_execution():
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event, context):
        return context.step(_raise("boom"), name="bad", config=StepConfig(retry_strategy=NO_RETRY))

    assert run(handler).status is ServiceInvocationStatus.FAILED
    fn_end = infos(factory.log, "fn-end")[0]
    assert fn_end.outcome is UserFunctionOutcome.FAILED and fn_end.error.message == "boom"
    op_end = infos(factory.log, "operation-end")[0]
    assert op_end.status is OperationStatus.FAILED and op_end.error.message == "boom"
    assert op_end.result is None
    end = infos(factory.log, "invocation-end")[0]
    assert end.status is InvocationStatus.FAILED and end.error.message == "boom"
    assert end.execution_result is None


def _raise(message: str):
    def body(step_context):
        raise RuntimeError(message)

    return body


def test_child_context_parent_linkage_and_child_end_before_parent_end():
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event, context):
        return context.run_in_child_context(
            lambda child: child.step(lambda sc: "x", name="inner"), name="kid"
        )

    run(handler)
    assert hooks(factory.log) == [
        ("invocation-start", None),
        ("operation-start", "kid"),
        ("fn-start", "kid"),
        ("operation-start", "inner"),
        ("fn-start", "inner"),
        ("fn-end", "inner"),
        ("operation-end", "inner"),
        ("fn-end", "kid"),
        ("operation-end", "kid"),
        ("invocation-end", None),
    ]
    kid = infos(factory.log, "operation-end", "kid")[0]
    inner = infos(factory.log, "operation-end", "inner")[0]
    assert kid.parent_id is None and inner.parent_id == kid.operation_id
    assert kid.operation_type is OperationType.CONTEXT and kid.sub_type == "RunInChildContext"
    assert infos(factory.log, "fn-start", "kid")[0].attempt == 1


# -- replay --------------------------------------------------------------------------------------


def test_retry_replay_reports_only_unfinished_operations():
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event, context):
        context.step(lambda sc: "a", name="A")

        def flaky(step_context: StepContext):
            if step_context.attempt == 1:
                raise RuntimeError("first")
            return "ok"

        return context.step(flaky, name="B", config=StepConfig(retry_strategy=RETRY_1S))

    assert run(handler).status is ServiceInvocationStatus.SUCCEEDED
    first, second = invocations(factory.log)
    assert hooks(first) == [
        ("invocation-start", None),
        ("operation-start", "A"),
        ("fn-start", "A"),
        ("fn-end", "A"),
        ("operation-end", "A"),
        ("operation-start", "B"),
        ("fn-start", "B"),
        ("fn-end", "B"),
        ("invocation-end", None),
    ]
    assert infos(first, "invocation-end")[0].status is InvocationStatus.PENDING
    assert infos(first, "fn-end", "B")[0].outcome is UserFunctionOutcome.FAILED
    assert hooks(second) == [
        ("invocation-start", None),
        ("operation-start", "B"),
        ("fn-start", "B"),
        ("fn-end", "B"),
        ("operation-end", "B"),
        ("invocation-end", None),
    ]
    start = infos(second, "invocation-start")[0]
    assert not start.is_first_invocation and len(start.operations) == 3
    assert [i.status for i in start.updated_operations.values()] == [OperationStatus.READY]
    restart = infos(second, "operation-start", "B")[0]
    assert restart.is_replayed  # the START of an operation that had a record (READY)
    assert infos(second, "fn-start", "B")[0].attempt == 2
    assert infos(second, "operation-end", "B")[0].attempt == 2
    # one plugin instance per invocation
    assert len(factory.created) == 2 and factory.created[0][0] is not factory.created[1][0]


def test_wait_completed_while_suspended_ends_on_replay_and_is_an_updated_operation():
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event, context):
        context.wait(Duration.from_seconds(2), name="w")
        return "done"

    run(handler)
    first, second = invocations(factory.log)
    assert hooks(first) == [("invocation-start", None), ("operation-start", "w"), ("invocation-end", None)]
    assert hooks(second) == [("invocation-start", None), ("operation-end", "w"), ("invocation-end", None)]
    start = infos(second, "invocation-start")[0]
    (updated,) = start.updated_operations.values()
    assert updated.name == "w" and updated.status is OperationStatus.SUCCEEDED
    assert infos(second, "invocation-end")[0].status is InvocationStatus.SUCCEEDED


def test_unfinished_operations_replay_with_is_replayed_and_terminal_ones_are_not_repeated():
    factory = RecorderFactory()

    def short(ctx):
        ctx.wait(Duration.from_seconds(2), name="short")
        return "s"

    def long(ctx):
        ctx.wait(Duration.from_seconds(8), name="long")
        return "l"

    @durable_execution(plugins=[factory])
    def handler(event, context):
        return context.parallel([short, long], name="waits").get_results()

    assert run(handler).result == '["s", "l"]'
    waits = [(h, i.name, i.is_replayed, i.status.value) for h, i in factory.log
             if h.startswith("operation-") and h != "operation-change" and i.operation_type is OperationType.WAIT]
    assert sorted(waits[:2]) == [
        ("operation-start", "long", False, "STARTED"),
        ("operation-start", "short", False, "STARTED"),
    ]
    assert waits[2:] == [
        ("operation-end", "short", False, "SUCCEEDED"),
        ("operation-start", "long", True, "STARTED"),
        ("operation-end", "long", False, "SUCCEEDED"),
    ]
    # every branch function runs again on replay (its fn hooks) and ends once
    assert [i.outcome for i in infos(factory.log, "fn-end", "parallel-branch-0")] == [
        UserFunctionOutcome.INCOMPLETE,
        UserFunctionOutcome.SUCCEEDED,
    ]
    assert len(infos(factory.log, "operation-end", "parallel-branch-0")) == 1
    assert len(infos(factory.log, "operation-end", "waits")) == 1
    replayed = [i for i in infos(factory.log, "operation-start", "waits")]
    assert [i.is_replayed for i in replayed] == [False, True, True]


def test_callback_completion_is_reported_on_the_invocation_that_reads_it():
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event, context):
        callback = context.create_callback(name="cb", config=CallbackConfig(timeout=Duration.from_seconds(60)))
        return callback.result()

    with DurableFunctionTestRunner(handler) as runner:
        arn = runner.run_async(input=json.dumps(None))
        callback_id = runner.wait_for_callback(arn, name="cb")
        runner.send_callback_success(callback_id, b'"yes"')
        result = runner.wait_for_result(arn)
    assert result.status is ServiceInvocationStatus.SUCCEEDED
    ends = infos(factory.log, "operation-end", "cb")
    assert len(ends) == 1 and ends[0].result == '"yes"' and ends[0].operation_type is OperationType.CALLBACK


def test_map_items_wait_for_condition_and_wait_for_callback_user_functions():
    factory = RecorderFactory()

    def check(state, ctx):
        return state + 1

    def strategy(state, attempt):
        if state >= 2:
            return WaitForConditionDecision.stop_polling()
        return WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))

    @durable_execution(plugins=[factory])
    def handler(event, context):
        mapped = context.map(
            [1, 2], lambda ctx, item, index, items: item * 10, name="m",
            config=MapConfig(max_concurrency=1),
        )
        polled = context.wait_for_condition(
            check, WaitForConditionConfig(initial_state=0, wait_strategy=strategy), name="poll"
        )
        return [mapped.get_results(), polled]

    assert run(handler).result == "[[10, 20], 2]"
    items = infos(factory.log, "fn-end")
    assert [(i.name, i.sub_type, i.outcome.value) for i in items if i.sub_type == "MapIteration"] == [
        ("map-item-0", "MapIteration", "SUCCEEDED"),
        ("map-item-1", "MapIteration", "SUCCEEDED"),
    ]
    assert {i.parent_id for i in items if i.sub_type == "MapIteration"} == {
        infos(factory.log, "operation-start", "m")[0].operation_id
    }
    assert [i.attempt for i in infos(factory.log, "fn-start", "poll")] == [1, 2]
    assert [i.status.value for i in infos(factory.log, "operation-end", "poll")] == ["SUCCEEDED"]


def test_virtual_child_context_reports_its_end_on_every_run():
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event, context):
        def body(child):
            child.wait(Duration.from_seconds(1), name="w")
            return "v"

        return context.run_in_child_context(body, name="flat", config=ChildConfig(is_virtual=True))

    assert run(handler).result == '"v"'
    assert infos(factory.log, "operation-start", "flat") == []  # no checkpoint, no START
    (end,) = infos(factory.log, "operation-end", "flat")
    assert end.status is OperationStatus.SUCCEEDED and end.start_time is None
    assert [i.outcome for i in infos(factory.log, "fn-end", "flat")] == [
        UserFunctionOutcome.INCOMPLETE,
        UserFunctionOutcome.SUCCEEDED,
    ]


def test_flat_parallel_items_and_concurrency_every_operation_reported_once():
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event, context):
        branches = [
            (lambda i: (lambda ctx: ctx.step(lambda sc: i, name=f"s{i}")))(i) for i in range(12)
        ]
        return context.parallel(branches, name="p", config=ParallelConfig(max_concurrency=4)).get_results()

    assert run(handler).result == json.dumps(list(range(12)))
    for i in range(12):
        assert len(infos(factory.log, "operation-start", f"s{i}")) == 1
        assert len(infos(factory.log, "operation-end", f"s{i}")) == 1
        assert len(infos(factory.log, "operation-end", f"parallel-branch-{i}")) == 1
    ends = [i.name for i in infos(factory.log, "operation-end")]
    assert ends[-1] == "p"
    for i in range(12):  # a child ends before its parent
        assert ends.index(f"s{i}") < ends.index(f"parallel-branch-{i}")

    flat = RecorderFactory()

    @durable_execution(plugins=[flat])
    def flat_handler(event, context):
        return context.map(
            [1, 2], lambda ctx, item, index, items: item, name="fm",
            config=MapConfig(nesting_type=NestingType.FLAT),
        ).get_results()

    assert run(flat_handler).result == "[1, 2]"
    assert sorted(i.name for i in infos(flat.log, "operation-end")) == ["fm", "map-item-0", "map-item-1"]
    assert infos(flat.log, "operation-start", "map-item-0") == []


# -- propagation ---------------------------------------------------------------------------------


class TracePlugin(DurableInstrumentationPlugin):
    def __init__(self, value: str | None) -> None:
        self.value = value
        self.inputs: list = []

    def provide_propagation_metadata(self, info):
        self.inputs.append(info)
        return PropagationMetadata(x_amzn_trace_id=self.value)


def test_propagation_metadata_feeds_the_invoke_start_first_non_blank_value_wins():
    blank, first, second = TracePlugin("  "), TracePlugin("Root=1-abc"), TracePlugin("Root=2-zzz")
    service = FakeService()

    @durable_execution(client=service, plugins=[blank, first, second])
    def handler(event, context):
        return context.invoke("target-fn", {"x": 1}, name="call")

    assert invoke(handler, service) == {"Status": "PENDING"}
    (start,) = [u for u in service.updates if u["Type"] == "CHAINED_INVOKE"]
    assert start["ChainedInvokeOptions"] == {"FunctionName": "target-fn", "XAmznTraceId": "Root=1-abc"}
    (info,) = first.inputs
    assert info.target_function_name == "target-fn" and info.operation_id == start["Id"]
    assert info.execution_arn == service.event()["DurableExecutionArn"]
    assert info.parent_operation_id is None
    # replay of the pending invoke: no new START, no metadata asked
    invoke(handler, service)
    assert len(first.inputs) == 1


def test_propagation_failures_are_ignored_and_no_plugin_means_no_trace_id():
    class Broken(DurableInstrumentationPlugin):
        def provide_propagation_metadata(self, info):
            raise RuntimeError("nope")

    class WrongType(DurableInstrumentationPlugin):
        def provide_propagation_metadata(self, info):
            return "Root=1-abc"

    service = FakeService()

    @durable_execution(client=service, plugins=[Broken(), WrongType()])
    def handler(event, context):
        return context.invoke("target-fn", None)

    invoke(handler, service)
    (start,) = [u for u in service.updates if u["Type"] == "CHAINED_INVOKE"]
    assert "XAmznTraceId" not in start["ChainedInvokeOptions"]


# -- registration --------------------------------------------------------------------------------


def test_instances_are_shared_across_invocations_and_classes_are_built_per_invocation():
    shared = Recorder()

    class PerInvocation(Recorder):
        made: list = []

        def __init__(self):
            super().__init__()
            PerInvocation.made.append(self)

    @durable_execution(plugins=[shared, PerInvocation])
    def handler(event, context):
        context.wait(Duration.from_seconds(1))
        return 1

    run(handler)
    assert [h for h, _ in shared.log].count("invocation-start") == 2
    assert len(PerInvocation.made) == 2
    assert all([h for h, _ in p.log].count("invocation-start") == 1 for p in PerInvocation.made)


def test_factory_failures_and_bad_products_are_skipped_for_the_invocation(caplog):
    good = RecorderFactory()

    class Raising:
        def create_plugin(self, info):
            raise RuntimeError("factory failed")

    class ReturnsNone:
        def create_plugin(self, info):
            return None

    class ReturnsJunk:
        def create_plugin(self, info):
            return 42

    @durable_execution(plugins=[Raising(), ReturnsNone(), ReturnsJunk(), good])
    def handler(event, context):
        return context.step(lambda sc: 1, name="s")

    assert run(handler).status is ServiceInvocationStatus.SUCCEEDED
    assert hooks(good.log)[0] == ("invocation-start", None) and len(good.log) > 3
    assert "factory failed" in caplog.text or "Raising" in caplog.text


class ClassFactory:
    @classmethod
    def create_plugin(cls, info):
        return Recorder()


@pytest.mark.parametrize(
    "entry",
    [
        lambda info: Recorder(),  # a bare callable
        "plugin",
        object(),
        type("FactoryClass", (), {"create_plugin": lambda self, info: Recorder()}),  # not an instance
        type("NotAPlugin", (), {}),
    ],
)
def test_invalid_plugin_entries_fail_at_decoration(entry):
    with pytest.raises(PluginLoadError):

        @durable_execution(plugins=[entry])
        def handler(event, context):  # pragma: no cover - never runs
            return None


def test_valid_entries_classmethod_factory_and_plugins_not_a_list():
    assert load_configured_plugins([ClassFactory], environment={}) == [ClassFactory]
    with pytest.raises(PluginLoadError):
        load_configured_plugins(Recorder(), environment={})  # type: ignore[arg-type]
    assert load_configured_plugins(None, environment={}) == []


class _EntryPoint:
    def __init__(self, name: str, value: Any, *, fail: bool = False) -> None:
        self.name = name
        self.value = f"fake.module:{name}"
        self._obj = value
        self._fail = fail

    def load(self):
        if self._fail:
            raise ImportError("cannot import")
        return self._obj


def test_environment_variable_adds_installed_factories_after_the_explicit_ones(monkeypatch):
    from_env, explicit = RecorderFactory(), RecorderFactory()
    monkeypatch.setattr(
        plugin_module,
        "_entry_points",
        lambda: [_EntryPoint("telemetry", from_env), _EntryPoint("other", RecorderFactory())],
    )
    monkeypatch.setenv("DURABLE_EXECUTION_PLUGINS", " telemetry ")

    @durable_execution(plugins=[explicit])
    def handler(event, context):
        return context.step(lambda sc: 1, name="s")

    run(handler)
    assert hooks(explicit.log) == hooks(from_env.log) and len(from_env.log) >= 5
    # the same factory named and passed is registered once; order: explicit, then named
    assert load_configured_plugins([from_env], environment={"DURABLE_EXECUTION_PLUGINS": "telemetry"}) == [from_env]
    both = load_configured_plugins([explicit], environment={"DURABLE_EXECUTION_PLUGINS": "telemetry,other"})
    assert both[:2] == [explicit, from_env] and len(both) == 3
    # a plugin instance named in the variable works too (shared instance)
    instance = Recorder()
    monkeypatch.setattr(plugin_module, "_entry_points", lambda: [_EntryPoint("inst", instance)])
    (wrapped,) = load_configured_plugins(None, environment={"DURABLE_EXECUTION_PLUGINS": "inst"})
    assert wrapped.create_plugin(None) is instance


@pytest.mark.parametrize(
    "value, entry_points, message",
    [
        ("missing", [], "no entry point"),
        ("a,,b", [], "non-empty"),
        ("a,a", [_EntryPoint("a", RecorderFactory())], "twice"),
        ("dup", [_EntryPoint("dup", RecorderFactory()), _EntryPoint("dup", RecorderFactory())], "several"),
        ("broken", [_EntryPoint("broken", None, fail=True)], "cannot load"),
        ("junk", [_EntryPoint("junk", 42)], "must be a plugin factory"),
    ],
)
def test_environment_variable_errors(monkeypatch, value, entry_points, message):
    monkeypatch.setattr(plugin_module, "_entry_points", lambda: entry_points)
    with pytest.raises(PluginLoadError, match=message):
        load_configured_plugins(None, environment={"DURABLE_EXECUTION_PLUGINS": value})
    assert load_configured_plugins(None, environment={"DURABLE_EXECUTION_PLUGINS": "  "}) == []


def test_the_official_entry_point_group_and_variable_name():
    assert plugin_module.PLUGIN_ENTRY_POINT_GROUP == "aws_durable_execution.plugins"
    assert plugin_module.PLUGIN_ENVIRONMENT_VARIABLE == "DURABLE_EXECUTION_PLUGINS"


# -- failure isolation ---------------------------------------------------------------------------


class Faulty(DurableInstrumentationPlugin):
    """Every hook raises."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattribute__(self, name):
        if name.startswith("on_") or name == "provide_propagation_metadata":
            calls = object.__getattribute__(self, "calls")

            def hook(info):
                calls.append(name)
                raise ValueError(f"{name} failed")

            return hook
        return object.__getattribute__(self, name)


def _workflow(context):
    context.step(lambda sc: "a", name="a")
    context.wait(Duration.from_seconds(1), name="w")
    child = context.run_in_child_context(lambda c: c.step(lambda sc: "b", name="b"), name="kid")
    branches = [lambda c: 1, lambda c: 2]
    parallel = context.parallel(branches, name="p", config=ParallelConfig(max_concurrency=1))
    return [child, parallel.get_results()]


def test_plugin_exceptions_never_change_the_execution_and_other_plugins_still_run():
    faulty, healthy = Faulty(), RecorderFactory()

    @durable_execution(plugins=[faulty, healthy])
    def with_plugins(event, context):
        return _workflow(context)

    @durable_execution
    def without(event, context):
        return _workflow(context)

    a, b = run(with_plugins), run(without)
    assert a.status is b.status is ServiceInvocationStatus.SUCCEEDED and a.result == b.result

    def shape(history):
        return [(e["EventType"], e.get("Name"), e.get("SubType")) for e in history]

    assert shape(a.history) == shape(b.history)
    for hook in ("on_invocation_start", "on_invocation_end", "on_operation_start",
                 "on_operation_end", "on_user_function_start", "on_user_function_end",
                 "on_operation_change"):
        assert hook in faulty.calls
    # the healthy plugin got exactly what it gets alone
    alone = RecorderFactory()

    @durable_execution(plugins=[alone])
    def only_healthy(event, context):
        return _workflow(context)

    run(only_healthy)
    # (parallel branches run concurrently: compare as multisets)
    assert sorted(hooks(healthy.log)) == sorted(hooks(alone.log))
    assert any(h == "operation-change" for h, _ in healthy.log)


def test_thread_control_exceptions_propagate_but_every_plugin_gets_the_invocation_end():
    log: list = []

    class Interrupting(DurableInstrumentationPlugin):
        def on_invocation_end(self, info):
            log.append("first")
            raise KeyboardInterrupt

    class Last(DurableInstrumentationPlugin):
        def on_invocation_end(self, info):
            log.append("second")

    executor = PluginExecutor([plugin_module._SharedInstance(Interrupting()), plugin_module._SharedInstance(Last())])
    with pytest.raises(KeyboardInterrupt):
        with executor.run():
            executor.on_invocation_start("arn", True, None, None)
            executor.on_invocation_end({"Status": "SUCCEEDED", "Result": "1"})
    assert log == ["first", "second"]


def test_invocation_that_raises_reports_retry_and_the_error_propagates():
    factory = RecorderFactory()
    service = FakeService()

    @durable_execution(client=service, plugins=[factory])
    def handler(event, context):
        from lambda_durable.exceptions import InvocationError

        raise InvocationError("retry me")

    with pytest.raises(Exception, match="retry me"):
        invoke(handler, service)
    end = infos(factory.log, "invocation-end")[0]
    assert end.status is InvocationStatus.RETRY and end.error.message == "retry me"


def test_plugin_host_and_handle_durable_output():
    factory = RecorderFactory()
    host = PluginHost([factory])

    @host.handle_durable_output
    def body(event, context, executor):
        executor.on_invocation_start("arn", True, None, context)
        return {"Status": "SUCCEEDED", "Result": "7"}

    assert body({}, None) == {"Status": "SUCCEEDED", "Result": "7"}
    assert [h for h, _ in factory.log] == ["invocation-start", "invocation-end"]
    assert factory.log[-1][1].execution_result == "7"
    executor = PluginExecutor([factory])
    with executor.run():
        pass
    with pytest.raises(RuntimeError, match="single-use"):
        with executor.run():
            pass


# -- zero cost without plugins -------------------------------------------------------------------


def test_without_plugins_no_hook_runs_and_no_info_or_snapshot_is_built(monkeypatch):
    def forbidden(*args, **kwargs):  # pragma: no cover - must never run
        raise AssertionError("plugin machinery used without plugins")

    for name in ("_info_from_record", "_info_map"):
        monkeypatch.setattr(plugin_module, name, forbidden)
    monkeypatch.setattr(PluginExecutor, "__init__", forbidden)
    seen: dict = {}

    @durable_execution
    def handler(event, context):
        seen["plugins"] = context.state.plugins
        seen["listeners"] = list(context.state._listeners)
        result = _workflow(context)
        context.run_in_child_context(lambda c: c.step(lambda sc: 1), config=ChildConfig(is_virtual=True))
        return result

    assert run(handler).status is ServiceInvocationStatus.SUCCEEDED
    assert seen == {"plugins": None, "listeners": []}


def test_state_get_and_update_do_not_touch_plugins_when_none(monkeypatch):
    from lambda_durable.state import ExecutionState

    assert ExecutionState.plugins is None
    calls = []
    monkeypatch.setattr(plugin_module.PluginExecutor, "_read", lambda *a: calls.append(a))
    service = FakeService()

    @durable_execution(client=service)
    def handler(event, context):
        return context.step(lambda sc: 1)

    assert invoke(handler, service)["Status"] == "SUCCEEDED"
    assert calls == []


def test_replay_children_context_reruns_with_is_replay_children_and_reports_its_end_again():
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event, context):
        big = context.run_in_child_context(lambda child: "x" * 300_000, name="big")
        context.wait(Duration.from_seconds(1), name="w")
        return len(big)

    assert run(handler).result == "300000"
    first, second = invocations(factory.log)
    assert [i.is_replay_children for i in infos(first, "fn-start", "big")] == [False]
    assert [i.is_replay_children for i in infos(second, "fn-start", "big")] == [True]
    (live_end,) = infos(first, "operation-end", "big")
    (replay_end,) = infos(second, "operation-end", "big")
    assert not live_end.is_replayed and replay_end.is_replayed
    assert replay_end.status is OperationStatus.SUCCEEDED
    assert infos(second, "operation-start", "big") == []  # terminal: no replayed start
