"""Typed, read-only views of an execution's operations for test assertions.

The classes mirror the official testing runner's (``Operation``, ``ExecutionOperation``,
``ContextOperation``, ``StepOperation``, ``WaitOperation``, ``CallbackOperation``,
``InvokeOperation``): enum ``operation_type``/``status``, timestamps as aware UTC datetimes,
payloads (``result``) as the stored strings, errors as :class:`~lambda_durable.lambda_service.
ErrorObject`. Context-like operations (contexts, steps, callbacks) list their children in
``child_operations`` and can be searched by name.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Mapping, MutableMapping, Sequence, TypeVar, cast

from ..lambda_service import ErrorObject, OperationStatus, OperationType
from .errors import DurableFunctionsTestError

__all__ = [
    "Operation",
    "ExecutionOperation",
    "ContextOperation",
    "StepOperation",
    "WaitOperation",
    "CallbackOperation",
    "InvokeOperation",
    "OPERATION_FACTORIES",
    "create_operation",
    "build_operation_tree",
]

T = TypeVar("T", bound="Operation")


def _error(details: Mapping[str, Any] | None) -> ErrorObject | None:
    error = (details or {}).get("Error")
    return ErrorObject.from_dict(error) if error is not None else None


def _children(op: Mapping[str, Any], all_operations: Sequence[Mapping[str, Any]] | None) -> list:
    if not all_operations:
        return []
    return [
        create_operation(child, all_operations)
        for child in all_operations
        if child.get("ParentId") == op.get("Id")
    ]


def _common(op: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "operation_id": op["Id"],
        "operation_type": OperationType(op["Type"]),
        "status": OperationStatus(op["Status"]),
        "parent_id": op.get("ParentId"),
        "name": op.get("Name"),
        "sub_type": op.get("SubType"),
        "start_timestamp": op.get("StartTimestamp"),
        "end_timestamp": op.get("EndTimestamp"),
    }


@dataclass(frozen=True)
class Operation:
    """Fields every operation has."""

    operation_id: str
    operation_type: OperationType
    status: OperationStatus
    parent_id: str | None = field(default=None, kw_only=True)
    name: str | None = field(default=None, kw_only=True)
    sub_type: str | None = field(default=None, kw_only=True)
    start_timestamp: datetime.datetime | None = field(default=None, kw_only=True)
    end_timestamp: datetime.datetime | None = field(default=None, kw_only=True)


def _expect(op: Mapping[str, Any], kind: str) -> None:
    if op.get("Type") != kind:
        raise DurableFunctionsTestError(f"Expected {kind} operation, got {op.get('Type')}")


@dataclass(frozen=True)
class ExecutionOperation(Operation):
    """The EXECUTION operation; ``input_payload`` is the input JSON text."""

    input_payload: str | None = None

    @staticmethod
    def from_svc_operation(
        operation: Mapping[str, Any], all_operations: Sequence[Mapping[str, Any]] | None = None
    ) -> "ExecutionOperation":
        _expect(operation, "EXECUTION")
        return ExecutionOperation(
            **_common(operation),
            input_payload=(operation.get("ExecutionDetails") or {}).get("InputPayload"),
        )


@dataclass(frozen=True)
class ContextOperation(Operation):
    """A CONTEXT operation (child context, map, parallel, their items, wait_for_callback)."""

    child_operations: list[Operation]
    result: str | None = None
    error: ErrorObject | None = None

    @staticmethod
    def from_svc_operation(
        operation: Mapping[str, Any], all_operations: Sequence[Mapping[str, Any]] | None = None
    ) -> "ContextOperation":
        _expect(operation, "CONTEXT")
        details = operation.get("ContextDetails") or {}
        return ContextOperation(
            **_common(operation),
            child_operations=_children(operation, all_operations),
            result=details.get("Result"),
            error=_error(details),
        )

    def get_operation_by_name(self, name: str) -> Operation:
        """The first direct child named ``name``; :class:`DurableFunctionsTestError` if none."""
        for operation in self.child_operations:
            if operation.name == name:
                return operation
        raise DurableFunctionsTestError(f"Child Operation with name '{name}' not found")

    def get_step(self, name: str) -> "StepOperation":
        return cast(StepOperation, self.get_operation_by_name(name))

    def get_wait(self, name: str) -> "WaitOperation":
        return cast(WaitOperation, self.get_operation_by_name(name))

    def get_context(self, name: str) -> "ContextOperation":
        return cast(ContextOperation, self.get_operation_by_name(name))

    def get_callback(self, name: str) -> "CallbackOperation":
        return cast(CallbackOperation, self.get_operation_by_name(name))

    def get_invoke(self, name: str) -> "InvokeOperation":
        return cast(InvokeOperation, self.get_operation_by_name(name))

    def get_execution(self, name: str) -> ExecutionOperation:
        return cast(ExecutionOperation, self.get_operation_by_name(name))


@dataclass(frozen=True)
class StepOperation(ContextOperation):
    """A STEP operation (steps and wait_for_condition); ``attempt`` = finished attempts."""

    attempt: int = 0
    next_attempt_timestamp: datetime.datetime | None = None
    result: str | None = None
    error: ErrorObject | None = None

    @staticmethod
    def from_svc_operation(
        operation: Mapping[str, Any], all_operations: Sequence[Mapping[str, Any]] | None = None
    ) -> "StepOperation":
        _expect(operation, "STEP")
        details = operation.get("StepDetails") or {}
        return StepOperation(
            **_common(operation),
            child_operations=_children(operation, all_operations),
            attempt=details.get("Attempt", 0),
            next_attempt_timestamp=details.get("NextAttemptTimestamp"),
            result=details.get("Result"),
            error=_error(details),
        )


@dataclass(frozen=True)
class WaitOperation(Operation):
    """A WAIT operation."""

    scheduled_end_timestamp: datetime.datetime | None = None

    @staticmethod
    def from_svc_operation(
        operation: Mapping[str, Any], all_operations: Sequence[Mapping[str, Any]] | None = None
    ) -> "WaitOperation":
        _expect(operation, "WAIT")
        return WaitOperation(
            **_common(operation),
            scheduled_end_timestamp=(operation.get("WaitDetails") or {}).get(
                "ScheduledEndTimestamp"
            ),
        )


@dataclass(frozen=True)
class CallbackOperation(ContextOperation):
    """A CALLBACK operation; ``result`` is the raw text the callback was completed with."""

    callback_id: str | None = None
    result: str | None = None
    error: ErrorObject | None = None

    @staticmethod
    def from_svc_operation(
        operation: Mapping[str, Any], all_operations: Sequence[Mapping[str, Any]] | None = None
    ) -> "CallbackOperation":
        _expect(operation, "CALLBACK")
        details = operation.get("CallbackDetails") or {}
        return CallbackOperation(
            **_common(operation),
            child_operations=_children(operation, all_operations),
            callback_id=details.get("CallbackId"),
            result=details.get("Result"),
            error=_error(details),
        )


@dataclass(frozen=True)
class InvokeOperation(Operation):
    """A CHAINED_INVOKE operation; ``result`` is the target's result JSON."""

    result: str | None = None
    error: ErrorObject | None = None

    @staticmethod
    def from_svc_operation(
        operation: Mapping[str, Any], all_operations: Sequence[Mapping[str, Any]] | None = None
    ) -> "InvokeOperation":
        _expect(operation, "CHAINED_INVOKE")
        details = operation.get("ChainedInvokeDetails") or {}
        return InvokeOperation(
            **_common(operation), result=details.get("Result"), error=_error(details)
        )


