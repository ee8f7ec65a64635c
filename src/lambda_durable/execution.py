"""``@durable_execution``: turn ``handler(event, context: DurableContext)`` into a Lambda handler
that speaks the durable invocation contract (protocol.md 2).

The wrapped handler receives the service's invocation event (``DurableExecutionArn``,
``CheckpointToken``, ``InitialExecutionState``), loads every page of state, replays the user
function, and answers ``{"Status": "SUCCEEDED", "Result": <json>}``, ``{"Status": "FAILED",
"Error": <ErrorObject>}`` or ``{"Status": "PENDING"}``. Retryable failures (throttled or failed
API calls, stale tokens, :class:`RetryableSerDesError`) are raised so Lambda retries the
invocation.
"""
from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ._client_override import current_override
from ._wire import bounded_error, error_dict_from_exception
from .context import DurableContext, ReplayStatus
from .exceptions import (
    BackgroundThreadError,
    BotoClientError,
    CheckpointError,
    ExecutionError,
    InvocationError,
    SuspendExecution,
)
from .limits import LAMBDA_RESPONSE_SIZE_LIMIT, utf8_len
from .state import ExecutionState, InvocationDeadline, ServiceChannel

# Cold start: the typed wire model (``lambda_service``) and the plugin machinery (``plugin``) are
# not imported with this module; the engine needs neither unless a checkpoint error is turned into
# an output or plugins are configured.
if TYPE_CHECKING:  # pragma: no cover
    from .lambda_service import DurableExecutionInvocationOutput, InvocationStatus
    from .plugin import PluginExecutor

__all__ = [
    "LAMBDA_RESPONSE_SIZE_LIMIT",
    "DurableExecutionInvocationInput",
    "DurableExecutionInvocationInputWithClient",
    "InitialExecutionState",
    "InvocationStatus",
    "durable_execution",
    "handle_checkpoint_error",
]

#: names this module re-exports without importing their modules up front (PEP 562)
_LAZY = {
    "DurableExecutionInvocationOutput": "lambda_service",
    "ErrorObject": "lambda_service",
    "InvocationStatus": "lambda_service",
    "PluginExecutor": "plugin",
    "load_configured_plugins": "plugin",
}
#: ``lambda_durable.plugin.PLUGIN_ENVIRONMENT_VARIABLE`` (checked without importing the module)
_PLUGINS_VARIABLE = "DURABLE_EXECUTION_PLUGINS"


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__package__}.{module}"), name)
    globals()[name] = value
    return value


@dataclass
class InitialExecutionState:
    """``InitialExecutionState`` of the invocation event: operations (wire dicts) and marker."""

    operations: list[dict]
    next_marker: str

    @staticmethod
    def from_dict(input_dict: MutableMapping[str, Any]) -> InitialExecutionState:
        return InitialExecutionState(
            list(input_dict.get("Operations") or []), input_dict.get("NextMarker") or ""
        )

    from_json_dict = from_dict

    def to_dict(self) -> MutableMapping[str, Any]:
        return {"Operations": list(self.operations), "NextMarker": self.next_marker}

    to_json_dict = to_dict


@dataclass
class DurableExecutionInvocationInput:
    """The invocation event the service sends a durable function."""

    durable_execution_arn: str
    checkpoint_token: str
    initial_execution_state: InitialExecutionState
    updated_operation_ids: list[str] = field(default_factory=list)

    @staticmethod
    def from_dict(input_dict: MutableMapping[str, Any]) -> DurableExecutionInvocationInput:
        """Parse the event; raises :class:`ExecutionError` when it is not a durable invocation."""
        _check_event(input_dict)
        return DurableExecutionInvocationInput(
            input_dict["DurableExecutionArn"],
            input_dict["CheckpointToken"],
            InitialExecutionState.from_dict(input_dict.get("InitialExecutionState") or {}),
            list(input_dict.get("UpdatedOperationIds") or []),
        )

    from_json_dict = from_dict

    def to_dict(self) -> MutableMapping[str, Any]:
        return {
            "DurableExecutionArn": self.durable_execution_arn,
            "CheckpointToken": self.checkpoint_token,
            "InitialExecutionState": self.initial_execution_state.to_dict(),
            "UpdatedOperationIds": list(self.updated_operation_ids),
        }

    to_json_dict = to_dict


