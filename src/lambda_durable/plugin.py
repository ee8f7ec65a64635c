"""Instrumentation plugins: the official SDK 3.x plugin interface (``sdk.plugin``).

A plugin observes an execution without taking part in it. Register plugin factories (3.x) or
plugin instances (as 1.x code does) with ``@durable_execution(plugins=[...])``, or name installed
factories in ``DURABLE_EXECUTION_PLUGINS`` (comma-separated entry-point names of the group
``aws_durable_execution.plugins``, the official SDK's group, so its plugin packages load here too).

Hooks and when they fire (one invocation; every hook runs synchronously on the thread named):

* ``on_invocation_start`` / ``on_invocation_end``: the handler thread, before the user handler
  runs and after everything else of the invocation (the end info carries the invocation's status:
  SUCCEEDED, FAILED, PENDING, or RETRY when the invocation raised for Lambda to retry it).
* ``on_operation_start``: before an operation's START checkpoint is queued (``is_replayed`` true
  when its record already existed: a step retried after READY), or when a replay first reads a
  record that was non-terminal at the start of the invocation (``is_replayed`` true; READY
  records are skipped, their START reports them).
* ``on_user_function_start`` / ``on_user_function_end``: around the user code of a step attempt,
  a wait_for_condition check, a child context body, a map/parallel operation and each of its
  items; the outcome is SUCCEEDED, FAILED (an ``Exception``) or INCOMPLETE (the invocation
  suspended inside it).
* ``on_operation_end``: once per operation per invocation, when the operation is seen terminal
  for the first time: after its own terminal checkpoint, when a read finds a completion that
  arrived in a checkpoint response or while the execution was suspended (the invocation event's
  ``UpdatedOperationIds``), before the operation returns to user code; children before their
  parent; whatever no thread read is reported on the handler thread before
  ``on_invocation_end``. A terminal operation replayed from an earlier invocation is not
  reported again. A virtual (FLAT) child context, which has no checkpoint, and a ReplayChildren
  context re-run on replay report their end on every run.
* ``on_operation_change``: after a checkpoint response changed the status of operations; a
  notification carries the changed operations (newest state) and the full operation map.
  Notifications that pile up while one is delivered are merged into one; every notification
  is delivered before ``on_invocation_end``.
* ``provide_propagation_metadata``: before a new chained invoke's START; the first non-blank
  ``x_amzn_trace_id`` of the plugins, in registration order, becomes
  ``ChainedInvokeOptions.XAmznTraceId``.

A plugin never fails the execution: an exception raised by a factory or a hook is logged (logger
``lambda_durable.plugin``) and ignored; the other plugins still get the hook. Only
``KeyboardInterrupt``, ``SystemExit`` and ``GeneratorExit`` propagate. Without plugins nothing of
this module runs during an invocation: no infos are built and no operation table is copied.
"""
from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import inspect
import logging
import os
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from .exceptions import PluginLoadError
from .lambda_service import (
    DurableExecutionInvocationOutput,
    ErrorObject,
    Operation,
    OperationStatus,
    OperationUpdate,
    to_datetime,
)

if TYPE_CHECKING:  # pragma: no cover
    from .identifier import OperationIdentifier
    from .state import ExecutionState

__all__ = [
    "PLUGIN_ENTRY_POINT_GROUP",
    "PLUGIN_ENVIRONMENT_VARIABLE",
    "DurableInstrumentationPlugin",
    "DurableInstrumentationPluginFactory",
    "InvocationEndInfo",
    "InvocationInfo",
    "InvocationStartInfo",
    "InvocationStatus",
    "OperationChangeInfo",
    "OperationEndInfo",
    "OperationInfo",
    "OperationStartInfo",
    "OperationType",
    "PluginExecutor",
    "PluginHost",
    "PropagationInput",
    "PropagationMetadata",
    "UserFunctionEndInfo",
    "UserFunctionOutcome",
    "UserFunctionStartInfo",
    "load_configured_plugins",
]

logger = logging.getLogger(__name__)

#: Entry-point group of installable plugin factories (the official SDK's group).
PLUGIN_ENTRY_POINT_GROUP = "aws_durable_execution.plugins"
#: Environment variable naming installed plugin factories, comma-separated.
PLUGIN_ENVIRONMENT_VARIABLE = "DURABLE_EXECUTION_PLUGINS"

_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED"})
#: Raised by plugin code, these tell the running thread to stop: never contained.
_THREAD_CONTROL = (KeyboardInterrupt, SystemExit, GeneratorExit)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


# -- enums ---------------------------------------------------------------------------------------