OPERATION_FACTORIES: MutableMapping[OperationType, Any] = {
    OperationType.EXECUTION: ExecutionOperation,
    OperationType.CONTEXT: ContextOperation,
    OperationType.STEP: StepOperation,
    OperationType.WAIT: WaitOperation,
    OperationType.CHAINED_INVOKE: InvokeOperation,
    OperationType.CALLBACK: CallbackOperation,
}


def create_operation(
    svc_operation: Mapping[str, Any], all_operations: Sequence[Mapping[str, Any]] | None = None
) -> Operation:
    """The typed view of one operation wire dict (children looked up in ``all_operations``)."""
    factory = OPERATION_FACTORIES.get(OperationType(svc_operation["Type"]))
    if factory is None:  # pragma: no cover - every OperationType has a factory
        raise DurableFunctionsTestError(f"Unknown operation type: {svc_operation['Type']}")
    return factory.from_svc_operation(svc_operation, all_operations)


def build_operation_tree(all_operations: Sequence[Mapping[str, Any]]) -> list[Operation]:
    """Typed top-level operations (no parent, EXECUTION left out), children nested.

    Children are grouped by parent once, so building the tree is linear in the operations."""
    by_parent: dict[str | None, list[Mapping[str, Any]]] = {}
    for op in all_operations:
        by_parent.setdefault(op.get("ParentId"), []).append(op)

    def build(op: Mapping[str, Any]) -> Operation:
        kind = op["Type"]
        children = by_parent.get(op["Id"], [])
        if kind in ("CONTEXT", "STEP", "CALLBACK"):
            built = create_operation(op, None)
            return _with_children(built, [build(child) for child in children])
        return create_operation(op, None)

    return [build(op) for op in by_parent.get(None, []) if op["Type"] != "EXECUTION"]


def _with_children(operation: Operation, children: list[Operation]) -> Operation:
    if not children:
        return operation
    import dataclasses

    return dataclasses.replace(operation, child_operations=children)  # type: ignore[call-arg]
