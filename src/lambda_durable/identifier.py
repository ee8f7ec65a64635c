"""Identity of one durable operation: its Id, parent, name, sub-type and type.

``OperationIdentifier`` is what the ``OperationUpdate.create_*`` factories and the plugin hooks take.
Field order and names follow the official SDK 3.x (``operation_id, sub_type, parent_id, name`` and a
keyword-only ``operation_type``); here ``sub_type`` and ``operation_type`` are optional, the
factories fill in the SubType the SDK writes for each operation kind when ``sub_type`` is empty.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .lambda_service import Operation, OperationType

__all__ = ["OperationIdentifier"]


@dataclass(frozen=True)
class OperationIdentifier:
    """Who an operation is: ``operation_id`` (wire ``Id``), ``sub_type`` (``SubType``: an
    ``OperationSubType`` value or a caller-defined string), ``parent_id`` and ``name``."""

    operation_id: str
    sub_type: str | None = None
    parent_id: str | None = None
    name: str | None = None
    operation_type: OperationType | None = field(default=None, kw_only=True)

    @property
    def type(self) -> OperationType | None:
        return self.operation_type

    def validate_checkpoint(self, checkpoint: Operation | dict | None) -> None:
        """Raise ``NonDeterministicExecutionError`` when ``checkpoint`` (the stored record at
        this Id, typed or wire dict) differs in Type, SubType, Name or ParentId; ``None`` and
        ``""`` compare equal. Nothing stored (``None``) is never a mismatch. When this identifier
        has no ``operation_type`` the stored Type is not compared."""
        if isinstance(checkpoint, Operation):
            record: Any = dict(checkpoint.to_dict())
        elif isinstance(checkpoint, dict):
            record = checkpoint
        else:
            return
        from .operation.base import check_identity

        stored_type = record.get("Type")
        op_type = self.operation_type.value if self.operation_type is not None else stored_type
        check_identity(
            record, self.operation_id, op_type, self.sub_type, self.name, self.parent_id
        )