@dataclass
class DurableExecutionInvocationInputWithClient(DurableExecutionInvocationInput):
    """An invocation input together with the service client to use for it."""

    service_client: Any = None

    @staticmethod
    def from_durable_execution_invocation_input(
        invocation_input: DurableExecutionInvocationInput, service_client: Any
    ) -> DurableExecutionInvocationInputWithClient:
        return DurableExecutionInvocationInputWithClient(
            invocation_input.durable_execution_arn,
            invocation_input.checkpoint_token,
            invocation_input.initial_execution_state,
            invocation_input.updated_operation_ids,
            service_client,
        )


def _check_event(event: Any) -> None:
    if not isinstance(event, Mapping):
        raise ExecutionError(
            f"Unexpected payload: a durable function expects the durable invocation event (a "
            f"mapping), got {type(event).__name__}"
        )
    for key in ("DurableExecutionArn", "CheckpointToken"):
        value = event.get(key)
        if not isinstance(value, str) or not value:
            raise ExecutionError(
                f"Unexpected payload: the durable invocation event needs a non-empty string "
                f"{key!r}; is durable execution enabled for this function?"
            )
    initial = event.get("InitialExecutionState")
    if initial is not None:
        if not isinstance(initial, Mapping):
            raise ExecutionError("Unexpected payload: InitialExecutionState must be a mapping")
        operations = initial.get("Operations")
        if operations is not None and not isinstance(operations, (list, tuple)):
            raise ExecutionError(
                "Unexpected payload: InitialExecutionState.Operations must be a list of "
                f"operations, got {type(operations).__name__}"
            )
        marker = initial.get("NextMarker")
        if marker is not None and not isinstance(marker, str):
            raise ExecutionError(
                "Unexpected payload: InitialExecutionState.NextMarker must be a string, got "
                f"{type(marker).__name__}"
            )
    updated = event.get("UpdatedOperationIds")
    if updated is not None and (
        not isinstance(updated, (list, tuple)) or not all(isinstance(i, str) for i in updated)
    ):
        raise ExecutionError("Unexpected payload: UpdatedOperationIds must be a list of strings")


def handle_checkpoint_error(error: CheckpointError) -> DurableExecutionInvocationOutput:
    """Output for a checkpoint failure: a non-retryable one fails the execution; a retryable
    one is re-raised (Lambda retries the invocation)."""
    from .lambda_service import DurableExecutionInvocationOutput, ErrorObject, InvocationStatus

    if error.is_retryable():
        raise error
    return DurableExecutionInvocationOutput(
        InvocationStatus.FAILED, error=ErrorObject.from_exception(error)
    )


def durable_execution(
    func: Callable[[Any, DurableContext], Any] | None = None,
    *,
    boto3_client: Any = None,
    plugins: list | None = None,
    client: Any = None,
    checkpoint_strategy: Any = None,
) -> Callable[[Any, Any], Any]:
    """Decorate ``func(event, context: DurableContext)`` as a durable Lambda handler.

    ``boto3_client``: a boto3 ``lambda`` client (default: ``boto3.client("lambda")`` created on
    first use and reused). ``client``: any object with the boto3 method shapes
    (``checkpoint_durable_execution``, ``get_durable_execution_state``) or the official typed
    ``checkpoint``/``get_execution_state`` interface. ``plugins``: instrumentation plugin
    factories (3.x: objects with ``create_plugin(info)``, called once per invocation), plugin
    instances (1.x style: the same instance serves every invocation) or plugin classes; the
    factories named in ``DURABLE_EXECUTION_PLUGINS`` are added (see :mod:`lambda_durable.plugin`;
    an invalid entry raises :class:`PluginLoadError` here). Inside the local service
    (``lambda_durable.testing``) its client is used whatever was passed here.
    ``checkpoint_strategy``: :class:`~lambda_durable.config.CheckpointStrategy` (``EAGER``,
    the default; ``BATCHED``; ``OPTIMISTIC``) or its name: when updates are sent, and the
    durability each gives (see the enum).
    """
    if func is None:
        return functools.partial(
            durable_execution,
            boto3_client=boto3_client,
            plugins=plugins,
            client=client,
            checkpoint_strategy=checkpoint_strategy,
        )  # type: ignore[return-value]
    explicit_client = client if client is not None else boto3_client
    plugin_factories = _plugin_factories(plugins)
    strategy = _strategy_name(checkpoint_strategy)

    @functools.wraps(func)
    def handler(event: Any, lambda_context: Any = None) -> dict:
        service_client = current_override()
        if service_client is None:
            service_client = explicit_client
        if service_client is None:
            from ._boto import DEFAULT_CLIENT as service_client
        if not plugin_factories:
            return _run_invocation(
                func, event, lambda_context, ServiceChannel(service_client), strategy=strategy
            )
        return _run_with_plugins(
            plugin_factories, func, event, lambda_context, ServiceChannel(service_client), strategy
        )

    handler.__durable_function__ = func  # type: ignore[attr-defined]
    return handler