class InvocationStatus(Enum):
    """How an invocation ended, as plugins see it."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    RETRY = "RETRY"


class OperationType(Enum):
    """Kinds of durable operations, as plugins see them."""

    EXECUTION = "EXECUTION"
    CONTEXT = "CONTEXT"
    STEP = "STEP"
    WAIT = "WAIT"
    CALLBACK = "CALLBACK"
    CHAINED_INVOKE = "CHAINED_INVOKE"


def _operation_type(value: Any) -> OperationType:
    return OperationType(getattr(value, "value", value))


# -- operation infos -----------------------------------------------------------------------------

_DETAIL_KEYS = ("StepDetails", "CallbackDetails", "ChainedInvokeDetails", "ContextDetails")


def _record(operation: Operation | Mapping[str, Any]) -> Mapping[str, Any]:
    """The wire dict of a typed ``Operation`` (or the wire dict itself)."""
    if isinstance(operation, Operation):
        return operation.to_dict()
    return operation


def _result_of(record: Mapping[str, Any]) -> str | None:
    for key in _DETAIL_KEYS:
        details = record.get(key)
        if details and details.get("Result") is not None:
            return details["Result"]
    return None


def _error_of(record: Mapping[str, Any]) -> ErrorObject | None:
    """A fresh ErrorObject (the plugin gets its own copy, never the stored one)."""
    for key in _DETAIL_KEYS:
        details = record.get(key)
        if details and details.get("Error"):
            error = details["Error"]
            if isinstance(error, ErrorObject):
                error = error.to_dict()
            stack = error.get("StackTrace")
            return ErrorObject(
                error.get("ErrorMessage"),
                error.get("ErrorType"),
                error.get("ErrorData"),
                list(stack) if stack is not None else None,
            )
    return None


def _attempt_of(record: Mapping[str, Any]) -> int | None:
    details = record.get("StepDetails")
    return details.get("Attempt") if details is not None else None


@dataclass(frozen=True)
class OperationInfo:
    """One operation as plugins see it.

    ``sub_type`` is the recorded SubType as a plain string (compare with ``==``; an
    ``OperationSubType`` member equals its value), ``None`` for the execution itself. ``status``
    is a :class:`~lambda_durable.lambda_service.OperationStatus`. ``result`` is the serialized
    result as checkpointed; ``error`` an ErrorObject owned by the plugin; ``attempt`` the step's
    finished attempts (STEP operations only)."""

    operation_id: str
    operation_type: OperationType
    sub_type: str | None
    name: str | None
    parent_id: str | None
    start_time: datetime.datetime | None
    is_replayed: bool
    status: OperationStatus
    end_time: datetime.datetime | None = field(default=None, kw_only=True)
    result: str | None = field(default=None, kw_only=True)
    error: ErrorObject | None = field(default=None, kw_only=True)
    attempt: int | None = field(default=None, kw_only=True)

    @staticmethod
    def from_operation(
        operation: Operation | Mapping[str, Any], *, is_replayed: bool = False
    ) -> OperationInfo:
        """The info of an operation record (typed ``Operation`` or wire dict)."""
        return _info_from_record(OperationInfo, _record(operation), is_replayed)


def _info_from_record(cls: type, record: Mapping[str, Any], is_replayed: bool, **extra: Any) -> Any:
    return cls(
        operation_id=record["Id"],
        operation_type=_operation_type(record["Type"]),
        sub_type=(str(record["SubType"]) if record.get("SubType") else None),
        name=record.get("Name"),
        parent_id=record.get("ParentId"),
        start_time=to_datetime(record.get("StartTimestamp")),
        end_time=to_datetime(record.get("EndTimestamp")),
        result=_result_of(record),
        error=_error_of(record),
        attempt=_attempt_of(record),
        is_replayed=is_replayed,
        status=OperationStatus(getattr(record["Status"], "value", record["Status"])),
        **extra,
    )


def _info_map(table: Mapping[str, Mapping[str, Any]]) -> dict[str, OperationInfo]:
    """Plugin view of an operation table: a plain dict built from a point-in-time copy."""
    records = dict(table)  # atomic copy: the table may change under another thread
    return {
        op_id: _info_from_record(OperationInfo, record, False)
        for op_id, record in records.items()
    }


@dataclass(frozen=True)
class OperationStartInfo(OperationInfo):
    """Info of ``on_operation_start``."""


@dataclass(frozen=True)
class OperationEndInfo(OperationInfo):
    """Info of ``on_operation_end``."""


@dataclass(frozen=True)
class OperationChangeInfo:
    """Info of ``on_operation_change``: the operations whose status changed (newest state) and
    the full operation map, both keyed by operation id."""

    execution_arn: str | None
    updated_operations: dict[str, OperationInfo]
    operations: dict[str, OperationInfo]


class UserFunctionOutcome(Enum):
    """How a user function ended: returned, raised, or left because the invocation suspended."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INCOMPLETE = "INCOMPLETE"

    @classmethod
    def from_error(cls, error: ErrorObject | None) -> UserFunctionOutcome:
        return cls.SUCCEEDED if error is None else cls.FAILED


@dataclass(frozen=True)
class UserFunctionStartInfo(OperationInfo):
    """Info of ``on_user_function_start``. ``is_replay_children``: the function re-runs a
    completed context whose result was too large to store (its children replay)."""

    is_replay_children: bool = False


@dataclass(frozen=True)
class UserFunctionEndInfo(OperationInfo):
    """Info of ``on_user_function_end``: the start info's fields plus ``end_time``, ``error``
    (for a FAILED outcome) and ``outcome``."""

    is_replay_children: bool
    outcome: UserFunctionOutcome

    @classmethod
    def from_start_info(
        cls,
        start_info: UserFunctionStartInfo,
        error: ErrorObject | None,
        *,
        outcome: UserFunctionOutcome | None = None,
    ) -> UserFunctionEndInfo:
        return cls(
            operation_id=start_info.operation_id,
            operation_type=start_info.operation_type,
            sub_type=start_info.sub_type,
            name=start_info.name,
            parent_id=start_info.parent_id,
            start_time=start_info.start_time,
            is_replayed=start_info.is_replayed,
            status=start_info.status,
            attempt=start_info.attempt,
            is_replay_children=start_info.is_replay_children,
            outcome=outcome if outcome is not None else UserFunctionOutcome.from_error(error),
            end_time=_now(),
            error=error,
        )


# -- invocation infos ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InvocationInfo:
    """What every invocation hook gets.

    ``execution_input`` is a copy of the decoded execution input (``{}`` when empty);
    ``operations`` the operation map (plugin view) when the hook fires. Both are left out of
    ``repr``, equality and hashing: they can be large and hold customer data."""

    request_id: str | None
    execution_arn: str | None
    is_first_invocation: bool
    execution_start_time: datetime.datetime | None = None
    execution_input: Any = field(default=None, kw_only=True, repr=False, compare=False, hash=False)
    operations: dict[str, OperationInfo] = field(
        default_factory=dict, kw_only=True, repr=False, compare=False, hash=False
    )


@dataclass(frozen=True)
class InvocationStartInfo(InvocationInfo):
    """Info of ``on_invocation_start`` (and of ``create_plugin``). ``updated_operations``: the
    operations that changed while the execution was suspended (timers, callbacks, chained
    invokes; empty on the first invocation)."""

    updated_operations: dict[str, OperationInfo] = field(
        default_factory=dict, kw_only=True, repr=False, compare=False, hash=False
    )


@dataclass(frozen=True)
class InvocationEndInfo(InvocationInfo):
    """Info of ``on_invocation_end``: the start info's fields with the operation map as of the
    end, the invocation ``status``, its ``error`` (FAILED or RETRY) and the serialized
    ``execution_result`` (SUCCEEDED; ``""`` when the result was checkpointed separately)."""

    status: InvocationStatus = field(kw_only=True)
    error: ErrorObject | None = field(default=None)
    execution_result: str | None = field(
        default=None, kw_only=True, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_durable_execution_invocation_output(
        cls,
        invocation_start_info: InvocationStartInfo,
        output: DurableExecutionInvocationOutput | Mapping[str, Any],
        operations: dict[str, OperationInfo] | None = None,
    ) -> InvocationEndInfo:
        if isinstance(output, Mapping):
            output = DurableExecutionInvocationOutput.from_dict(dict(output))
        return cls(
            request_id=invocation_start_info.request_id,
            execution_arn=invocation_start_info.execution_arn,
            is_first_invocation=invocation_start_info.is_first_invocation,
            execution_start_time=invocation_start_info.execution_start_time,
            execution_input=invocation_start_info.execution_input,
            operations=operations if operations is not None else invocation_start_info.operations,
            status=InvocationStatus(output.status.value),
            error=output.error,
            execution_result=output.result,
        )


# -- propagation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PropagationInput:
    """Identity of a new chained invoke, given to ``provide_propagation_metadata``."""

    execution_arn: str
    operation_id: str
    target_function_name: str
    parent_operation_id: str | None = None


@dataclass(frozen=True)
class PropagationMetadata:
    """A plugin's contribution to a chained invoke's START (opaque to the SDK)."""

    x_amzn_trace_id: str | None = None


# -- the plugin interface ------------------------------------------------------------------------


class DurableInstrumentationPlugin:
    """Base class of plugins: every hook is a no-op; override the ones you need.

    Hooks are synchronous calls on the thread named in this module's documentation; keep them
    fast (export on a thread of your own and finish in ``on_invocation_end``). Map and parallel
    items run their hooks concurrently: guard state shared between hooks with a lock."""

    def provide_propagation_metadata(self, info: PropagationInput) -> PropagationMetadata | None:
        """Metadata for a new chained invoke (called before its START, never on replay)."""
        return None

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        """The invocation starts (handler thread, before the user handler)."""

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        """The invocation ends (handler thread, after every other hook)."""

    def on_operation_start(self, info: OperationStartInfo) -> None:
        """An operation starts, or a replay reaches an operation that is not finished."""

    def on_operation_end(self, info: OperationEndInfo) -> None:
        """An operation is seen terminal for the first time (once per invocation)."""

    def on_operation_change(self, info: OperationChangeInfo) -> None:
        """Checkpoint responses changed the status of operations."""

    def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
        """User code of an operation starts (on the thread that runs it)."""

    def on_user_function_end(self, info: UserFunctionEndInfo) -> None:
        """User code of an operation returned, raised, or was left by a suspension."""


class DurableInstrumentationPluginFactory(Protocol):
    """Makes the plugin instance of one invocation: an object with ``create_plugin(info)``.

    ``create_plugin`` is called once per invocation, before any hook, with the invocation's
    :class:`InvocationStartInfo` (the one its ``on_invocation_start`` then gets). The instance
    serves that invocation only, so it can keep the invocation's state in plain attributes; what
    must outlive an invocation (exporters, configuration) belongs to the factory. A factory that
    raises or returns something that is not a plugin is logged and skipped for that invocation.
    """

    def create_plugin(self, info: InvocationStartInfo, /) -> DurableInstrumentationPlugin: ...


_HOOK_NAMES = (
    "provide_propagation_metadata",
    "on_invocation_start",
    "on_invocation_end",
    "on_operation_start",
    "on_operation_end",
    "on_operation_change",
    "on_user_function_start",
    "on_user_function_end",
)


# -- registration --------------------------------------------------------------------------------


class _SharedInstance:
    """Factory for a plugin registered as an instance (1.x style): every invocation gets that
    same instance."""

    __slots__ = ("plugin",)

    def __init__(self, plugin: Any) -> None:
        self.plugin = plugin

    def create_plugin(self, info: InvocationStartInfo, /) -> Any:
        return self.plugin

    def __repr__(self) -> str:
        return f"<plugin instance {type(self.plugin).__qualname__}>"


class _PluginClass:
    """Factory for a plugin class (``plugins=[MyPlugin]``): one new instance per invocation."""

    __slots__ = ("cls",)

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def create_plugin(self, info: InvocationStartInfo, /) -> Any:
        return self.cls()

    def __repr__(self) -> str:
        return f"<plugin class {self.cls.__qualname__}>"


def _describe(value: Any) -> str:
    try:
        if isinstance(value, type):
            return f"the class {value.__module__}.{value.__qualname__}"
        if inspect.isroutine(value):
            module = getattr(value, "__module__", "?")
            return f"the function {module}.{getattr(value, '__qualname__', '?')}"
        return f"an instance of {type(value).__module__}.{type(value).__qualname__}"
    except Exception:  # noqa: BLE001 - a description never fails registration on its own
        return "an object"


def _takes_one_argument(method: Any) -> bool:
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return True  # no signature to read (a C callable): trust the member
    try:
        signature.bind(object())
    except TypeError:
        return False
    return True


def _is_factory(value: Any) -> bool:
    """``value`` has a callable ``create_plugin`` the SDK can call with one argument (a factory
    *class* whose ``create_plugin`` is an instance method is not one)."""
    create = getattr(value, "create_plugin", None)
    if not callable(create):
        return False
    if isinstance(value, type) and inspect.isfunction(create):
        try:
            declared = inspect.getattr_static(value, "create_plugin")
        except AttributeError:
            declared = None
        if not isinstance(declared, staticmethod):
            return False  # an instance method read off the class: ``self`` would get the info
    return _takes_one_argument(create)


def _is_plugin_instance(value: Any) -> bool:
    if isinstance(value, type):
        return False
    if isinstance(value, DurableInstrumentationPlugin):
        return True
    return any(callable(getattr(value, name, None)) for name in _HOOK_NAMES)


def _as_factory(value: Any, where: str) -> Any:
    if _is_factory(value):
        return value
    if _is_plugin_instance(value):
        return _SharedInstance(value)
    if isinstance(value, type) and issubclass(value, DurableInstrumentationPlugin):
        return _PluginClass(value)
    raise PluginLoadError(
        f"Durable instrumentation plugin at {where} must be a plugin factory (an object with "
        "create_plugin(info) returning a DurableInstrumentationPlugin), a "
        f"DurableInstrumentationPlugin instance or subclass, but is {_describe(value)}."
    )


def _configured_names(environment: Mapping[str, str]) -> list[str]:
    raw = environment.get(PLUGIN_ENVIRONMENT_VARIABLE)
    if raw is None or not raw.strip():
        return []
    names = [name.strip() for name in raw.split(",")]
    if any(not name for name in names):
        raise PluginLoadError(
            f"{PLUGIN_ENVIRONMENT_VARIABLE} must hold non-empty, comma-separated plugin names: "
            f"{raw!r}"
        )
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise PluginLoadError(f"{PLUGIN_ENVIRONMENT_VARIABLE} names plugin {duplicate!r} twice")
    return names


def _entry_points() -> list[Any]:
    from importlib import metadata

    return list(metadata.entry_points(group=PLUGIN_ENTRY_POINT_GROUP))


def load_configured_plugins(
    explicit_plugins: Sequence[Any] | None,
    *,
    environment: Mapping[str, str] | None = None,
) -> list[DurableInstrumentationPluginFactory]:
    """The plugin factories of a handler: ``explicit_plugins`` (factories, plugin instances or
    plugin classes) in order, then the entry points named in ``DURABLE_EXECUTION_PLUGINS`` in the
    order named (a factory already registered explicitly is not added twice). Raises
    :class:`PluginLoadError` for anything that is not a plugin, and for names that are missing,
    ambiguous or fail to load."""
    if explicit_plugins is not None and (
        isinstance(explicit_plugins, (str, bytes, Mapping))
        or not hasattr(explicit_plugins, "__iter__")
    ):
        raise PluginLoadError(
            f"plugins must be a list of plugin factories, got {_describe(explicit_plugins)}"
        )
    factories = [
        _as_factory(value, f"plugins[{index}]")
        for index, value in enumerate(explicit_plugins or ())
    ]
    names = _configured_names(os.environ if environment is None else environment)
    if not names:
        return factories
    try:
        available = _entry_points()
    except Exception as error:  # noqa: BLE001
        raise PluginLoadError(
            f"cannot list the installed plugins (entry-point group {PLUGIN_ENTRY_POINT_GROUP!r}): "
            f"{error}"
        ) from error
    by_name: dict[str, list[Any]] = {}
    for entry_point in available:
        by_name.setdefault(entry_point.name, []).append(entry_point)
    explicit_ids = {id(getattr(f, "plugin", f)) for f in factories}
    for name in names:
        found = by_name.get(name, [])
        if not found:
            installed = ", ".join(sorted(by_name)) or "none"
            raise PluginLoadError(
                f"{PLUGIN_ENVIRONMENT_VARIABLE} names plugin {name!r}, but no entry point of that "
                f"name is installed in group {PLUGIN_ENTRY_POINT_GROUP!r} (installed: {installed})"
            )
        if len(found) > 1:
            raise PluginLoadError(
                f"several installed entry points are named {name!r} in group "
                f"{PLUGIN_ENTRY_POINT_GROUP!r}: remove the duplicate package"
            )
        try:
            value = found[0].load()
        except Exception as error:  # noqa: BLE001
            raise PluginLoadError(
                f"cannot load plugin {name!r} ({found[0].value}): {type(error).__name__}: {error}"
            ) from error
        if id(value) in explicit_ids:
            logger.warning("plugin %r is already registered explicitly; not registered twice", name)
            continue
        factories.append(_as_factory(value, f"{PLUGIN_ENVIRONMENT_VARIABLE} entry {name!r}"))
        explicit_ids.add(id(value))
    return factories


# -- failure containment -------------------------------------------------------------------------


def _contain(error: BaseException, what: str, owner: Any) -> BaseException | None:
    """Log a plugin failure; return the part that must propagate (thread control), if any."""
    control: BaseException | None
    contained: BaseException | None
    if isinstance(error, BaseExceptionGroup):
        control, contained = error.split(_THREAD_CONTROL)
    elif isinstance(error, _THREAD_CONTROL):
        control, contained = error, None
    else:
        control, contained = None, error
    if contained is not None:
        try:
            name = type(owner).__qualname__ if not isinstance(owner, type) else owner.__qualname__
        except BaseException:  # noqa: BLE001
            name = "<plugin>"
        try:
            logger.error("%s of plugin %s failed; ignored", what, name, exc_info=contained)
        except Exception:  # noqa: BLE001 - diagnostics never fail the execution
            pass
    return control


def _hook_name(info: Any) -> str:
    if isinstance(info, InvocationStartInfo):
        return "on_invocation_start"
    if isinstance(info, InvocationEndInfo):
        return "on_invocation_end"
    if isinstance(info, OperationStartInfo):
        return "on_operation_start"
    if isinstance(info, OperationEndInfo):
        return "on_operation_end"
    if isinstance(info, OperationChangeInfo):
        return "on_operation_change"
    if isinstance(info, UserFunctionStartInfo):
        return "on_user_function_start"
    if isinstance(info, UserFunctionEndInfo):
        return "on_user_function_end"
    raise TypeError(f"not a plugin hook info: {type(info).__name__}")


def _overrides(plugin: Any, name: str) -> bool:
    method = getattr(type(plugin), name, None)
    if method is None:
        return callable(getattr(plugin, name, None))
    return method is not getattr(DurableInstrumentationPlugin, name)


# -- the per-invocation executor -----------------------------------------------------------------


class _EndClaim:
    """End hooks a thread took (descendants first) and must run outside every lock."""

    __slots__ = ("_executor", "infos")

    def __init__(self, executor: PluginExecutor, infos: list[OperationEndInfo]) -> None:
        self._executor = executor
        self.infos = infos

    def run(self) -> None:
        self._executor._run_end_infos(self.infos)


class PluginExecutor:
    """The plugins of one invocation: builds the instances from the factories, and turns what
    the SDK does into hook calls. One executor serves one invocation (:meth:`run` is single-use);
    the factories outlive it, the instances do not."""

    def __init__(self, plugins: list[DurableInstrumentationPluginFactory] | None) -> None:
        self._plugin_factories = list(plugins or [])
        self._plugins: list[Any] = []
        self._started: list[Any] = []
        self._start_info: InvocationStartInfo | None = None
        self._operations_provider: Callable[[], Mapping[str, Any]] | None = None
        self._run_entered = False
        self._ended_invocation = False
        self._wants_change = False
        self._lock = threading.Lock()
        self._hook_depth = threading.local()
        #: operation table (wire dicts) of the attached ExecutionState
        self._table: Mapping[str, Mapping[str, Any]] | None = None
        #: last seen status per operation id (to tell status changes in responses)
        self._statuses: dict[str, Any] = {}
        #: ids present when the invocation started, and those changed while suspended
        self._initial: frozenset[str] = frozenset()
        self._updated: frozenset[str] = frozenset()
        #: operations whose start hook ran in this invocation
        self._start_reported: set[str] = set()
        #: terminal operations whose end hook is owed (id -> record), in recording order
        self._pending_end: dict[str, Mapping[str, Any]] = {}
        #: operations whose end hook ran (or was taken) in this invocation
        self._ended: set[str] = set()
        #: change notification waiting for delivery: id -> newest record
        self._pending_change: dict[str, Mapping[str, Any]] | None = None
        self._delivering = False
        #: plugin view of the table, kept current in O(changed) per response (only when a plugin
        #: implements on_operation_change): a notification's full map is a shallow copy of it
        self._infos: dict[str, OperationInfo] | None = None

    # -- properties and scope ----------------------------------------------------------------

    @property
    def has_plugins(self) -> bool:
        """Whether any plugin factory is registered."""
        return bool(self._plugin_factories)

    @contextlib.contextmanager
    def run(self) -> Iterator[PluginExecutor]:
        """The invocation scope (single use). On exit the owed end hooks and change
        notifications are delivered if ``on_invocation_end`` did not run, and the instances are
        dropped."""
        if self._run_entered:
            raise RuntimeError(
                "PluginExecutor.run() is single-use: build one executor per invocation"
            )
        self._run_entered = True
        try:
            yield self
        finally:
            try:
                if self._start_info is not None and not self._ended_invocation:
                    self._finish_hooks()
            finally:
                self._start_info = None
                self._operations_provider = None
                self._table = None
                self._plugins = []
                self._started = []

    # -- dispatch -----------------------------------------------------------------------------

    def _in_hook(self) -> bool:
        return getattr(self._hook_depth, "value", 0) > 0

    @contextlib.contextmanager
    def _hook_scope(self) -> Iterator[None]:
        self._hook_depth.value = getattr(self._hook_depth, "value", 0) + 1
        try:
            yield
        finally:
            self._hook_depth.value -= 1

    def execute_plugins(self, info: Any, *, finish_fan_out: bool = False) -> None:
        """Call the hook matching ``info`` on every plugin of this invocation, in registration
        order, on the calling thread. A plugin gets hooks only after its invocation-start hook.
        Failures are logged and ignored; a thread-control exception propagates (after every
        plugin got the hook when ``finish_fan_out`` or for the invocation-end hook)."""
        if not self._plugin_factories:
            return
        name = _hook_name(info)
        starting = name == "on_invocation_start"
        finish = finish_fan_out or name == "on_invocation_end"
        held: BaseException | None = None
        with self._hook_scope():
            for plugin in list(self._plugins if starting else self._started):
                if starting:
                    self._started.append(plugin)
                hook = getattr(plugin, name, None)
                if hook is None:
                    continue
                try:
                    hook(info)
                except BaseException as error:  # noqa: BLE001 - contained below
                    control = _contain(error, name, plugin)
                    if control is not None:
                        if not finish:
                            raise control from None
                        if held is None:
                            held = control
        if held is not None:
            raise held

    def provide_propagation_metadata(self, info: PropagationInput) -> PropagationMetadata:
        """Ask every plugin, in order; the first non-blank ``x_amzn_trace_id`` wins (a later,
        different value is logged as a conflict). Failures and bad return values are logged and
        skipped."""
        value: str | None = None
        owner: Any = None
        with self._hook_scope():
            for plugin in list(self._started):
                hook = getattr(plugin, "provide_propagation_metadata", None)
                if hook is None:
                    continue
                try:
                    metadata = hook(info)
                    if metadata is None:
                        continue
                    if inspect.iscoroutine(metadata):
                        metadata.close()
                        raise TypeError("provide_propagation_metadata must be synchronous")
                    if not isinstance(metadata, PropagationMetadata):
                        raise TypeError(
                            f"provide_propagation_metadata returned {type(metadata).__name__}, "
                            "not PropagationMetadata or None"
                        )
                    candidate = metadata.x_amzn_trace_id
                    if candidate is not None and not isinstance(candidate, str):
                        raise TypeError("x_amzn_trace_id must be a string or None")
                except BaseException as error:  # noqa: BLE001
                    control = _contain(error, "provide_propagation_metadata", plugin)
                    if control is not None:
                        raise control from None
                    continue
                if candidate is None or not candidate.strip():
                    continue
                candidate = str.__str__(candidate)
                if value is None:
                    value, owner = candidate, plugin
                elif candidate != value:
                    logger.warning(
                        "plugins %s and %s propose different x_amzn_trace_id values; the first "
                        "is kept",
                        type(owner).__qualname__,
                        type(plugin).__qualname__,
                    )
        return PropagationMetadata(x_amzn_trace_id=value)

    # -- invocation ---------------------------------------------------------------------------

    def _create_plugins(self, info: InvocationStartInfo) -> None:
        plugins = []
        for factory in self._plugin_factories:
            try:
                plugin = factory.create_plugin(info)
            except BaseException as error:  # noqa: BLE001
                control = _contain(error, "create_plugin", factory)
                if control is not None:
                    raise control from None
                continue
            if plugin is None:
                logger.error("plugin factory %s returned None; ignored", type(factory).__qualname__)
                continue
            if not _is_plugin_instance(plugin):
                logger.error(
                    "plugin factory %s returned %s, not a DurableInstrumentationPlugin; ignored",
                    type(factory).__qualname__,
                    type(plugin).__qualname__,
                )
                continue
            plugins.append(plugin)
        self._plugins = plugins
        self._wants_change = any(_overrides(p, "on_operation_change") for p in plugins)

    def _snapshot(self) -> dict[str, OperationInfo]:
        provider = self._operations_provider
        if not self._plugin_factories or provider is None:
            return {}
        try:
            return _info_map(provider())
        except Exception:  # noqa: BLE001 - a plugin view never breaks the execution
            logger.exception("cannot build the operation map for plugins")
            return {}

    def on_invocation_start(
        self,
        execution_arn: str,
        is_first_invocation: bool,
        execution_start_time: datetime.datetime | None,
        lambda_context: Any,
        execution_input: Any = None,
        operations_provider: Callable[[], Mapping[str, Any]] | None = None,
        updated_operation_ids: Sequence[str] | None = None,
    ) -> None:
        """Build this invocation's plugins (``create_plugin``) and call
        ``on_invocation_start``. ``operations_provider`` returns the current operation table
        (typed ``Operation`` or wire dicts by id)."""
        if not self._plugin_factories:
            return
        self._operations_provider = operations_provider
        operations = self._snapshot()
        if execution_input is not None:
            try:
                execution_input = copy.deepcopy(execution_input)
            except Exception:  # noqa: BLE001
                logger.exception("cannot copy the execution input for plugins; omitted")
                execution_input = None
        self._start_info = InvocationStartInfo(
            request_id=getattr(lambda_context, "aws_request_id", None),
            execution_arn=execution_arn,
            is_first_invocation=is_first_invocation,
            execution_start_time=execution_start_time,
            execution_input=execution_input,
            operations=operations,
            updated_operations={
                op_id: operations[op_id]
                for op_id in (updated_operation_ids or ())
                if op_id in operations
            },
        )
        self._create_plugins(self._start_info)
        self.execute_plugins(self._start_info)

    def on_invocation_end(
        self, output: DurableExecutionInvocationOutput | Mapping[str, Any]
    ) -> None:
        """Deliver the owed end hooks and change notifications, then call
        ``on_invocation_end`` with the invocation's output (typed or wire dict)."""
        if self._start_info is None or self._ended_invocation:
            return
        self._ended_invocation = True
        held: BaseException | None = None
        try:
            self._finish_hooks()
        except BaseException as control:  # noqa: BLE001 - only thread control gets here
            held = control
        info = InvocationEndInfo.from_durable_execution_invocation_output(
            self._start_info, output, operations=self._snapshot()
        )
        try:
            self.execute_plugins(info)
        except BaseException:
            if held is not None:
                raise held  # noqa: B904
            raise
        if held is not None:
            raise held

    def _finish_hooks(self) -> None:
        held: BaseException | None = None
        try:
            self.drain_end_hooks()
        except BaseException as control:  # noqa: BLE001
            held = control
        self._flush_changes(force=True)
        if held is not None:
            raise held

    # -- user functions -----------------------------------------------------------------------

    def on_user_function_start(
        self,
        operation_identifier: OperationIdentifier,
        is_replay_children: bool = False,
        attempt: int | None = None,
    ) -> UserFunctionStartInfo:
        """Call ``on_user_function_start`` for the operation; returns the info to pass to
        :meth:`on_user_function_end`."""
        op_type = operation_identifier.operation_type
        info = UserFunctionStartInfo(
            operation_id=operation_identifier.operation_id,
            operation_type=_operation_type(op_type) if op_type is not None else OperationType.STEP,
            sub_type=str(operation_identifier.sub_type) if operation_identifier.sub_type else None,
            name=operation_identifier.name,
            parent_id=operation_identifier.parent_id,
            start_time=_now(),
            is_replayed=False,
            status=OperationStatus.STARTED,
            is_replay_children=is_replay_children,
            attempt=attempt,
        )
        self.execute_plugins(info)
        return info

    def on_user_function_end(
        self,
        start_info: UserFunctionStartInfo,
        error: ErrorObject | None,
        *,
        outcome: UserFunctionOutcome | None = None,
    ) -> None:
        """Call ``on_user_function_end`` (outcome derived from ``error`` when not given)."""
        self.execute_plugins(
            UserFunctionEndInfo.from_start_info(start_info, error, outcome=outcome)
        )

    def _call_user(
        self,
        func: Callable[..., Any],
        args: tuple,
        operation_id: str,
        op_type: str,
        sub_type: str | None,
        name: str | None,
        parent_id: str | None,
        attempt: int | None,
        is_replay_children: bool = False,
    ) -> Any:
        """Run ``func(*args)`` between the user-function hooks (SDK internal)."""
        start = UserFunctionStartInfo(
            operation_id=operation_id,
            operation_type=OperationType(op_type),
            sub_type=sub_type,
            name=name,
            parent_id=parent_id,
            start_time=_now(),
            is_replayed=False,
            status=OperationStatus.STARTED,
            is_replay_children=is_replay_children,
            attempt=attempt,
        )
        self.execute_plugins(start)
        outcome = UserFunctionOutcome.INCOMPLETE
        error: ErrorObject | None = None
        try:
            result = func(*args)
        except Exception as exc:
            outcome = UserFunctionOutcome.FAILED
            error = ErrorObject.from_exception(exc)
            raise
        else:
            outcome = UserFunctionOutcome.SUCCEEDED
            return result
        finally:
            self.execute_plugins(UserFunctionEndInfo.from_start_info(start, error, outcome=outcome))

    # -- operations: start --------------------------------------------------------------------

    def on_operation_action(
        self,
        update: OperationUpdate | Mapping[str, Any],
        operation: Operation | Mapping[str, Any] | None = None,
        previous_operation: Operation | Mapping[str, Any] | None = None,
    ) -> None:
        """Call ``on_operation_start`` for a START update about to be queued (other actions are
        reported through the operation's status changes). ``is_replayed`` is true when the
        operation already had a record (``previous_operation``)."""
        wire = update.to_dict() if isinstance(update, OperationUpdate) else update
        if wire.get("Action") != "START" and getattr(wire.get("Action"), "value", None) != "START":
            return
        record = _record(operation) if operation is not None else None
        with self._lock:
            self._start_reported.add(wire["Id"])
        self.execute_plugins(
            OperationStartInfo(
                operation_id=wire["Id"],
                operation_type=_operation_type(wire["Type"]),
                sub_type=str(wire["SubType"]) if wire.get("SubType") else None,
                name=wire.get("Name"),
                parent_id=wire.get("ParentId"),
                start_time=to_datetime(record.get("StartTimestamp")) if record else None,
                is_replayed=previous_operation is not None,
                status=OperationStatus.STARTED,
            )
        )

    def on_operation_replay(self, operation: Operation | Mapping[str, Any]) -> None:
        """Call ``on_operation_start`` (``is_replayed`` true) for a record replay reached that is
        not finished; terminal, READY and EXECUTION records report nothing."""
        record = _record(operation)
        status = getattr(record["Status"], "value", record["Status"])
        if status in _TERMINAL or status == "READY":
            return
        if getattr(record["Type"], "value", record["Type"]) == "EXECUTION":
            return
        with self._lock:
            if record["Id"] in self._start_reported:
                return
            self._start_reported.add(record["Id"])
        self.execute_plugins(_info_from_record(OperationStartInfo, record, True))

    # -- operations: end ----------------------------------------------------------------------

    def on_child_context_end(
        self,
        operation_identifier: OperationIdentifier,
        status: OperationStatus,
        *,
        error: ErrorObject | None = None,
        is_replayed: bool = False,
    ) -> None:
        """Call ``on_operation_end`` for a child context that ended without a terminal
        checkpoint of its own (virtual, or a ReplayChildren context re-run)."""
        op_type = operation_identifier.operation_type
        sub_type = operation_identifier.sub_type
        self.execute_plugins(
            OperationEndInfo(
                operation_id=operation_identifier.operation_id,
                operation_type=(
                    _operation_type(op_type) if op_type is not None else OperationType.CONTEXT
                ),
                sub_type=str(sub_type) if sub_type else None,
                name=operation_identifier.name,
                parent_id=operation_identifier.parent_id,
                start_time=None,
                end_time=_now(),
                status=status,
                error=error,
                is_replayed=is_replayed,
            )
        )

    def record_end_hooks(
        self,
        operations: Sequence[Operation | Mapping[str, Any]],
        waited_for: Collection[str] = (),
    ) -> None:
        """Owe an end hook to every terminal operation in ``operations`` (a checkpoint
        response) that has not ended in this invocation. ``waited_for`` is accepted for
        compatibility: the thread that reads the result, or the handler thread at the end,
        runs the hook."""
        if not self._plugin_factories:
            return
        with self._lock:
            for operation in operations:
                record = _record(operation)
                status = getattr(record["Status"], "value", record["Status"])
                op_id = record["Id"]
                if status in _TERMINAL and op_id not in self._ended:
                    if getattr(record["Type"], "value", record["Type"]) != "EXECUTION":
                        self._pending_end[op_id] = record

    def take_end_hook(self, operation_id: str, *, waiter: bool = False) -> _EndClaim | None:
        """Take the owed end hook of ``operation_id`` and of its owed descendants (run
        descendants first with :meth:`_EndClaim.run`); ``None`` when nothing is owed or the
        calling thread is inside a hook."""
        if not self._plugin_factories or self._in_hook():
            return None
        with self._lock:
            return self._take_locked(operation_id, force=False)

    def claim_end_hook(self, operation_id: str, *, waiter: bool = False) -> None:
        """Run the owed end hook of ``operation_id`` (descendants first) on this thread."""
        claim = self.take_end_hook(operation_id, waiter=waiter)
        if claim is not None:
            claim.run()

    def drain_end_hooks(self) -> None:
        """Run every owed end hook on this thread, earliest recorded first (each after its
        owed descendants)."""
        held: BaseException | None = None
        while True:
            with self._lock:
                if not self._pending_end:
                    break
                first = next(iter(self._pending_end))
                claim = self._take_locked(first, force=False)
            if claim is None:
                continue
            try:
                claim.run()
            except BaseException as control:  # noqa: BLE001 - thread control: others still run
                if held is None:
                    held = control
        if held is not None:
            raise held

    def on_operation_update(
        self,
        operation_or_operations: Operation | Mapping[str, Any] | Sequence[Any] | None,
        operations: Mapping[str, Any] | None = None,
        previous_operations: Mapping[str, Any] | None = None,
    ) -> None:
        """Run the end hook of each terminal operation given (changed while the execution was
        suspended), once per invocation, and queue a change notification when both maps are
        given."""
        if operation_or_operations is None or not self._plugin_factories:
            return
        if isinstance(operation_or_operations, (list, tuple)):
            updated = list(operation_or_operations)
        else:
            updated = [operation_or_operations]
        self.record_end_hooks(updated)
        for operation in updated:
            self.claim_end_hook(_record(operation)["Id"])
        if operations is not None and previous_operations is not None:
            self.record_change(updated, operations, previous_operations)

    def _take_locked(self, operation_id: str, *, force: bool) -> _EndClaim | None:
        if operation_id in self._ended:
            return None
        record = self._pending_end.pop(operation_id, None)
        if record is None:
            if not force or self._table is None:
                return None
            record = self._table.get(operation_id)
            if record is None or record.get("Status") not in _TERMINAL:
                return None
            if record.get("Type") == "EXECUTION":
                return None
        self._ended.add(operation_id)
        infos = []
        if self._pending_end and record.get("Type") == "CONTEXT":  # only contexts have children
            descendants = []
            for other_id in list(self._pending_end):
                depth = self._depth_below(self._pending_end[other_id], operation_id)
                if depth is not None:
                    descendants.append((depth, other_id))
            descendants.sort(key=lambda item: -item[0])
            for _, other_id in descendants:
                other = self._pending_end.pop(other_id)
                self._ended.add(other_id)
                infos.append(_info_from_record(OperationEndInfo, other, False))
        infos.append(_info_from_record(OperationEndInfo, record, False))
        return _EndClaim(self, infos)

    def _depth_below(self, record: Mapping[str, Any], ancestor_id: str) -> int | None:
        """How many levels ``record`` is below ``ancestor_id`` (``None``: not a descendant)."""
        table = self._table
        parent = record.get("ParentId")
        depth = 1
        seen = 0
        while parent:
            if parent == ancestor_id:
                return depth
            if table is None:
                return None
            parent_record = table.get(parent)
            if parent_record is None:
                return None
            parent = parent_record.get("ParentId")
            depth += 1
            seen += 1
            if seen > 10_000:  # a cycle in corrupt data
                return None
        return None

    def _run_end_infos(self, infos: list[OperationEndInfo]) -> None:
        held: BaseException | None = None
        for info in infos:
            try:
                self.execute_plugins(info)
            except BaseException as control:  # noqa: BLE001 - thread control
                if held is None:
                    held = control
        if held is not None:
            raise held

    # -- operations: change -------------------------------------------------------------------

    def record_change(
        self,
        updated_operations: Sequence[Operation | Mapping[str, Any]],
        operations: Mapping[str, Any],
        previous_operations: Mapping[str, Any],
    ) -> None:
        """Queue a change notification for the operations of ``updated_operations`` whose
        status differs from ``previous_operations`` and deliver it (merged with a pending one)
        unless another thread is delivering."""
        if not self._plugin_factories or self._start_info is None:
            return
        changed = {}
        for operation in updated_operations:
            record = _record(operation)
            before = previous_operations.get(record["Id"])
            before_status = None if before is None else _record(before).get("Status")
            if before is None or getattr(before_status, "value", before_status) != getattr(
                record["Status"], "value", record["Status"]
            ):
                changed[record["Id"]] = record
        if not changed:
            return
        with self._lock:
            if self._pending_change is None:
                self._pending_change = {}
            self._pending_change.update(changed)
        if self._table is None:
            self._table = {k: _record(v) for k, v in operations.items()}
        self._flush_changes()

    def _flush_changes(self, *, force: bool = False) -> None:
        """Deliver the pending change notification (one thread delivers at a time, in order)."""
        if self._pending_change is None or (self._in_hook() and not force):
            return
        with self._lock:
            if self._delivering or self._pending_change is None:
                return
            self._delivering = True
        try:
            while True:
                with self._lock:
                    pending, self._pending_change = self._pending_change, None
                    if pending is None:
                        self._delivering = False
                        return
                with self._lock:
                    cached = dict(self._infos) if self._infos is not None else None
                full = cached if cached is not None else _info_map(self._table or {})
                updated = {
                    op_id: full.get(op_id) or _info_from_record(OperationInfo, record, False)
                    for op_id, record in pending.items()
                }
                arn = self._start_info.execution_arn if self._start_info is not None else None
                change = OperationChangeInfo(
                    execution_arn=arn, updated_operations=updated, operations=full
                )
                self.execute_plugins(change, finish_fan_out=True)
        except BaseException:
            with self._lock:
                self._delivering = False
            raise

    # -- SDK integration (lambda_durable internals) ------------------------------------------

    def _begin(
        self,
        state: ExecutionState,
        lambda_context: Any,
        execution_input: Any,
        updated_operation_ids: Sequence[str] | None,
        is_first_invocation: bool,
    ) -> None:
        """Attach to the invocation's state and call ``on_invocation_start``."""
        table = state.operations
        self._table = table
        records = dict(table)
        self._statuses = {op_id: record.get("Status") for op_id, record in records.items()}
        self._initial = frozenset(records)
        updated = [op_id for op_id in (updated_operation_ids or ()) if op_id in records]
        self._updated = frozenset(updated)
        for op_id in updated:
            record = records[op_id]
            if record.get("Status") in _TERMINAL and record.get("Type") != "EXECUTION":
                self._pending_end[op_id] = record
        state.add_listener(self._on_merge)
        start = state.execution_start_timestamp()
        self.on_invocation_start(
            execution_arn=state.durable_execution_arn,
            is_first_invocation=is_first_invocation,
            execution_start_time=to_datetime(start) if start is not None else None,
            lambda_context=lambda_context,
            execution_input=execution_input,
            operations_provider=lambda: table,
            updated_operation_ids=updated,
        )
        if self._wants_change and self._start_info is not None:
            with self._lock:
                self._infos = dict(self._start_info.operations)
        state.plugins = self

    def _on_merge(self, changed: list[dict]) -> None:
        """Checkpoint-response listener (runs under the state lock: records, never calls)."""
        with self._lock:
            statuses = self._statuses
            infos = self._infos
            for record in changed:
                op_id = record["Id"]
                status = record.get("Status")
                if infos is not None:
                    infos[op_id] = _info_from_record(OperationInfo, record, False)
                previous = statuses.get(op_id)
                statuses[op_id] = status
                if previous == status:
                    if op_id in self._pending_end:
                        self._pending_end[op_id] = record  # newest state of an owed end
                    continue
                if self._wants_change:
                    if self._pending_change is None:
                        self._pending_change = {}
                    self._pending_change[op_id] = record
                if (
                    status in _TERMINAL
                    and op_id not in self._ended
                    and record.get("Type") != "EXECUTION"
                ):
                    self._pending_end[op_id] = record

    def _read(self, operation_id: str, record: Mapping[str, Any] | None) -> None:
        """An operation read its record (``ExecutionState.get``): deliver pending changes, run
        its owed end hook, or report a replayed unfinished operation."""
        if self._in_hook():
            return
        if self._pending_change is not None:
            self._flush_changes()
        if record is None:
            return
        if operation_id in self._pending_end:
            with self._lock:
                claim = self._take_locked(operation_id, force=False)
            if claim is not None:
                claim.run()
            return
        if (
            operation_id in self._initial
            and operation_id not in self._start_reported
            and record.get("Status") not in _TERMINAL
            and record.get("Status") != "READY"
            and record.get("Type") != "EXECUTION"
        ):
            self.on_operation_replay(record)

    def _start(self, update: Mapping[str, Any], record: Mapping[str, Any] | None) -> None:
        """A START update is about to be queued."""
        if self._in_hook():
            return
        self.on_operation_action(update, None, record)

    def _ended_here(self, operation_id: str) -> None:
        """The calling thread's terminal checkpoint of ``operation_id`` was acknowledged."""
        if self._in_hook():
            return
        if self._pending_change is not None:
            self._flush_changes()
        with self._lock:
            claim = self._take_locked(operation_id, force=True)
        if claim is not None:
            claim.run()

    def _context_ended(
        self,
        operation_id: str,
        sub_type: str | None,
        name: str | None,
        parent_id: str | None,
        status: str,
        error: Mapping[str, Any] | None = None,
        is_replayed: bool = False,
    ) -> None:
        """A child context without a terminal checkpoint of its own ended (virtual, or a
        ReplayChildren context re-run): ``on_operation_end`` on every run."""
        if self._in_hook():
            return
        self.execute_plugins(
            OperationEndInfo(
                operation_id=operation_id,
                operation_type=OperationType.CONTEXT,
                sub_type=sub_type,
                name=name,
                parent_id=parent_id,
                start_time=None,
                end_time=_now(),
                status=OperationStatus(status),
                error=ErrorObject.from_dict(dict(error)) if error else None,
                is_replayed=is_replayed,
            )
        )

    def _propagation(
        self, execution_arn: str, operation_id: str, function_name: str, parent_id: str | None
    ) -> str | None:
        if not self._started:
            return None
        metadata = self.provide_propagation_metadata(
            PropagationInput(
                execution_arn=execution_arn,
                operation_id=operation_id,
                target_function_name=function_name,
                parent_operation_id=parent_id,
            )
        )
        return metadata.x_amzn_trace_id

    def _end_with_error(self, error: BaseException) -> None:
        """The invocation raised (Lambda retries it): ``on_invocation_end`` with RETRY."""
        self.on_invocation_end(
            DurableExecutionInvocationOutput.create_retry(ErrorObject.from_exception(error))
        )


# -- handler-lifetime host -----------------------------------------------------------------------


class PluginHost:
    """Owns a handler's plugin factories; hands each invocation a fresh :class:`PluginExecutor`."""

    def __init__(self, plugins: list[DurableInstrumentationPluginFactory] | None) -> None:
        self._plugin_factories = list(plugins or [])

    @contextlib.contextmanager
    def invocation(self) -> Iterator[PluginExecutor]:
        """One invocation's plugin scope."""
        executor = PluginExecutor(self._plugin_factories)
        with executor.run():
            yield executor

    @property
    def handle_durable_output(
        self,
    ) -> Callable[[Callable[..., MutableMapping[str, Any]]], Callable[..., Any]]:
        """Decorator: ``func(event, lambda_context, executor) -> output dict`` becomes
        ``wrapper(event, lambda_context)`` that calls ``on_invocation_end`` with the output
        (RETRY with the error when ``func`` raises; the original exception propagates)."""

        def decorator(func: Callable[..., MutableMapping[str, Any]]) -> Callable[..., Any]:
            @functools.wraps(func)
            def wrapper(event: Any, context: Any) -> Any:
                with self.invocation() as executor:
                    try:
                        output = func(event, context, executor)
                        completed = DurableExecutionInvocationOutput.from_dict(output)
                    except BaseException as error:
                        try:
                            executor._end_with_error(error)
                        except BaseException:  # noqa: BLE001 - the handler's failure wins
                            logger.exception("plugin invocation-end hook failed while failing")
                        raise
                    executor.on_invocation_end(completed)
                    return output

            return wrapper

        return decorator