def _strategy_name(strategy: Any) -> str:
    """The :class:`~lambda_durable.config.CheckpointStrategy` name (checked at decoration)."""
    if strategy is None:
        return "EAGER"
    name = str(getattr(strategy, "value", strategy)).upper()
    if name not in ("EAGER", "BATCHED", "OPTIMISTIC"):
        raise ValueError(
            f"checkpoint_strategy must be a CheckpointStrategy (EAGER, BATCHED, OPTIMISTIC), "
            f"got {strategy!r}"
        )
    return name


def _plugin_factories(plugins: Any) -> list:
    """:func:`lambda_durable.plugin.load_configured_plugins`, importing :mod:`lambda_durable.plugin`
    only when there is something to load (plugins given, or ``DURABLE_EXECUTION_PLUGINS`` set)."""
    if (plugins is None or (type(plugins) in (list, tuple) and not plugins)) and not (
        os.environ.get(_PLUGINS_VARIABLE) or ""
    ).strip():
        return []
    from .plugin import load_configured_plugins

    return load_configured_plugins(plugins)


def _run_with_plugins(
    factories, func, event, lambda_context, channel: ServiceChannel, strategy: str = "EAGER"
) -> dict:
    """One invocation with plugins: ``on_invocation_end`` gets the output, or RETRY with the
    error when the invocation raises (the exception propagates unchanged)."""
    from .plugin import PluginExecutor

    executor = PluginExecutor(factories)
    with executor.run():
        try:
            output = _run_invocation(
                func, event, lambda_context, channel, executor, strategy=strategy
            )
        except BaseException as error:
            try:
                executor._end_with_error(error)
            except BaseException:  # noqa: BLE001 - the invocation's own failure wins
                pass
            raise
        executor.on_invocation_end(output)
        return output


def _run_invocation(
    func,
    event,
    lambda_context,
    channel: ServiceChannel,
    plugins: PluginExecutor | None = None,
    *,
    strategy: str = "EAGER",
) -> dict:
    _check_event(event)
    try:
        state = ExecutionState.load(
            event["DurableExecutionArn"],
            event["CheckpointToken"],
            event.get("InitialExecutionState"),
            channel,
        )
    except BotoClientError as error:
        if error.is_retryable():
            raise
        return _failed(None, error)
    except (TypeError, KeyError, AttributeError) as error:
        # an operation of the state is not an Operation object (no mapping, no Id): checked
        # here, where it costs nothing when the state is well formed
        raise ExecutionError(
            "Unexpected payload: every operation of the execution state must be an Operation "
            f"object with a string Id and Type ({type(error).__name__}: {error})"
        ) from error
    if strategy != "EAGER":
        state.set_checkpoint_strategy(strategy)
    if lambda_context is not None:
        state.deadline = InvocationDeadline.from_lambda_context(lambda_context)
    execution = state.execution_operation()
    if execution is not None and execution.get("Type") != "EXECUTION":
        return _failed(
            state,
            ExecutionError(
                f"operation {state.execution_operation_id} named by the execution ARN is a "
                f"{execution.get('Type')}, not the EXECUTION operation"
            ),
        )
    user_event = _input_event(execution)
    replay = ReplayStatus.REPLAY if state.has_history() else ReplayStatus.NEW
    context = DurableContext.from_lambda_context(state, lambda_context, replay)
    if plugins is not None:
        plugins._begin(
            state,
            lambda_context,
            user_event,
            event.get("UpdatedOperationIds"),
            is_first_invocation=replay is ReplayStatus.NEW,
        )
    try:
        result = func(user_event, context)
    except SuspendExecution:
        return _pending(state)
    except BackgroundThreadError as error:
        source = error.source_exception
        if isinstance(source, BotoClientError) and not source.is_retryable():
            return _failed(state, source)
        raise source from error
    except InvocationError as error:
        if error.is_retryable():
            _flush_quietly(state)
            raise
        return _failed(state, error)
    except Exception as error:  # noqa: BLE001 - every user failure fails the execution
        return _failed(state, error)
    if state.revoked:
        return {"Status": "PENDING"}
    if _yielded(state):
        # the invocation stopped taking new work before its timeout (user code swallowed the
        # suspension): this outcome is not final; what finished is durable
        return _pending(state)
    try:
        body = json.dumps(result)
    except (TypeError, ValueError) as error:
        return _failed(
            state,
            TypeError(f"the handler returned a value that is not JSON serializable: {error}"),
        )
    try:
        if utf8_len(body) > LAMBDA_RESPONSE_SIZE_LIMIT:
            state.checkpoint(_execution_update("SUCCEED", Payload=body))
            return {"Status": "SUCCEEDED", "Result": ""}
        state.flush()
    except SuspendExecution:
        return {"Status": "PENDING"}
    except BotoClientError as error:
        if error.is_retryable():
            raise
        return _failed(state, error, flush=False)
    return {"Status": "SUCCEEDED", "Result": body}


def _input_event(execution: dict | None) -> Any:
    if execution is None:
        return {}
    payload = (execution.get("ExecutionDetails") or {}).get("InputPayload")
    if payload is None or not payload.strip():
        return {}
    return json.loads(payload)


def _execution_update(action: str, **fields: Any) -> dict:
    import time

    update = {"Id": f"execution-result-{int(time.time() * 1000)}", "Type": "EXECUTION", "Action": action}
    update.update(fields)
    return update


def _pending(state: ExecutionState) -> dict:
    try:
        state.flush()
    except SuspendExecution:
        pass
    except BotoClientError as error:
        if error.is_retryable():
            raise
        return _failed(state, error, flush=False)
    return {"Status": "PENDING"}


def _yielded(state: ExecutionState) -> bool:
    """True when this invocation stopped before its timeout (see ``state.InvocationDeadline``)."""
    deadline = state.deadline
    return deadline is not None and deadline.yielded


def _flush_quietly(state: ExecutionState) -> None:
    try:
        state.flush()
    except BaseException:  # noqa: BLE001 - the original error is what gets reported
        pass


def _failed(state: ExecutionState | None, error: BaseException, *, flush: bool = True) -> dict:
    err = error_dict_from_exception(error)
    output = {"Status": "FAILED", "Error": err}
    if state is None:
        return output
    try:
        if state.revoked:
            return {"Status": "PENDING"}
        if _yielded(state):
            return _pending(state)
        if utf8_len(json.dumps(output)) > LAMBDA_RESPONSE_SIZE_LIMIT:
            try:
                state.checkpoint(_execution_update("FAIL", Error=err))
            except BotoClientError as api_error:
                if api_error.is_retryable():
                    raise
                # the service refused the error itself (over its Error size limit): never
                # answer with a response Lambda cannot return; report the error cut to fit
                return {"Status": "FAILED", "Error": bounded_error(err)}
            return {"Status": "FAILED"}
        if flush:
            state.flush()
    except SuspendExecution:
        return {"Status": "PENDING"}
    except BotoClientError as api_error:
        if api_error.is_retryable():
            raise
    return output
